"""The MIME scanner's fast forms give what the plain forms they replace give.

``_header_and_body`` reads a header in one pass where ``split_header_body`` then ``_fields`` took
two; ``Headers.scanned`` unfolds a value when it is read, not when the header is scanned; the
field expression is possessive. These properties check each against the plain form on blocks
built from the pieces that decide them (fields, continuations, stray lines, blank lines, colons,
blanks, bytes that are not UTF-8).
"""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ndr.policy import DEFAULT, Policy
from ndr.reading.mime import (Headers, _clean, _FIELD, _fields, _header_and_body, _header_text,
                              split_header_body)

PIECES = [b"Subject: hi", b"content-TYPE: text/plain", b"X-A:", b"X-A :  b ", b"From:\tx", b"\n",
          b"\n\n", b" folded", b"\tfolded", b"stray line", b"no colon", b":", b" ", b"\t", b"a",
          b"Received: from x", b"\xc3\xa9", b"\xff", b"From x", b"--", b"\r", b"N\xc3\xa9: v"]
blocks = st.lists(st.sampled_from(PIECES), max_size=16).map(b"".join)
PLAIN_FIELD = re.compile(r"^([!-9;-~]+)[ \t]*:[ \t]*(.*(?:\n[ \t].*)*)", re.M)


def _plain(data: bytes, policy: Policy) -> tuple[list[tuple[str, str]], bytes, list[object]]:
    defects: list[object] = []
    head, body = split_header_body(data)
    return _fields(_header_text(head), policy, defects), body, defects  # type: ignore[arg-type]


@given(blocks, st.sampled_from([DEFAULT, Policy(max_header_count=2)]))
@settings(max_examples=500, deadline=None)
def test_one_pass_header_is_what_split_then_fields_give(data: bytes, policy: Policy) -> None:
    defects: list[object] = []
    headers, body = _header_and_body(data, policy, defects)  # type: ignore[arg-type]
    fields, expected_body, expected_defects = _plain(data, policy)
    assert (headers._pairs, body, defects) == (fields, expected_body, expected_defects)


@given(blocks)
@settings(max_examples=300, deadline=None)
def test_possessive_field_expression_finds_what_the_plain_one_finds(data: bytes) -> None:
    for text in (data.decode("latin-1"), data.decode("utf-8", "replace")):
        assert _FIELD.findall(text) == PLAIN_FIELD.findall(text)


@given(blocks, st.sampled_from(["subject", "X-A", "content-type", "from", "received", "nothing"]))
@settings(max_examples=300, deadline=None)
def test_values_unfolded_when_read_are_those_unfolded_at_once(data: bytes, name: str) -> None:
    found = PLAIN_FIELD.findall(_header_text(data))
    eager = Headers([(field, _clean(value)) for field, value in found])
    lazy = Headers.scanned(found)
    assert lazy.get(name) == eager.get(name)
    assert lazy.get_all(name) == eager.get_all(name)
    assert (name in lazy, len(lazy)) == (name in eager, len(eager))
    assert lazy.fields == eager.fields
    assert lazy.get(name) == eager.get(name)  # and once the fields were unfolded


@given(blocks, st.sampled_from(["subject", "x-a", "Content-Type", "FROM", "ReCeIvEd", "nothing", "1"]))
@settings(max_examples=300, deadline=None)
def test_a_field_is_found_whatever_case_it_is_asked_in(data: bytes, name: str) -> None:
    found = PLAIN_FIELD.findall(_header_text(data))
    first = next((_clean(value) for field, value in found if field.lower() == name.lower()), None)
    headers = Headers.scanned(found)
    for asked in (name, name.lower(), name.upper()):
        assert headers.get(asked) == first
        assert (asked in headers) == (first is not None)
