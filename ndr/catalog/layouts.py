"""The catalog's ``vendors`` layouts compiled for the table decoder (schema: docs/catalog.md).

``Catalog.layouts`` and ``Catalog.detectors`` build them once per catalog.
"""

import functools
import re
from typing import Any, Iterable, Mapping, NamedTuple

from ..model import Action
from ..lazy import regex
from .match import ADDRESS_GROUP, compile_shape


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
    )


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


def _group(tests: tuple[Test, ...]) -> _Group | None:
    if not tests:
        return None
    return _Group(contains=tuple(t.value for t in tests if t.kind == "contains"),
                  prefixes=tuple(t.value for t in tests if t.kind == "prefix"),
                  equals=frozenset(t.value for t in tests if t.kind == "equals"))


Check = tuple[_Group | None, _Group | None, tuple[tuple[str, _Group | None], ...], tuple[tuple[str, str], ...]]
"""One detect alternative as (sender, subject, headers, body) checks; the body's markers each
as (key, marker): a word the text must hold for the marker to be in its fold (see
``marker_key``)."""


def marker_key(marker: str) -> str:
    """The longest word of a marker written with single spaces between words: a text whose
    whitespace-folded copy holds the marker holds it (a word lies within one of the fold's
    runs); "" (held by every text) for any other marker."""
    words = marker.split()
    return max(words, key=len) if words and marker == " ".join(words) else ""


def detectors(layouts: tuple[Layout, ...]) -> tuple[tuple[Layout, tuple[Check, ...]], ...]:
    """Every layout with its alternatives as checks: detection runs for every message no
    standard decoder claimed, so its tests are grouped once per catalog."""
    return tuple(
        (layout, tuple((_group(alt.sender), _group(alt.subject),
                        tuple((name, _group(tests)) for name, tests in alt.headers),
                        tuple((marker_key(marker), marker) for marker in alt.body))
                       for alt in layout.alternatives))
        for layout in layouts)
