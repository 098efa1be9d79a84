"""Which catalog regexes match in linear time: a rule on the parsed expression, strict enough that
Python's backtracking engine never goes back over text more than a bounded number of times.

Python's ``re`` counts no steps, so the rule is proved by growth in
``tests/test_hostile_catalog.py`` (time at bait size n and 2n, on bait built from each regex's
own structure). An expression is accepted when:

1. it holds no backreference (``\\1``, ``(?P=name)``) and no conditional group;
2. no repeated element (``*``, ``+``, ``{m,n}`` with n > 1) contains another repetition or an
   alternation: ``(a|aa)+``, ``(?:a?){24}``, ``(\\w+\\s?)*`` are refused;
3. no unbounded repetition stands inside a lookaround (``(?!.*x)`` rescans the rest of the
   text at every place it is tried; ``(?!.{0,200}x)`` is fine);
4. no second unbounded repetition follows an unbounded one before a character the first cannot
   match (backing off the first would rerun the second: quadratic); and unless the expression
   is anchored with ``^`` or the repetition ends it, the repetition's class refuses a character
   of the literal text before it, so runs tried from different places cannot overlap:
   ``\\b550 <[^<>\\s]+>`` is fine, ``\\bx.*y`` is not (write ``\\bx[^y]*y``, or bound it:
   ``.{0,200}``).

Vendor layouts (``per_line``) see one line at a time and are held to rules 1-3.
"""
from __future__ import annotations

import re
from typing import Any

from re import _constants as _c, _parser as _p  # type: ignore[attr-defined]  # the stdlib parse

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
_LOOKS = {_c.ASSERT, _c.ASSERT_NOT}
_UNBOUNDED = _c.MAXREPEAT
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)
_BOUNDARIES = {_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY}


def linear_problem(expression: str, per_line: bool = False) -> str | None:
    """Why ``expression`` may backtrack more than linearly, or None when the rule accepts it.
    Classes are read case-insensitively (vendor layouts compile with ``re.I``): stricter.
    ``per_line``: the expression only ever sees one line (vendor layouts), rules 1-3 apply."""
    try:
        parsed = _p.parse(expression)
    except re.error:
        return None  # the caller reports that it does not compile
    items = list(parsed.data)
    anchored = bool(items) and items[0] == (_c.AT, _c.AT_BEGINNING) \
        and not parsed.state.flags & re.MULTILINE or bool(items) and items[0] == (_c.AT, _c.AT_BEGINNING_STRING)
    return _sequence(items, [], [], anchored, in_look=False, per_line=per_line)


def _sequence(items: list[Any], rest: list[Any], before: list[Any], anchored: bool,
              in_look: bool, per_line: bool = False) -> str | None:
    """Check one sequence; ``rest`` is what follows it, ``before`` the literals known to precede."""
    seen = list(before)
    for position, (op, value) in enumerate(items):
        after = items[position + 1:] + rest
        problem: str | None = None
        if op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            return "regex uses a backreference or a conditional group"
        if op in _REPEATS:
            problem = _repeat(value, after, seen, anchored, in_look, per_line)
        elif op is _c.SUBPATTERN or (_ATOMIC is not None and op is _ATOMIC):
            problem = _sequence(list((value if op is _ATOMIC else value[-1]).data), after, seen, anchored, in_look,
                                per_line)
        elif op is _c.BRANCH:
            problem = next(filter(None, (_sequence(list(alternative.data), after, seen, anchored, in_look, per_line)
                                         for alternative in value[1])), None)
        elif op in _LOOKS:
            problem = _sequence(list(value[1].data), [], [], True, in_look=True)
        if problem:
            return problem
        if op is _c.LITERAL:
            seen.append((op, value))
    return None


def _repeat(value: Any, after: list[Any], before: list[Any], anchored: bool, in_look: bool,
            per_line: bool) -> str | None:
    low, high, body = value
    body_items = list(body.data)
    if high > 1 and any(_varies(item) for item in body_items) and not _delimited(body_items):
        return "regex has a nested quantifier or a repeated alternation (catastrophic backtracking)"
    problem = _sequence(body_items, after, before, anchored, in_look, per_line)
    if problem or high != _UNBOUNDED:
        return problem
    if in_look:
        return "regex has an unbounded repetition inside a lookaround (bound it, e.g. .{0,200})"
    if per_line:
        return None
    for op, v in after:  # up to the first character the run cannot cross
        if op is _c.LITERAL and not _body_matches(body_items, chr(v)):
            break
        if op in _REPEATS and v[0] >= 1 and v[2].data and v[2].data[0][0] is _c.LITERAL \
                and not _body_matches(body_items, chr(v[2].data[0][1])):
            break  # a repetition that must start with such a character
        if op in _REPEATS and v[1] == _UNBOUNDED:
            return ("regex has two unbounded repetitions with nothing between them that the first "
                    "cannot match (quadratic backtracking)")
    if anchored or not any(op is not _c.AT for op, _ in after):
        return None
    if not any(not _body_matches(body_items, chr(v)) for op, v in before if op is _c.LITERAL):
        return ("regex has an unbounded repetition whose class also matches the text before it "
                "(runs tried from different places overlap; exclude a character of that text)")
    return None


def _delimited(body: list[Any]) -> bool:
    """A repeated body that starts with a character none of its own repetitions can take
    (``(?:\\.\\w+)+``): each pass can only begin at such a character, so one way to split."""
    if not body or body[0][0] is not _c.LITERAL:
        return False
    return _stops(body[1:], chr(body[0][1]))


def _stops(items: list[Any], char: str) -> bool:
    for op, value in items:
        if op is _c.BRANCH:
            return False
        if op in _REPEATS:
            inner = list(value[2].data)
            if value[0] != value[1] and _body_matches(inner, char) or not _stops(inner, char):
                return False
        elif op is _c.SUBPATTERN and not _stops(list(value[-1].data), char):
            return False
    return True


def _varies(item: Any) -> bool:
    """True when the item can match texts of different lengths or by different routes."""
    op, value = item
    if op in _REPEATS:
        return bool(value[0] != value[1] or any(_varies(i) for i in value[2].data))
    if op is _c.BRANCH:
        return True
    if op is _c.SUBPATTERN:
        return any(_varies(i) for i in value[-1].data)
    return False


def _body_matches(items: list[Any], char: str) -> bool:
    """Whether a repeated body can take ``char`` anywhere (any of its characters, classes,
    repetitions, groups or alternatives; anything else is assumed to take it)."""
    for op, value in items:
        if op in _SINGLE:
            if _matches((op, value), char):
                return True
        elif op in _REPEATS:
            if _body_matches(list(value[2].data), char):
                return True
        elif op is _c.SUBPATTERN:
            if _body_matches(list(value[-1].data), char):
                return True
        elif op is _c.BRANCH:
            if any(_body_matches(list(alternative.data), char) for alternative in value[1]):
                return True
        elif op is not _c.AT:
            return True
    return False


_SINGLE = {_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN}


def _matches(element: Any, char: str) -> bool:
    """Whether one single-character element (literal, class, any) can match ``char`` in either
    case."""
    return any(_one(element, c) for c in {char, char.lower(), char.upper()})


def _one(element: Any, char: str) -> bool:
    op, value = element
    if op is _c.LITERAL:
        return bool(ord(char) == value)
    if op is _c.NOT_LITERAL:
        return bool(ord(char) != value)
    if op is _c.ANY:
        return char != "\n"
    if op is _c.IN:
        negate = bool(value) and value[0][0] is _c.NEGATE
        hit = any(_in_item(item, char) for item in value[1 if negate else 0:])
        return hit != negate
    return True  # anything else: assume it may match (the safe answer here)


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


_CATEGORIES = {  # category → (test, negated)
    _c.CATEGORY_DIGIT: (str.isdigit, False), _c.CATEGORY_NOT_DIGIT: (str.isdigit, True),
    _c.CATEGORY_SPACE: (str.isspace, False), _c.CATEGORY_NOT_SPACE: (str.isspace, True),
    _c.CATEGORY_WORD: (_word, False), _c.CATEGORY_NOT_WORD: (_word, True),
}


def _in_item(item: Any, char: str) -> bool:
    op, value = item
    if op is _c.LITERAL:
        return bool(ord(char) == value)
    if op is _c.RANGE:
        return bool(value[0] <= ord(char) <= value[1])
    if op is _c.CATEGORY and value in _CATEGORIES:
        test, negated = _CATEGORIES[value]
        return test(char) != negated
    return True
