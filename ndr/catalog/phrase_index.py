"""The phrase index: hundreds of catalog patterns matched against one text at the cost of a few.

Classification asks which of the catalog's phrases (``Catalog.phrases``, in precedence order)
comes first in a diagnostic; a linear scan would run every pattern on every text. The table
files each pattern under a token every matching text must contain, and tries only the patterns
whose token the text holds.
"""

import functools
import re
from dataclasses import dataclass, field
from typing import Generic, Iterable, TypeVar

from ..lazy import regex
from .match import Pattern

T = TypeVar("T")

_WORD = regex(r"\w+")
_NOT_WORD = {code: code if chr(code).isalnum() or code == 95 else 32 for code in range(128)}
"""ASCII characters outside ``\\w`` (all but letters, digits and ``_``) → space: in ASCII text
the words between spaces are ``_WORD``'s matches, at half the cost of the regex. (Every ASCII
character has an entry: a missing one costs ``translate`` a raised and caught KeyError.)"""
_NOT_WORD_BYTES = bytes(_NOT_WORD[code] if code < 128 else code for code in range(256))
"""``_NOT_WORD`` as a table of bytes: an ASCII text translated as bytes (a table look-up per
byte in C) costs a quarter of ``str.translate`` (a mapping look-up per distinct character)."""
_KEY = 4
"""Length of the word prefixes/suffixes the phrase index uses as keys."""
_MEMO_TEXT = 512
"""Longest text whose first phrase is remembered (a reply line: the same one is classified for
several recipients and read by the fallback decoder too); a long text is not kept alive."""
_WORDS_KEPT = 1 << 16
"""Most words a phrase table remembers the keys of (mail's vocabulary is small; hostile input's
is not, and must not grow the table without bound)."""


def _keys(pattern: Pattern) -> list[tuple[str, str]]:
    """Tokens that every text matching ``pattern`` must contain, as (kind, token).

    Kinds: ``w`` a whole word of the text; ``p`` the first four characters of a text word;
    ``s`` its last four. A fragment word preceded (followed) by a non-word character inside the
    fragment starts (ends) a word of any text containing the fragment, so it yields a key even
    though fragments match as plain substrings. A regex is keyed by its literal prefix
    (``needle``); lone words, and regexes without a needle, yield none.
    """
    keys: list[tuple[str, str]] = []
    for fragment in pattern.fragments or ((pattern.needle,) if pattern.needle else ()):
        for word in _WORD.finditer(fragment):
            starts, ends = word.start() > 0, word.end() < len(fragment)
            text = word.group()
            if starts and ends:
                keys.append(("w", text))
            elif starts and len(text) >= _KEY:
                keys.append(("p", text[:_KEY]))
            elif ends and len(text) >= _KEY:
                keys.append(("s", text[-_KEY:]))
    return keys


@dataclass(frozen=True, slots=True, eq=False)
class PatternTable(Generic[T]):
    """An ordered list of (pattern, payload); ``first`` returns the payload of the first match.

    Matching hundreds of phrases one by one is the hot path of classification, so the table
    keeps an index: each pattern is filed under its rarest required token (``_keys``), and
    ``first`` tests only the patterns whose token occurs in the text, plus those without one,
    in table order — the same answer as a linear scan, at a fraction of the cost. Compared
    and hashed by identity (the key of its memo of short texts).
    """

    entries: tuple[tuple[Pattern, T], ...]
    by_token: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=dict, compare=False)
    """Kind (``w``, ``p``, ``s``) → token → indexes of the patterns filed under it."""
    unkeyed: tuple[int, ...] = field(default=(), compare=False)
    """Indexes of the patterns without a key, tried on every text (but those in ``loose``)."""
    loose: tuple[tuple[int, str], ...] = field(default=(), compare=False)
    """(index, fragment) of the unkeyed patterns that are one plain fragment (``throttled``,
    which may stand inside a word) with a character outside words (``dns ptr``): tried with
    ``in``, not a ``search`` call each."""
    inside: tuple[tuple[int, str], ...] = field(default=(), compare=False)
    """The other unkeyed single fragments, all word characters: such a fragment occurs in a text
    exactly when it occurs inside one of its words, so a word's entry in ``by_word`` lists them."""
    inside_any: re.Pattern[str] | None = field(default=None, compare=False)
    """Any of the ``inside`` fragments: a new word holding none (most) costs one search."""
    plain: tuple[str | None, ...] = field(default=(), compare=False)
    """Per entry: its one fragment when it is a single plain fragment (most are), tested with
    ``in`` rather than a ``search`` call; else None."""
    by_word: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False)
    """A text word → the indexes its whole-word, prefix and suffix keys and ``inside`` give
    (filled as words are met; bounded by ``_WORDS_KEPT``)."""
    hits: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False)
    """The words of ``by_word`` that give any index (most give none)."""

    def __post_init__(self) -> None:
        candidates = [_keys(pattern) for pattern, _ in self.entries]
        counts: dict[tuple[str, str], int] = {}
        for keys in candidates:
            for key in set(keys):
                counts[key] = counts.get(key, 0) + 1
        by_token: dict[str, dict[str, list[int]]] = {"w": {}, "p": {}, "s": {}}
        unkeyed: list[int] = []
        loose: list[tuple[int, str]] = []
        for index, keys in enumerate(candidates):
            if not keys:
                pattern = self.entries[index][0]
                if pattern.regex is None and len(pattern.fragments) == 1:
                    loose.append((index, pattern.fragments[0]))
                else:
                    unkeyed.append(index)
                continue
            # Rarest token first; among equals a whole word, then the longest.
            kind, token = min(keys, key=lambda k: (counts[k], k[0] != "w", -len(k[1])))
            by_token[kind].setdefault(token, []).append(index)
        object.__setattr__(self, "by_token", {kind: {t: tuple(v) for t, v in tokens.items()}
                                              for kind, tokens in by_token.items()})
        object.__setattr__(self, "unkeyed", tuple(unkeyed))
        object.__setattr__(self, "loose", tuple(p for p in loose if _WORD.fullmatch(p[1]) is None))
        inside = tuple(p for p in loose if _WORD.fullmatch(p[1]) is not None)
        object.__setattr__(self, "inside", inside)
        object.__setattr__(self, "inside_any", regex("|".join(re.escape(f) for _, f in inside)) if inside else None)
        object.__setattr__(self, "plain", tuple(p.fragments[0] if p.regex is None and len(p.fragments) == 1
                                                else None for p, _ in self.entries))

    @classmethod
    def build(cls, items: Iterable[tuple[Pattern, T]]) -> "PatternTable[T]":
        return cls(tuple(items))

    def first(self, folded: str) -> tuple[Pattern, T] | None:
        """The first (pattern, payload) whose pattern occurs in ``folded``."""
        return _remembered(self, folded) if len(folded) <= _MEMO_TEXT else self._first(folded)

    def _first(self, folded: str) -> tuple[Pattern, T] | None:
        indexes = set(self.unkeyed)
        if self.loose:
            indexes.update(index for index, fragment in self.loose if fragment in folded)
        words = set(folded.encode("ascii").translate(_NOT_WORD_BYTES).decode("ascii").split()
                    if folded.isascii() else _WORD.findall(folded))
        # Set operations in C: only the words met for the first time, and those that give an
        # index, cost a step here.
        new = words.difference(self.by_word)
        if new:
            for found in self._learn(new):
                indexes.update(found)
        hits = self.hits
        for word in hits.keys() & words:
            indexes.update(hits[word])
        entries, plain = self.entries, self.plain
        # Many words share a prefix or suffix key: each pattern is tried once, not once per word.
        for index in sorted(indexes):
            fragment = plain[index]
            if fragment in folded if fragment is not None else entries[index][0].search(folded):
                return entries[index]
        return None

    def _learn(self, words: set[str]) -> list[tuple[int, ...]]:
        """Remember the indexes the keys of ``words`` give (and the ``inside`` fragments they
        hold) while ``by_word`` has room; the indexes of the words not remembered are returned."""
        by_word, hits, unkept = self.by_word, self.hits, []
        whole, head, tail = self.by_token["w"], self.by_token["p"], self.by_token["s"]
        # one search for all: an inside fragment, all word characters, cannot span the spaces
        inside = self.inside if self.inside_any is not None and self.inside_any.search(" ".join(words)) else ()
        for word in words:
            # (a word shorter than _KEY is no key of four characters)
            found = whole.get(word, ()) + head.get(word[:_KEY], ()) + tail.get(word[-_KEY:], ())
            if inside:
                found += tuple(index for index, fragment in inside if fragment in word)
            if len(by_word) < _WORDS_KEPT:
                by_word[word] = found
                if found:
                    hits[word] = found
            elif found:
                unkept.append(found)
        return unkept

    def first_linear(self, folded: str) -> tuple[Pattern, T] | None:
        """``first`` without the index (the reference the index must agree with)."""
        for pattern, payload in self.entries:
            if pattern.search(folded):
                return pattern, payload
        return None


@functools.lru_cache(maxsize=4096)
def _remembered(table: PatternTable[T], folded: str) -> tuple[Pattern, T] | None:
    return table._first(folded)
