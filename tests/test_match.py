"""The catalog pattern language against a naive reference."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ndr.catalog.match import compile_pattern, fold, pattern_problem, regex_problem

words = st.lists(st.sampled_from(["user", "unknown", "no", "such", "mailbox", "full", "x"]), max_size=12)


def naive_ordered(fragments: list[str], text: str) -> bool:
    position = 0
    for fragment in fragments:
        index = text.find(fragment, position)
        if index < 0:
            return False
        position = index + len(fragment)
    return True


@given(words, st.lists(st.sampled_from(["user", "unknown", "such", "full"]), min_size=1, max_size=3))
@settings(max_examples=300)
def test_ordered_fragments_match_reference(text_words: list[str], fragments: list[str]) -> None:
    text = fold(" ".join(text_words))
    assert compile_pattern(fragments).search(text) == naive_ordered(fragments, text)


def test_fold() -> None:
    assert fold("  User\tUNKNOWN \n here ") == "user unknown here"


def test_problems() -> None:
    assert pattern_problem("User unknown") is not None
    assert pattern_problem(" user") is not None
    assert pattern_problem("user  unknown") is not None
    assert pattern_problem(["no such", "user"]) is None
    assert pattern_problem({"regex": "^5\\.1\\.1"}) is None
    assert pattern_problem(42) is not None


def test_regex_safety() -> None:
    assert regex_problem("user (unknown)") is not None  # not anchored
    assert regex_problem("^(a+)+$") is not None  # nested quantifier
    assert regex_problem("^(\\w*\\s?)*x") is not None
    assert regex_problem("^(x") is not None  # does not compile
    assert regex_problem("^\\d{3} user") is None
