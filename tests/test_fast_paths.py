"""The parse path's fast forms give what the plain forms they replace give.

Each speed-up of the decoders keeps a slower, obvious form of the same question (a regex over the
whole text, a character-class substitution): these properties check the two agree on texts built
from the pieces that decide them (markers, case variants, quotes, blanks, and the few characters
that lowercase or case-fold unlike ASCII).
"""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

import ndr
from ndr.catalog import codes
from ndr.catalog.notices import command_in
from ndr.reading.decoders import textscan
from ndr.catalog.search import first_search, literal_search
from ndr.reading.text import fold_blanks, one_line


CATALOG = ndr.load_catalog()
LAYOUT = CATALOG.notices
assert LAYOUT is not None

PATTERNS = [*LAYOUT.remote_mta, *LAYOUT.reporting_mta, *LAYOUT.reply, *LAYOUT.recipients]
for _layout in CATALOG.layouts:
    PATTERNS += [*_layout.remote_mta, *_layout.reporting_mta, *_layout.reply]
    PATTERNS += [shape.regex for shape in _layout.shapes if shape.regex is not None]

PIECES = ["host ", "HOST ", "Host: ", "mx.example.com ", "[192.0.2.1] ", "said:", "SAID: ", " ", "\n",
          "by ", "remote host ", "while talking to ", "reporting-mta: dns; ", "generating server: ",
          "This is the mail system at host ", "error_code:", "550 ", "5.1.1 ", "x@example.org",
          "<x@example.org>", "rcpt to:<x@example.org> <<< ", "after helo ", "in reply to RCPT TO command",
          "after end of data", "data <<< ", '"', "'", "(", "[", "\t", "\u00a0", "\u0130", "\u0131",
          "\u017f", "\u212a", "\u03a3", "ſaid:", "Ünïcode ", "a", "-", ":", "45", "0"]
texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


def _same(a: re.Match[str] | None, b: re.Match[str] | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.span() == b.span() and a.groups() == b.groups()


@given(texts)
@settings(max_examples=300, deadline=None)
def test_literal_search_finds_what_search_finds(text: str) -> None:
    for pattern in PATTERNS:
        assert _same(literal_search(pattern, text), pattern.search(text)), pattern.pattern


@given(texts)
@settings(max_examples=300, deadline=None)
def test_first_search_finds_what_the_first_matching_search_finds(text: str) -> None:
    for expressions in (LAYOUT.remote_mta, LAYOUT.destination, LAYOUT.reporting_mta, LAYOUT.reply,
                        tuple(PATTERNS), list(PATTERNS)):
        expected = next((m for m in (p.search(text) for p in expressions) if m is not None), None)
        assert _same(first_search(expressions, text), expected)


@given(texts)
@settings(max_examples=300, deadline=None)
def test_remembered_first_group_is_the_group_of_the_first_search(text: str) -> None:
    for expressions in (LAYOUT.remote_mta, LAYOUT.destination, LAYOUT.reporting_mta):
        match = first_search(expressions, text)
        expected = match.group(1).strip("[]").rstrip(".").lower() if match else None
        assert textscan.first_group(expressions, text) == expected  # remembered, or not yet
        assert textscan.first_group(expressions, text) == expected  # remembered
        assert textscan.first_group(list(expressions), text) == expected  # never remembered


@given(texts)
@settings(max_examples=300, deadline=None)
def test_reply_line_agrees_with_its_regex(text: str) -> None:
    for candidate in (text, text.strip(), " ".join(text.split())):
        assert codes.reply_line(candidate) == bool(codes.REPLY_LINE.search(candidate))


@given(texts)
@settings(max_examples=300, deadline=None)
def test_command_in_agrees_with_finditer(text: str) -> None:
    assert LAYOUT.commands is not None
    last = None
    for last in LAYOUT.commands.finditer(text.lower()):
        pass
    assert command_in(LAYOUT, text) == (last.lastgroup if last is not None else None)


@given(texts)
@settings(max_examples=300, deadline=None)
def test_blank_folding_agrees_with_the_regex_forms(text: str) -> None:
    assert fold_blanks(text) == re.sub(r"[ \t\u00a0]+", " ", text)
    # C0, DEL and C1 controls and line separators: none may reach a record or a report line
    folded = " ".join(text.translate(dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)], " ")).split()) or None
    assert one_line(text) == folded


def test_remembered_dates_are_the_dates_parsed_anew() -> None:
    """parse_date remembers what a value gave; the same value gives the same datetime, a value
    that does not parse stays None, and a value too long for the memo is parsed all the same."""
    from datetime import datetime, timedelta, timezone

    from ndr.reading.text import parse_date

    aware = datetime(2024, 5, 1, 10, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    for _ in range(2):
        assert parse_date("Wed, 1 May 2024 10:00:00 +0200") == aware
        assert parse_date("dns; Wed, 1 May 2024 10:00:00 -0000") == datetime(2024, 5, 1, 10, 0, 0)
        assert parse_date("not a date") is None
        assert parse_date("Wed, 1 May 2024 10:00:00 +0200" + " " * 300) == aware
