"""The catalog's ``vendors`` layouts compiled for the table decoder (schema: docs/catalog.md).

``Catalog.layouts`` and ``Catalog.detectors`` build them once per catalog.
"""

import functools
import operator
import re
from collections import Counter
from typing import Any, Callable, Iterable, Mapping, NamedTuple, cast

from ..model import Action
from ..lazy import regex
from .match import ADDRESS_GROUP, _structure, compile_shape


@functools.cache
def _address_shape(rest: str) -> re.Pattern[str]:
    """An address alone on its line (``rest`` ``$``) or followed by text (``(?: |$)``)."""
    return regex(rf"^ ?[<\[(]?(?:mailto:)?{ADDRESS_GROUP}[>\])]?:?{rest}", re.I)


_FIELDS = {"id", "name", "decoder", "source", "detect", "start", "end", "original", "recipient",
           "recipient_headers", "diagnostic", "remote_mta", "reporting_mta", "reply", "when",
           "defaults", "__line__"}
_DETECT_KEYS = {"from", "subject", "headers", "body"}
_DIAGNOSTIC_KEYS = {"until", "block", "section", "transcript"}
_UNTIL = ("recipient", "blank", "end", "line")
_SHAPES = ("address", "address-text")


class Test(NamedTuple):
    """One header test: ``kind`` is contains, prefix or equals."""

    kind: str
    value: str

    def check(self, text: str) -> bool:
        if self.kind == "prefix":
            return text.startswith(self.value)
        if self.kind == "equals":
            return text == self.value
        return self.value in text


class Alternative(NamedTuple):
    """One way of recognising a layout: every given test group must pass."""

    sender: tuple[Test, ...]
    subject: tuple[Test, ...]
    headers: tuple[tuple[str, tuple[Test, ...]], ...]
    body: tuple[str, ...]


class Shape(NamedTuple):
    """A recipient line shape: a compiled expression with an ``address`` group, or a phrase."""

    regex: re.Pattern[str] | None = None
    after: str | None = None


class Layout(NamedTuple):
    """A compiled ``vendors`` entry."""

    id: str
    alternatives: tuple[Alternative, ...]
    start: tuple[str, ...]
    end: tuple[str, ...]
    original: tuple[str, ...]
    shapes: tuple[Shape, ...]
    until: str
    block: bool
    transcript: bool
    section: tuple[str, ...]
    remote_mta: tuple[re.Pattern[str], ...]
    reporting_mta: tuple[re.Pattern[str], ...]
    reply: tuple[re.Pattern[str], ...]
    headers: tuple[str, ...]
    when: tuple[tuple[str, str | None, str | None], ...]
    """(phrase, status, action) rules."""
    action: str
    status: str | None
    at_lines: bool = False
    """Every recipient line holds "@" (each shape reads an address): the block's other lines
    are not tried against the shapes (``shapes_need_at``)."""


def _test(raw: Any) -> Test:
    if isinstance(raw, dict):
        kind = "prefix" if "prefix" in raw else "equals"
        return Test(kind, str(raw[kind]))
    return Test("contains", str(raw))


def _tests(raw: Any) -> tuple[Test, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    return tuple(_test(item) for item in items)


def _phrases(raw: Any) -> tuple[str, ...]:
    return tuple(raw or ())


def _regexes(raw: Any) -> tuple[re.Pattern[str], ...]:
    return tuple(compile_shape(item["regex"]) for item in raw or ())


def _shape(raw: Any) -> Shape:
    if raw == "address":
        return Shape(regex=_address_shape("$"))
    if raw == "address-text":
        return Shape(regex=_address_shape("(?: |$)"))
    if "after" in raw:
        return Shape(after=raw["after"])
    return Shape(regex=compile_shape(raw["regex"]))


def compile_layout(item: dict[str, Any]) -> Layout:
    """Compile one validated ``vendors`` entry."""
    alternatives = tuple(
        Alternative(
            sender=_tests(alt.get("from")), subject=_tests(alt.get("subject")),
            headers=tuple((name.lower(), _tests(tests)) for name, tests in (alt.get("headers") or {}).items()
                          if name != "__line__"),
            body=_phrases(alt.get("body")),
        )
        for alt in item["detect"]
    )
    diagnostic = item.get("diagnostic") or {}
    defaults = item.get("defaults") or {}
    return Layout(
        id=item["id"], alternatives=alternatives, start=_phrases(item.get("start")),
        end=_phrases(item.get("end")), original=_phrases(item.get("original")),
        shapes=tuple(_shape(raw) for raw in item["recipient"]),
        until=diagnostic.get("until", "recipient"), block=bool(diagnostic.get("block", False)),
        transcript=bool(diagnostic.get("transcript", False)),
        section=_phrases(diagnostic.get("section")),
        remote_mta=_regexes(item.get("remote_mta")), reporting_mta=_regexes(item.get("reporting_mta")),
        reply=_regexes(item.get("reply")),
        headers=tuple(name.lower() for name in item.get("recipient_headers") or ()),
        when=tuple((rule["phrase"], rule.get("status"), rule.get("action")) for rule in item.get("when") or ()),
        action=defaults.get("action", Action.FAILED.value),
        status=defaults.get("status"),
        at_lines=shapes_need_at(item["recipient"]),
    )


_ADDRESS = "{address}"
_UNSURE_SHAPE = ("|", "[]", "[^]")
"""What ``reads_address`` does not read: an alternation, a class opening with ``]``; and any
``(?`` form but a group's (``_GROUPS``): inline flags (verbose mode would change what the
characters mean), comments, conditionals."""
_GROUPS = ("(?:", "(?P<", "(?=", "(?!", "(?<=", "(?<!")


def reads_address(expression: str) -> bool:
    """Whether every match of a recipient expression (as written in the catalog) holds its
    address, so an "@": ``{address}`` stands once, outside every group and class, with no
    quantifier after it, in an expression without alternation. False where unsure. Read from
    the text, not from ``re``'s parse: layouts are compiled in every process."""
    if expression.count(_ADDRESS) != 1 or any(unsure in expression for unsure in _UNSURE_SHAPE):
        return False
    at = expression.find("(?")
    while at >= 0:
        if not expression.startswith(_GROUPS, at):
            return False
        at = expression.find("(?", at + 2)
    at = expression.index(_ADDRESS)
    quantified = expression[at + len(_ADDRESS):][:1] in ("?", "*", "+", "{")
    depth = 0
    for index, char in _structure(expression):  # its "{" is there unless escaped or in a class
        if index == at:
            return depth == 0 and not quantified
        if char in "()":
            depth += 1 if char == "(" else -1
    return False


def shapes_need_at(raws: list[Any]) -> bool:
    """Whether a line must hold "@" for one of the shapes ``raws`` to read a recipient from it:
    the address shapes and every ``reads_address`` expression match one, a phrase shape reads an
    address after its phrase (``find_address``: none without "@")."""
    return all(raw in _SHAPES or "after" in raw or reads_address(raw["regex"]) for raw in raws)


def compile_layouts(vendors: Iterable[Mapping[str, Any]]) -> tuple[Layout, ...]:
    """The table layouts among validated ``vendors`` entries (those naming no code decoder)."""
    return tuple(compile_layout(dict(item)) for item in vendors if item.get("decoder", "table") == "table")


class _Group(NamedTuple):
    """A list of header tests compiled for one check: it passes when any test passes."""

    contains: tuple[str, ...]
    prefixes: tuple[str, ...]
    equals: frozenset[str]

    def check(self, text: str) -> bool:
        if self.prefixes and text.startswith(self.prefixes):
            return True
        if text in self.equals:
            return True
        for value in self.contains:
            if value in text:
                return True
        return False


TestGroup = Callable[[str], bool]
"""A list of header tests compiled for one check: called with the text, true when a test passes."""


def _group(tests: tuple[Test, ...]) -> TestGroup | None:
    """The tests as one call; a list of a single kind (every list the shipped catalog has) as a
    method of ``str`` or ``frozenset`` itself, which costs no Python frame per message."""
    if not tests:
        return None
    group = _Group(contains=tuple(t.value for t in tests if t.kind == "contains"),
                   prefixes=tuple(t.value for t in tests if t.kind == "prefix"),
                   equals=frozenset(t.value for t in tests if t.kind == "equals"))
    if len(group.prefixes) == len(tests):
        return cast(TestGroup, operator.methodcaller("startswith", group.prefixes))
    if len(group.contains) == len(tests) == 1:
        return cast(TestGroup, operator.methodcaller("__contains__", group.contains[0]))
    if len(group.equals) == len(tests):
        return group.equals.__contains__
    return group.check


Markers = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
"""The body markers of one detect alternative, grouped: (gate, ((key, marker), ...)) — a piece
of a word every marker of the group holds, then each marker with its own key (see ``gates``)."""

Check = tuple[TestGroup | None, TestGroup | None, tuple[tuple[str, TestGroup | None], ...], Markers]
"""One detect alternative as (sender, subject, headers, body) checks."""


def marker_key(marker: str) -> str:
    """The longest word of a marker written with single spaces between words: a text whose
    whitespace-folded copy holds the marker holds it (a word lies within one of the fold's
    runs); "" (held by every text) for any other marker."""
    words = marker.split()
    return max(words, key=len) if words and marker == " ".join(words) else ""


_GATE_MIN = 4  # a shorter piece is in most texts: it would gate nothing


def _pieces(marker: str) -> set[str]:
    """The first five characters of a single-spaced marker's words (of ``_GATE_MIN`` or more):
    a text holds each when its fold holds the marker (``marker_key``'s reasoning holds for any
    piece of a word); none for another marker."""
    words = marker.split()
    if marker != " ".join(words):
        return set()
    return {word[:5] for word in words if len(word) >= _GATE_MIN}


def _rarest(phrases: tuple[str, ...]) -> Callable[[str], str]:
    """``marker_key`` choosing the word (of four characters or more, if any) the fewest of
    ``phrases`` (the catalog's markers) hold, then the longest: a word of many markers
    ("message", "delivered") is in most bounces, and a key a text holds saves no search."""
    held: dict[str, int] = {}
    for phrase in phrases:
        for word in set(phrase.split()):
            held[word] = held.get(word, 0) + 1

    def key(marker: str) -> str:
        words = marker.split()
        if not words or marker != " ".join(words):
            return ""
        best = ""
        for word in [word for word in words if len(word) >= _GATE_MIN] or words:
            if not best or (held.get(word, 0), -len(word), word) < (held.get(best, 0), -len(best), best):
                best = word
        return best
    return key


def gates(markers: tuple[str, ...], key: Callable[[str], str] = marker_key) -> Markers:
    """``markers`` grouped under gates, so that a text lacking a gate costs one search for the
    whole group (the six languages of Exchange Online's "diagnostic information for
    administrators" each begin a word with "diagn"): each marker's gate is the beginning of one
    of its words that the most markers hold (then the longest), or its
    ``key`` when it shares none. A marker's key is "" (no search) where its gate holds it.
    Built once per catalog and process: one pass, no search."""
    if len(set(markers)) < 2:  # most alternatives: one marker, its key
        return tuple((key(marker), (("", marker),)) for marker in markers[:1])
    pieces = {marker: _pieces(marker) for marker in markers}  # (a repeated marker once)
    held = Counter(piece for found in pieces.values() for piece in found)
    rank = {piece: (-count, -len(piece), piece) for piece, count in held.items() if count > 1}
    grouped: dict[str, list[tuple[str, str]]] = {}
    for marker, found in pieces.items():
        own = key(marker)
        shared = [rank[piece] for piece in found if piece in rank]
        gate = min(shared)[2] if shared else own
        grouped.setdefault(gate, []).append(("" if own in gate else own, marker))
    return tuple((gate, tuple(members)) for gate, members in grouped.items())


def detectors(layouts: tuple[Layout, ...]) -> tuple[tuple[Layout, tuple[Check, ...]], ...]:
    """Every layout with its alternatives as checks: detection runs for every message no
    standard decoder claimed, so its tests are grouped once per catalog."""
    key = _rarest(tuple(marker for layout in layouts for alt in layout.alternatives for marker in alt.body))
    return tuple(
        (layout, tuple((_group(alt.sender), _group(alt.subject),
                        tuple((name, _group(tests)) for name, tests in alt.headers),
                        gates(alt.body, key))
                       for alt in layout.alternatives))
        for layout in layouts)
