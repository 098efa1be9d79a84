"""The catalog's pattern language, compiled once and matched in linear time.

A pattern is one of:

* a lowercase phrase that must occur in the text (``"user unknown"``);
* ordered fragments that must all occur, in this order (``["no such", "user"]``);
* ``{"regex": "..."}``, an anchored Python regular expression without nested quantifiers —
  the last resort, for shapes phrases cannot say.

Text is compared after ``fold()``: lowercased, whitespace runs folded to one space. Phrases and
fragments use ``str.find`` (linear time); regexes are checked for catastrophic shapes when the
catalog is validated (``regex_problem``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, Iterable, TypeVar

T = TypeVar("T")

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lowercase ``text`` and fold whitespace runs to single spaces."""
    return _SPACES.sub(" ", text).strip().lower()


@dataclass(frozen=True, slots=True)
class Pattern:
    """One compiled pattern."""

    source: str
    """The pattern as written in the catalog, for display (``rule`` ids, explain)."""
    fragments: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = None

    def search(self, folded: str) -> bool:
        """True when the pattern occurs in ``folded`` (text already passed through ``fold``)."""
        if self.regex is not None:
            return self.regex.search(folded) is not None
        position = 0
        for fragment in self.fragments:
            found = folded.find(fragment, position)
            if found < 0:
                return False
            position = found + len(fragment)
        return True


# A group that is itself quantified and contains a quantifier: (a+)+, (\w*\s?)*, (?:x|y+){2,}
_NESTED = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{?]")


def regex_problem(expression: str) -> str | None:
    """Why ``expression`` may not be used as a catalog regex, or None when it is acceptable."""
    if not (expression.startswith("^") or expression.startswith("\\b")):
        return "regex must be anchored with ^ or \\b"
    if _NESTED.search(expression):
        return "regex has a nested quantifier (catastrophic backtracking)"
    if re.search(r"\\[1-9]", expression):
        return "regex uses a backreference"
    try:
        re.compile(expression)
    except re.error as exc:
        return f"regex does not compile: {exc}"
    return None


def pattern_problem(raw: Any) -> str | None:
    """Why ``raw`` (a pattern as read from YAML) is malformed, or None."""
    if isinstance(raw, str):
        parts = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(p, str) for p in raw):
        parts = raw
    elif isinstance(raw, dict) and set(raw) - {"__line__"} == {"regex"} and isinstance(raw["regex"], str):
        return regex_problem(raw["regex"])
    else:
        return f"pattern must be a string, a list of strings or {{regex: ...}}, not {raw!r}"
    for part in parts:
        if not part:
            return "empty pattern"
        if part != part.strip():
            return f"pattern {part!r} has leading or trailing whitespace"
        if part != part.lower():
            return f"pattern {part!r} is not lowercase"
        if part != fold(part):
            return f"pattern {part!r} has runs of whitespace"
    return None


def compile_pattern(raw: Any) -> Pattern:
    """Compile a validated pattern."""
    if isinstance(raw, str):
        return Pattern(source=raw, fragments=(raw,))
    if isinstance(raw, list):
        return Pattern(source=" … ".join(raw), fragments=tuple(raw))
    return Pattern(source="regex:" + raw["regex"], regex=re.compile(raw["regex"]))


def pattern_key(raw: Any) -> str:
    """A hashable identity of a raw pattern, for duplicate detection."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        return "\x00".join(raw)
    return "regex\x00" + str(raw.get("regex"))


@dataclass(frozen=True, slots=True)
class PatternTable(Generic[T]):
    """An ordered list of (pattern, payload); ``first`` returns the payload of the first match."""

    entries: tuple[tuple[Pattern, T], ...]

    @classmethod
    def build(cls, items: Iterable[tuple[Pattern, T]]) -> "PatternTable[T]":
        return cls(tuple(items))

    def first(self, folded: str) -> tuple[Pattern, T] | None:
        """The first (pattern, payload) whose pattern occurs in ``folded``."""
        for pattern, payload in self.entries:
            if pattern.search(folded):
                return pattern, payload
        return None
