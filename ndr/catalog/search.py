"""Literal-first regex search: a catalog expression tried only where a literal it opens with stands.

Python's ``re`` tries an expression that opens with ``\\b``, ``^`` under ``re.M`` or a class at
every position of the text (20-60 instructions a character). Most of the catalog's expressions
open with a literal (``\\bhost (...)``), or with one of a few (``^(?:generating server|...)``):
the text is searched for those with ``str.find`` (a few instructions a character), and the
expression is tried only where one stands — with ``match``, which still sees the character
before (``\\b``, ``^``): the same first match as ``search``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import compress, repeat

from .match import aligned_lower, has_top_level_alternation, literal_prefix
from ..lazy import regex


_Entry = tuple["re.Pattern[str]", tuple[str, ...], bool, str, "re.Pattern[str] | None"]  # see _entry
_LITERALS: dict[int, _Entry] = {}
"""Entries by ``id`` of the pattern (hashing a Pattern hashes its whole code)."""


def literal_search(pattern: re.Pattern[str], text: str, lower: str | None = None) -> re.Match[str] | None:
    """``pattern.search(text)``, tried only where a literal that opens every match stands
    (``search`` tries every position: 20 ns a character). ``match`` there still sees the
    character before (``\\b``, ``^``): the same first match. ``lower``: ``aligned_lower(text)``."""
    entry = _LITERALS.get(id(pattern))
    if entry is None or entry[0] is not pattern:
        entry = _entry(pattern)
        if len(_LITERALS) < 4096:  # catalogs are compiled once; bounded all the same
            _LITERALS[id(pattern)] = entry  # holding the pattern keeps its id
    _, openers, ignores_case, where, lines = entry
    haystack = (lower if lower is not None else aligned_lower(text)) if ignores_case else text
    if not openers or haystack is None:
        return pattern.search(text)
    if lines is None and not any(literal in haystack for literal in openers):
        return None
    return _search_at(entry, haystack, text)


def _search_at(entry: _Entry, haystack: str, text: str) -> re.Match[str] | None:
    """The first match of ``entry``'s pattern in ``text``, tried only where one of its openers
    stands in ``haystack`` (``text`` or its aligned lowercase) — at 0 only, or at line starts
    only (found by its ``lines`` expression when there are several)."""
    pattern, openers, _, where, lines = entry
    if where and haystack.startswith(openers):
        match = pattern.match(text)
        if match is not None or where == "start":
            return match
    if where == "start":
        return None
    if lines is not None:  # one search for all the openers at line starts
        found = lines.search(haystack)
        while found is not None:
            match = pattern.match(text, found.start() + 1)
            if match is not None:
                return match
            found = lines.search(haystack, found.start() + 1)
        return None
    needles = openers if where != "lines" else tuple("\n" + opener for opener in openers)
    skip = len(needles[0]) - len(openers[0])  # a match starts after the newline
    if len(needles) == 1:
        return _match_from(pattern, needles[0], haystack, text, haystack.find(needles[0]), skip)
    positions = [haystack.find(needle) for needle in needles]
    while any(at >= 0 for at in positions):
        at = min(at for at in positions if at >= 0)
        match = pattern.match(text, at + skip)
        if match is not None:
            return match
        positions = [haystack.find(needle, at + 1) if found == at else found
                     for needle, found in zip(needles, positions)]
    return None


def _match_from(pattern: re.Pattern[str], literal: str, haystack: str, text: str,
                at: int, skip: int = 0) -> re.Match[str] | None:
    """The first match of ``pattern`` in ``text`` at a position of ``literal`` in ``haystack``
    (plus ``skip``) from ``at`` (the first such position, or -1) on."""
    while at >= 0:
        match = pattern.match(text, at + skip)
        if match is not None:
            return match
        at = haystack.find(literal, at + 1)
    return None


_PLANS: dict[int, tuple[object, tuple[_Entry, ...], tuple[str, ...] | None, "_Gate | None"]] = {}
"""(expressions, their entries, their keys, their gate: ``plan_of``) by ``id`` of a sequence that
does not change (a catalog field's)."""


def _planned(expressions: Iterable[re.Pattern[str]]) -> tuple[object, tuple[_Entry, ...], tuple[str, ...] | None, "_Gate | None"]:
    """``expressions`` with their plan, from ``_PLANS`` (built and kept there when it lacks it)."""
    known = _PLANS.get(id(expressions))
    if known is None or known[0] is not expressions:
        known = (expressions, *plan_of(expressions))
        if isinstance(expressions, Sequence) and not isinstance(expressions, list) and len(_PLANS) < 1024:
            _PLANS[id(expressions)] = known  # holding them keeps their id
    return known


_LAST: list[str | None] = [None, None]
"""The last text ``first_search`` lowercased, and its aligned lowercase (one, by identity)."""


def first_search(expressions: Iterable[re.Pattern[str]], text: str,
                 lower: str | None = None) -> re.Match[str] | None:
    """The match of the first of ``expressions`` that matches ``text`` anywhere: ``literal_search``
    of each in turn, with the openers looked up once per sequence, the text lowercased once
    (``lower``: ``aligned_lower(text)``, when the caller has it), and an expression whose
    openers the text lacks passed over without a call."""
    _, plan, keys, gate = _planned(expressions)
    if gate is not None and gate[0].match(text) is None:
        plan, keys = gate[1], gate[2]  # none of the gated expressions matches: not tried one by one
    if lower is None:
        if text is _LAST[0]:  # the same string asked about again (a diagnostic: who answered,
            lower = _LAST[1]  # then who was tried): its lowercase once
        else:
            lower = aligned_lower(text)
            _LAST[:] = text, lower
    entries: Iterable[_Entry] = plan
    if keys is not None and lower is not None:
        entries = compress(plan, map(lower.__contains__, keys))
    filtered = entries is not plan
    for entry in entries:
        pattern, openers, ignores_case, _, lines = entry
        haystack = lower if ignores_case else text
        if not openers or haystack is None:
            match = pattern.search(text)
        else:
            if lines is None and (not filtered or len(openers) > 1):
                for literal in openers:  # ``in`` parses no arguments, ``find`` does: most are absent
                    if literal in haystack:
                        break
                else:
                    continue
            match = _search_at(entry, haystack, text)
        if match is not None:
            return match
    return None


_Gate = tuple["re.Pattern[str]", tuple[_Entry, ...], "tuple[str, ...] | None"]
"""One expression matching where any of the gated ones does, and the plan without those."""
Plan = tuple[tuple[_Entry, ...], "tuple[str, ...] | None", "_Gate | None"]
"""What ``first_search`` works from for a sequence of expressions: their entries, their keys,
and their gate."""


def holding(expressions: Sequence[re.Pattern[str]], lower: str) -> Iterable[re.Pattern[str]]:
    """Those of ``expressions`` (a catalog field's, all under re.I) that may match a text whose
    aligned lowercase is ``lower``, in order: those whose single opener it holds (filtered in C
    with the plan's keys), and those without one. For a caller that reads more than the first
    match (``literal_search`` of each)."""
    keys = _planned(expressions)[2]
    return expressions if keys is None else compress(expressions, map(lower.__contains__, keys))


def plan_of(expressions: Iterable[re.Pattern[str]]) -> Plan:
    """The plan of a sequence of expressions: each one's entry (``literal_search``'s), and when
    all ignore case, each one's single opener ("" where it has none or several, always present)
    as its key, for the text to be filtered by in C before any is looked at. Built on first use,
    or ahead with a catalog (``adopt``).

    The gate: expressions without openers that can only match at the start (``^ ?<{address}``,
    ``^ ?"?{address}`` ... of the recipient lines), each tried at the start of every line with an
    "@", joined into one that matches there when one of them does; a line it does not match
    skips them all at once (most lines with an "@" name no recipient)."""
    plan = tuple(_entry(pattern) for pattern in expressions)
    keys = tuple(e[1][0] if len(e[1]) == 1 else "" for e in plan) if all(e[2] for e in plan) else None
    gated = [not e[1] and _at_start_only(e[0]) for e in plan]
    flags = {int(e[0].flags) for e, g in zip(plan, gated) if g}
    if sum(gated) < 3 or len(flags) != 1:
        return plan, keys, None
    sources = [_uncaptured(e[0].pattern) for e, g in zip(plan, gated) if g]
    rest = tuple(e for e, g in zip(plan, gated) if not g)
    kept = tuple(k for k, g in zip(keys, gated) if not g) if keys is not None else None
    return plan, keys, (regex("|".join(f"(?:{s})" for s in sources), flags.pop()), rest, kept)


def _at_start_only(pattern: re.Pattern[str]) -> bool:
    """True when every match of ``pattern`` starts at 0: it opens with ``^`` (not under re.M),
    has no top-level alternation, and refers to no group (the gate drops their names)."""
    source = pattern.pattern
    return (isinstance(source, str) and source.startswith("^") and not int(pattern.flags) & (_MULTILINE | _VERBOSE)
            and not has_top_level_alternation(source) and "(?P=" not in source and not _BACKREF.search(source))


_BACKREF = regex(r"\\[1-9g]")


def _uncaptured(expression: str) -> str:
    """``expression`` with its named groups made plain groups (``(?P<address>`` → ``(?:``): the
    same matches, and no clash between expressions joined into one."""
    cuts = [at for at, char, _ in _depths(expression) if char == "(" and expression.startswith("?P<", at + 1)]
    for at in reversed(cuts):
        expression = expression[:at] + "(?:" + expression[expression.index(">", at) + 1:]
    return expression


def adopt(expressions: Sequence[re.Pattern[str]] | None, plan: Plan) -> None:
    """Take a plan built ahead (pickled with a compiled catalog, so that a process reading one
    bounce does not read the expressions' sources again): ``first_search`` of ``expressions``
    (None: none, only ``literal_search`` of each) and ``literal_search`` of each of them use it."""
    if expressions is not None and len(_PLANS) < 1024:
        _PLANS[id(expressions)] = (expressions, *plan)
    for entry in plan[0]:
        if len(_LITERALS) < 4096:
            _LITERALS[id(entry[0])] = entry


class Planned:
    """Plans built ahead, each (expressions or None, plan), adopted when made: so when unpickled
    with the compiled catalog that holds them (``Notices.prepare``)."""

    __slots__ = ("plans",)

    def __init__(self, plans: tuple[tuple[Sequence[re.Pattern[str]] | None, Plan], ...]) -> None:
        self.plans = plans
        for expressions, plan in plans:
            adopt(expressions, plan)

    def __reduce__(self) -> tuple[type["Planned"], tuple[tuple[tuple[Sequence[re.Pattern[str]] | None, Plan], ...]]]:
        return Planned, (self.plans,)


def _entry(pattern: re.Pattern[str]) -> _Entry:
    """(pattern, the literals one of which opens every match — lowercased under ``re.I``, none
    when unknown —, whether it ignores case, where every match starts: "start" (``^``), "lines"
    (``^`` under ``re.M``) or "" (anywhere), and for several openers at line starts the
    expression that finds them all in one pass: ``\\n(?:received|return-path|...)``)."""
    flags = int(pattern.flags)  # RegexFlag's & runs Python code (enum) each time; an int's does not
    ignores_case = bool(flags & _IGNORECASE)
    if not isinstance(pattern.pattern, str) or flags & _VERBOSE:
        return pattern, (), ignores_case, "", None
    openers, anchored = _openers(pattern.pattern)
    # ASCII heads only: under re.I a non-ASCII letter may match an ASCII one (K and the Kelvin
    # sign), which a plain find would miss; a head of an opener opens the match all the same
    heads = tuple(next((o[:i] for i, c in enumerate(o) if not c.isascii()), o) for o in openers)
    if not all(heads):
        heads = ()
    elif ignores_case:
        heads = tuple(head.lower() for head in heads)
    where = ("lines" if flags & _MULTILINE else "start") if anchored else ""
    lines = regex("\n(?:" + "|".join(map(re.escape, heads)) + ")") if where == "lines" and len(heads) > 1 else None
    return pattern, heads, ignores_case, where, lines


_IGNORECASE, _MULTILINE, _VERBOSE = int(re.IGNORECASE), int(re.MULTILINE), int(re.VERBOSE)


def _openers(expression: str) -> tuple[tuple[str, ...], bool]:
    """The literals one of which opens every match of ``expression`` (after its ``^`` or ``\\b``;
    none when a match may open otherwise), and whether every alternative opens with ``^``:
    ``^(?:generating server|servidor gerador):`` gives both names. Groups are read only when
    plain (no lookaround, not optional); "[]" (a class holding "]") is not read at all."""
    if "[]" in expression or "[^]" in expression:
        return (), False
    openers: list[str] = []
    anchored = True
    for alternative in _alternatives(expression) if "|" in expression else [expression]:
        literal = _leading_literal(alternative, alone=True)
        if literal:
            openers.append(literal)
            anchored = anchored and alternative.startswith("^")
            continue
        body = alternative[1:] if alternative.startswith("^") else alternative[2:] \
            if alternative.startswith("\\b") else alternative
        inner = 3 if body.startswith("(?:") else body.find(">") + 1 if body.startswith("(?P<") \
            else 1 if body.startswith("(") and not body.startswith("(?") else 0
        end = next((at + 1 for at, char, depth in _depths(body) if char == ")" and not depth), -1) if inner else -1
        if end < 0 or body[end:end + 1] in ("?", "*", "{"):
            return (), False
        found, inside = _openers(body[inner:end - 1])
        if not found:
            return (), False
        openers += found
        anchored = anchored and (alternative.startswith("^") or inside)
    return tuple(openers), anchored


def _depths(expression: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, groups open after it) of each ``(``, ``)`` and ``|`` outside escapes
    and classes (``match._structure``'s reading, found by an expression: it ran a Python step
    for every character of every expression a first search reads, at every start)."""
    depth = 0
    for token in _TOKENS.finditer(expression):
        char = token.group()
        if char in ("(", ")", "|"):  # an escape or a class is passed over whole
            depth += 1 if char == "(" else -1 if char == ")" else 0
            yield token.start(), char, depth


# A class runs to its first unescaped "]", or to the end (as _structure reads an unclosed one):
# the class branch never fails, so a run of "[" is read once, not once from each.
_TOKENS = regex(r"\\.|\[(?:\\.?|[^\]\\])*(?:\]|\Z)|[()|]", re.S)


def _alternatives(expression: str) -> list[str]:
    """The top-level alternatives of ``expression`` (itself when it has none)."""
    cuts = [-1, *(at for at, char, depth in _depths(expression) if char == "|" and not depth), len(expression)]
    return [expression[start + 1:stop] for start, stop in zip(cuts, cuts[1:])]


def _head(expression: str) -> str:
    """``expression`` up to its first special character past the anchor, that one included: all
    ``literal_prefix`` reads of an expression without top-level alternation (its alternation
    check then reads a few characters, not a whole address pattern, at every start)."""
    start = 1 if expression.startswith("^") else 2 if expression.startswith("\\b") else 0
    cuts = [at for at in map(expression.find, _SPECIAL, repeat(start)) if at >= 0]
    return expression[:min(cuts) + 1] if cuts else expression


_SPECIAL = ".^$*+?{}[]\\|()"
_ESCAPED = frozenset(" .-/:;,'\"@#%&=<>!~[](){}|*+?$^")  # what an escape makes literal (\. is a dot)


def _leading_literal(expression: str, alone: bool = False) -> str:
    """``literal_prefix`` continued through escaped punctuation: ``^hi\\. this is the qmail``
    gives ``hi. this is the qmail``, not ``hi`` (a pair of letters in most texts, each a try).
    ``alone``: the expression is known to have no top-level alternation."""
    if not alone and "|" in expression and has_top_level_alternation(expression):
        return ""
    literal = literal_prefix(_head(expression))
    body = expression[1:] if expression.startswith("^") else expression[2:] \
        if expression.startswith("\\b") else expression
    rest = body[len(literal):]
    while rest[:1] == "\\" and rest[1:2] in _ESCAPED and rest[2:3] not in ("*", "?", "{"):
        tail = rest[2:]  # at the top level: its literal prefix (past no anchor) continues this one
        more = "" if tail.startswith(("^", "\\b")) else literal_prefix(_head(tail))
        literal += rest[1] + more
        rest = tail[len(more):]
    return literal
