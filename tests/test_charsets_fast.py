"""RFC 2047 gaps are closed by a literal replacement ("?==?") where a template (r"\\1\\2") was
used: the same text on values built from encoded words, blanks and newlines."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ndr.reading.charsets import _ENCODED_GAP, decode_words

PIECES = ["=?utf-8?q?a?=", "=?utf-8?b?w6k=?=", "=?iso-8859-1?q?=E9?=", " ", "\t", "\n ", "?=", "=?",
          "x", "?= =?", "=?bad?q?x?="]
values = st.lists(st.sampled_from(PIECES), max_size=10).map("".join)


@given(values)
@settings(max_examples=500, deadline=None)
def test_a_gap_closes_as_the_template_closed_it(value: str) -> None:
    assert _ENCODED_GAP.sub("?==?", value) == _ENCODED_GAP.sub(r"\1\2", value)


def test_adjacent_encoded_words_decode_without_the_gap() -> None:
    assert decode_words("=?utf-8?q?a?= \n =?utf-8?b?w6k=?= x") == "a\u00e9 x"
