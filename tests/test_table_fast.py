"""The table decoder's fast forms give what the plain forms they replace give (fourth speed pass).

Detection markers grouped under gates (``layouts.gates``) against "one of the markers is in the
folded text"; recipient lines skipped for lacking "@" (``Layout.at_lines``) against reading every
line; the "@" reading of an expression (``layouts._holds_at``) against the matches themselves.
"""
from __future__ import annotations

import re
import warnings

from hypothesis import given, settings
from hypothesis import strategies as st

import ndr
from ndr.catalog.match import compile_shape
from ndr.catalog.layouts import _rarest, gates, marker_key, reads_address
from ndr.reading.decoders.block import read_block
from ndr.reading.decoders.table import _any_holds

CATALOG = ndr.load_catalog()

WORDS = ["diagnostic", "diagnóstico", "information", "informações", "administrators", "administradores",
         "amministratori", "for", "de", "para", "recipients", "the", "following", "deliver", "delivered",
         "qmail-send", "---", "a"]
TEXT_PIECES = WORDS + [" ", "  ", "\n", "\n ", "\t", "\u2003", "\u0130", "x"]
markers = st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
                   | st.sampled_from(["", " the", "for  the", "de\npara", "---"]), max_size=6).map(tuple)
texts = st.lists(st.sampled_from(TEXT_PIECES), max_size=24).map("".join)


@given(markers, texts, st.sampled_from([marker_key, _rarest(("the following recipients", "deliver", "de para"))]))
@settings(max_examples=500, deadline=None)
def test_gated_markers_find_what_the_folded_text_holds(body: tuple[str, ...], text: str, key) -> None:
    expected = any(marker in " ".join(text.split()) for marker in body)
    folded: list[str] = []  # as TableDecoder.decode asks: each gate, then its group's markers
    grouped_body = gates(body, key)
    assert any(gate in text and _any_holds(members, text, folded) for gate, members in grouped_body) == expected
    grouped = [marker for _, members in grouped_body for _, marker in members]
    assert set(grouped) == set(body)  # every marker is still asked about


def test_the_catalog_markers_share_gates() -> None:
    exchange = next(checks for layout, checks in CATALOG.detectors if layout.id == "exchange-online")
    body = exchange[0][3]
    assert len(body) == 1 and len(body[0][1]) == 6  # six languages, one search when absent
    qmail = next(checks for layout, checks in CATALOG.detectors if layout.id == "qmail")
    assert qmail[0][3][1][0] == "afraid"  # not "deliver", which most bounces hold
    for layout, checks in CATALOG.detectors:
        for check in checks:
            for gate, members in check[3]:
                for key, marker in members:
                    assert gate in marker and key in marker, (layout.id, marker)


PIECES = ["a", "@", "x", "(?:", "(", ")", ")?", ")*", ")+", "|", "?", "*", "[@x]", "[(]", "\\(", "(?=@)", "@?", ".",
          "{1,2}", "(?P<d>", "{address}", "{address}", "[]"]


def _expression(pieces: list[str]) -> str | None:
    expression = "".join(pieces)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "[[" reads as a nested set one day: not an expression to try
            re.compile(compile_shape(expression).pattern)  # compile_shape's own compiles when first used
    except (re.error, FutureWarning):
        return None
    return expression


expressions = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map(_expression).filter(
    lambda e: e is not None)


@given(expressions, st.lists(st.sampled_from(["a", "x", "@", "b", "(", "x@example.org", " "]), max_size=8).map("".join))
@settings(max_examples=1000, deadline=None)
def test_an_expression_read_as_holding_its_address_matches_only_with_it(expression: str, text: str) -> None:
    if reads_address(expression):
        for match in compile_shape(expression).finditer(text):
            assert "@" in match.group(0), (expression, text)


def test_holding_the_address_is_read_where_sure_only() -> None:
    sure = ["^ ?<{address}>", "^ ?(?P<d>x:) ?<?{address}", "^ ?[(]{address}", "^ ?c=[a-z ]{0,4};{address}"]
    unsure = ["^ ?(?:x{address})?", "^ ?{address}?", "a|{address}", "(?x){address}", "\\(?{address}",
              "[{address}]", "[](]{address}", "({address})"]
    assert all(reads_address(e) for e in sure)
    assert not any(reads_address(e) for e in unsure)
    assert all(layout.at_lines for layout in CATALOG.layouts)  # every shipped shape reads an address


LINES = ["<x@example.org>", "x@example.org: 550 no such user", "  550 5.1.1 unknown", "", "----",
         "recipient address: y@example.net", ">>> RCPT TO:<z@example.com>", "<<< 550 no", "İ@x", "text",
         "there was an error delivering your mail to a@b.example", "could not be delivered to: q@r.example"]


@given(st.sampled_from(CATALOG.layouts), st.lists(st.sampled_from(LINES), max_size=10),
       st.sampled_from([None, 0]))
@settings(max_examples=400, deadline=None)
def test_lines_without_at_are_skipped_as_reading_them_would(layout, lines: list[str], start) -> None:
    lowers = [line.lower() for line in lines]
    fast = read_block(layout, lines, lowers, start)
    plain = read_block(layout._replace(at_lines=False), lines, lowers, start)
    assert fast.order == plain.order and fast.loose == plain.loose
    assert [(r.recipient, d) for r, d in fast.found.values()] == [(r.recipient, d) for r, d in plain.found.values()]


PHRASES = ["will be retried", "delivery has been delayed", "delivery delayed", "delayed mail", "will retry",
           "quarantine summary", "spam quarantine", "  two  spaces", " lead", "x", ""]


@given(st.lists(st.sampled_from(PHRASES), max_size=7).map(tuple),
       st.lists(st.sampled_from(PHRASES + ["\n", " ", "delay", "retr", "quarantin", "İ"]), max_size=8).map("".join))
@settings(max_examples=500, deadline=None)
def test_grouped_phrases_are_found_as_any_finds_them(phrases: tuple[str, ...], text: str) -> None:
    from ndr.catalog.notices import _phrase_groups, holds_any

    assert holds_any(_phrase_groups(phrases), text) == any(phrase in text for phrase in phrases)


def _original_plain(layout, text: str, lower: str, start: int):
    """``TableDecoder.original`` as it was: the rest of the text copied, then stripped and cut."""
    from ndr.reading.decoders.table import _find_line
    from ndr.reading.mime import parse_headers

    at = _find_line(lower, layout.original, max(0, start - 1))
    if at is None:
        at = _find_line(lower, layout.original)
    if at is None or text.find("\n", at) < 0:
        return None
    block = text[text.find("\n", at) + 1:].lstrip("\n")
    cut = block.find("\n\n")
    headers = parse_headers((block if cut < 0 else block[:cut]).encode("utf-8", "replace"))
    return headers if headers.fields else None


ORIGINAL_PIECES = ["------ This is a copy of the message, including all the headers. ------", "\n", "\n\n",
                   "Subject: hi", "From: a@example.org", " folded", "body", "x", ""]
EXIM = next(layout for layout in CATALOG.layouts if layout.id == "exim")


@given(st.lists(st.sampled_from(ORIGINAL_PIECES), max_size=12).map("".join), st.integers(0, 40))
@settings(max_examples=500, deadline=None)
def test_the_original_header_is_cut_as_the_copy_cut_it(text: str, start: int) -> None:
    from ndr.reading.decoders.table import TableDecoder

    lower = text.lower()
    fast, plain = TableDecoder.original(EXIM, text, lower, start), _original_plain(EXIM, text, lower, start)
    assert (fast.fields if fast is not None else None) == (plain.fields if plain is not None else None)


@given(st.text(max_size=6))
@settings(max_examples=1000, deadline=None)
def test_a_line_opening_with_a_letter_or_digit_holds_a_word(line: str) -> None:
    from ndr.reading.decoders.block import _WORD

    if line[:1].isalnum():  # read_block's shortcut before its \w search
        assert _WORD.search(line)
