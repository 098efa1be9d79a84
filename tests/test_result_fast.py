"""The per-recipient result's fast forms give what the plain forms they replace give: the
address search's memo, the bounce's identity without a carriage return, a record built from C."""
from __future__ import annotations

import hashlib
import importlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndr.catalog.match import ADDRESS_PATTERN
from ndr.model import OriginalMessage, Report, slot_builder
from ndr.reading.text import find_address, fold_blanks

parse_module = importlib.import_module("ndr.parse")  # ndr.parse is also the function's name
ADDRESS = re.compile(ADDRESS_PATTERN)


def plain_find_address(text: str | None) -> str | None:
    """find_address before its memo: the search itself."""
    if not text or "@" not in text:
        return None
    match = ADDRESS.search(text)
    if not match:
        return None
    address = match.group(0).strip(".")
    return address[7:] if address.lower().startswith("mailto:") else address


pieces = st.sampled_from(["a", "B", ".", "@", " ", "<", ">", "mailto:", "x.example", "[1.2.3.4]", ";", "é", "-"])
texts = st.lists(pieces, max_size=40).map("".join)


@given(texts, st.integers(0, 300))
@settings(max_examples=500, deadline=None)
def test_the_memo_gives_what_the_search_gives(text: str, padding: int) -> None:
    long = "x " * padding + text  # past 256 characters the memo is not asked
    for value in (text, long, text):  # the second ask of a text is the memo's answer
        assert find_address(value) == plain_find_address(value)


@pytest.mark.parametrize("data", [
    b"From: a@example.org\nSubject: x\n\nbody\n",
    b"\xef\xbb\xbf\n\nFrom MAILER-DAEMON Thu Jan  1 00:00:00 2026\nFrom: a@example.org\n\nbody\n  \n",
    b"From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n",
    b"From: a@example.org\rSubject: x\r\rbody\r\n\r",
])
def test_a_bounce_without_message_id_is_known_by_its_normalised_bytes(data: bytes) -> None:
    body = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").removeprefix(b"\xef\xbb\xbf").lstrip(b"\n \t")
    if body.startswith(b"From "):
        body = body.split(b"\n", 1)[1]
    expected = "raw:" + hashlib.sha256(body.rstrip()).hexdigest()
    assert parse_module._identity(OriginalMessage(), data) == expected
    unix = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    assert parse_module._identity(OriginalMessage(), unix) == expected


def test_a_built_report_is_the_constructed_one_and_needs_every_field() -> None:
    build = slot_builder(Report)
    from ndr.model import Kind

    values = (Kind.BOUNCE, "rfc3464", (), "mx", None, None, "env", OriginalMessage(subject="s"), "subj", ())
    assert build(*values) == Report(*values)
    with pytest.raises(ValueError, match="Report takes 10 values, not 11"):
        build(*values, None)


@given(st.lists(st.sampled_from([" ", "  ", "\t", "\u00a0", "\n", "a", "bc", " \n "]), max_size=30).map("".join))
@settings(max_examples=500, deadline=None)
def test_blanks_fold_as_one_pattern_over_every_run_would(text: str) -> None:
    assert fold_blanks(text) == re.sub("  +", " ", text.replace("\t", " ").replace("\u00a0", " "))
