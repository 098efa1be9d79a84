"""The catalog pattern language against a naive reference."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ndr
from ndr.catalog.match import compile_pattern, fold, pattern_problem, regex_problem, required_literal
from ndr.catalog.notices import command_in

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


# ---- the fast paths of the phrase index and of the command markers ----------------------------

SHIPPED = ndr.load_catalog()


@pytest.mark.parametrize(("expression", "literal"), [
    (r"\b(?<!sender address rejected: )domain not found", "domain not found"),
    (r"\b(?<![@.-])[a-z0-9-]{1,63}\.[a-z0-9.-]{1,253} does not exist", " does not exist"),
    (r"^abc+d", "abc"),            # c occurs at least once
    (r"\bab?cde", "cde"),          # b may be absent
    (r"\bxy{2,3}z", "x"),          # ... and what a repeat counts is no literal
    (r"\bx[|]yz", "yz"),           # a class stands between
    (r"\bhost (?:a|b) is down", " is down"),
    (r"^foo|bar", ""),             # an alternation outside a group: nothing is required
    (r"\bxy\x41bc", ""),           # escapes this reading does not cover
    (r"(?i)abc", ""),              # inline flags
    (r"\b[]x]abc", ""),            # a class opening with ]
])
def test_required_literal(expression: str, literal: str) -> None:
    assert required_literal(expression) == literal


def _catalog_regexes() -> list[str]:
    found = {p.regex.pattern for p, _ in SHIPPED.phrases.entries if p.regex is not None}
    return sorted(found)


@pytest.mark.parametrize("expression", _catalog_regexes())
def test_every_match_of_a_catalog_regex_holds_its_needle(expression: str) -> None:
    pattern = compile_pattern({"regex": expression})
    words = " ".join(re.findall(r"[a-z0-9'.:-]+", expression.replace("\\b", " ").replace("\\.", ".")))
    for text in (words, "x " + words + " y", words.replace(" ", "  "), "a.b " + words, "host x.example " + words):
        if pattern.regex is not None and pattern.regex.search(text):
            assert pattern.needle in text


INSIDE = st.sampled_from(["throttled", "xthrottledx", "overquotaexceeded", "quotaexceeded", "dns ptr", "dnsptr",
                          "dns", "ptr", "user", "unknown", "blacklisted", "spamhaus.org", "not", "found",
                          "domain", "x.example", "does", "exist", "sender", "address", "rejected:", "-", ":"])


@given(st.lists(INSIDE, max_size=12))
@settings(max_examples=300, deadline=None)
def test_the_index_of_words_agrees_with_a_linear_scan(words: list[str]) -> None:
    text = fold(" ".join(words))
    assert SHIPPED.phrases.first(text) == SHIPPED.phrases.first_linear(text)


MARKERS = st.sampled_from(["smtp:rcpt ", "SMTP command: data ", "smtp:mail", "did not like our RCPT TO", "data",
                           "does not like recipient", "greeting failed", ">>> mail from ", ">>> ", "mail from:",
                           "rcpt_to ", "failed after I sent the message", "on data command", "while ",
                           "after helo ", "x ", "<a@b.example> ", "<<< ", "rcpt to:", " ", "\n"])


@given(st.lists(MARKERS, max_size=10).map("".join))
@settings(max_examples=300, deadline=None)
def test_the_command_sentinels_agree_with_finditer(text: str) -> None:
    lay = SHIPPED.notices
    assert lay is not None and lay.commands is not None
    last = None
    for last in lay.commands.finditer(text.lower()):
        pass
    assert command_in(lay, text) == (last.lastgroup if last is not None else None)


def test_a_full_word_memo_still_gives_every_candidate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``_WORDS_KEPT`` remembered words, a new word's indexes come back from ``_learn``
    instead of the memo: the answer stays the linear scan's."""
    from ndr.catalog import phrase_index
    from ndr.catalog.build import _phrases

    table = _phrases(dict(SHIPPED.reasons), SHIPPED.codes)  # a table of its own: its memo starts empty
    monkeypatch.setattr(phrase_index, "_WORDS_KEPT", 3)
    for text in ("mailbox is full", "the user is unknown here", "xthrottledx now", "dns ptr record missing",
                 "550 5.1.1 <a@b.example>: recipient address rejected: user unknown in virtual mailbox table"):
        assert table._first(fold(text)) == table.first_linear(fold(text))
    assert len(table.by_word) == 3
