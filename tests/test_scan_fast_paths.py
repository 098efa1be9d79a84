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
from ndr.reading.text import _CONTROLS, _leading_literal, first_search, literal_search, one_line

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
