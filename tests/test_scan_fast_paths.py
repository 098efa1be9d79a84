"""The text scan's fast forms give what the plain forms they replace give (third speed pass).

Each property builds texts from the pieces that decide the question (the literals the catalog's
expressions open with, escaped punctuation, line breaks, controls, characters that lowercase or
case-fold unlike ASCII) and compares the fast form with the obvious one.
"""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

import ndr
from ndr.catalog.search import _leading_literal, first_search, literal_search
from ndr.reading.text import _CONTROLS, one_line

CATALOG = ndr.load_catalog()
LAYOUT = CATALOG.notices
assert LAYOUT is not None

PIECES = ["Hi. This is the qmail-send program at ", "hi", ". ", "hi.x", "mx.example.com", "\n", " ",
          "generierender server: ", "servidor de generación: ", "Servidor gerador: ", "a.b ", "Reporting-MTA: ",
          "This is the mail system at host ", "x@example.org", "<x@example.org>", "following recipients: ",
          "Undeliverable to ", "address: ", "\u0130", "\u0131", "\u017f", "\u212a", "ó", "Ó", "\t", ":", "5"]
texts = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


def _same(a: re.Match[str] | None, b: re.Match[str] | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.span() == b.span() and a.groups() == b.groups()


def test_a_literal_continues_through_escaped_punctuation() -> None:
    assert _leading_literal(r"^hi\. this is the qmail-send program at (\S+)") == \
        "hi. this is the qmail-send program at "
    assert _leading_literal(r"\bserver certificate not verified \(\[?([0-9a-f]+)") == \
        "server certificate not verified ("
    assert _leading_literal(r"^ab\.?c") == "ab"  # the optional dot is not required
    assert _leading_literal(r"^ab\.+c") == "ab."  # one dot is
    assert _leading_literal(r"^ab\.\bc") == "ab."  # an anchor ends it
    assert _leading_literal(r"^ab\d") == "ab"  # a class escape ends it
    assert _leading_literal(r"ab\.c|d") == ""  # an alternation outside a group: none


@given(texts)
@settings(max_examples=300, deadline=None)
def test_every_field_is_found_as_a_plain_search_finds_it(text: str) -> None:
    fields = (LAYOUT.reporting_mta, LAYOUT.remote_mta, LAYOUT.recipients, LAYOUT.destination)
    for expressions in fields:
        for pattern in expressions:
            assert _same(literal_search(pattern, text), pattern.search(text)), pattern.pattern
        expected = next((m for m in (p.search(text) for p in expressions) if m is not None), None)
        assert _same(first_search(expressions, text), expected)


CONTROL_PIECES = ["a", "b c", " ", "\n", "\r\n", "\t", "\x00", "\x1b", "\x7f", "\x85", "\x9f", "\u2028",
                  "\u2029", "\u200e", "\u202e", "\u2066", "\u061c", "\u200b", "\u3000", "\xa0", "é", "\ud800"]


@given(st.lists(st.sampled_from(CONTROL_PIECES), max_size=12).map("".join), st.none() | st.integers(4, 12))
@settings(max_examples=400, deadline=None)
def test_one_line_folds_as_translating_every_control_first(text: str, limit: int | None) -> None:
    folded = " ".join(text.translate(_CONTROLS).split())
    if limit is not None and len(folded) > limit:
        folded = folded[:limit - 3].rstrip() + "..."
    assert one_line(text, limit) == (folded or None)


HEADER_PIECES = ["Received: from x", "received:", "\n", " ", "Return-Path: <>", "message-id:<a@b>",
                 "X-Google-SMTP-Source: A", "x-received", "Delivered-To: a", "text", ":", "\u0131", "\u017f"]


@given(st.lists(st.sampled_from(HEADER_PIECES), max_size=10).map("".join))
@settings(max_examples=300, deadline=None)
def test_the_returned_header_is_found_where_a_plain_search_finds_it(text: str) -> None:
    assert LAYOUT.headers_end is not None
    lower = text.lower()
    assert _same(literal_search(LAYOUT.headers_end, lower), LAYOUT.headers_end.search(lower))


# Shapes the openers are read from: groups of alternatives (named, plain, non-capturing), anchors
# with and without re.M, escapes, and the shapes that give no opener (optional or lookaround).
SHAPES = [re.compile(expression, flags) for expression in (
    r"^(?:ab|cd)e", r"(?:^ab|^cd)", r"\b(?:ab|c\.d)x", r"(?P<n>ab|cd)", r"(?:ab)?cd", r"x|^ab",
    r"(?:^ab|cd)", r"(ab|(?=c)d)", r"^(?:ab|(?:cd|e\.))\b", r"^a[|(]b|cd", r"(?:ab){0,2}cd",
) for flags in (0, re.M, re.I, re.I | re.M)]
SHAPE_PIECES = ["ab", "AB", "cd", "c.d", "e.", "e", "x", "\n", " ", "(", "|", "\u017f", "\u0131", "\u212a"]


@given(st.lists(st.sampled_from(SHAPE_PIECES), max_size=10).map("".join))
@settings(max_examples=400, deadline=None)
def test_shapes_with_several_openers_match_as_a_plain_search(text: str) -> None:
    for pattern in SHAPES:
        assert _same(literal_search(pattern, text), pattern.search(text)), pattern
    expected = next((m for m in (p.search(text) for p in SHAPES) if m is not None), None)
    assert _same(first_search(tuple(SHAPES), text), expected)


MARKER_TEXT = ["this is the qmail-send", " program at", "\n", " ", "\n ", "\u2003", "\t", "qmail-send\nprogram",
               "mail delivery software", "delivery", "software", "x"]
MARKERS = ["this is the qmail-send program at", "mail delivery software", "delivery", "program  at",
           " software", "qmail-send\nprogram", ""]


@given(st.lists(st.sampled_from(MARKER_TEXT), max_size=10).map("".join))
@settings(max_examples=300, deadline=None)
def test_a_detection_marker_is_found_as_in_the_folded_text(text: str) -> None:
    from ndr.reading.decoders.table import _holds

    for marker in MARKERS:
        assert _holds(marker, text, []) == (marker in " ".join(text.split())), marker


@given(st.lists(st.sampled_from(MARKER_TEXT), max_size=10).map("".join))
@settings(max_examples=300, deadline=None)
def test_a_marker_in_the_folded_text_has_its_key_in_the_text(text: str) -> None:
    from ndr.catalog.layouts import marker_key

    for marker in MARKERS:
        if marker in " ".join(text.split()):
            assert marker_key(marker) in text, marker
    assert marker_key("this is the qmail-send program at") == "qmail-send"


@given(st.text(alphabet="ab()|[]\\^.x?", max_size=16).filter(lambda e: "[]" not in e and "[^]" not in e))
@settings(max_examples=400, deadline=None)
def test_the_group_marks_are_read_as_match_reads_them(expression: str) -> None:
    from ndr.catalog.match import _structure
    from ndr.catalog.search import _depths

    depth, expected = 0, []
    for index, char in _structure(expression):
        if char in "()|":
            depth += 1 if char == "(" else -1 if char == ")" else 0
            expected.append((index, char, depth))
    assert list(_depths(expression)) == expected


@given(st.lists(st.sampled_from([">", "\n", "> x", "x>", "\n>", " ", "From: <>", "\nReturn-Path: <>"]),
                max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_quoted_lines_and_inner_headers_are_found_as_the_regexes_find_them(text: str) -> None:
    from ndr.reading.decoders.fallback import _INNER_FROM

    assert text.startswith(">") + text.count("\n>") == len(re.findall(r"^>", text, re.M))
    assert _same(literal_search(_INNER_FROM, text), _INNER_FROM.search(text))
