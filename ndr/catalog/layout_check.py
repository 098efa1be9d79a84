"""Checks of a vendor layout as written in the catalog (the schema is in docs/catalog.md): every
problem, each with its field."""
from __future__ import annotations

import re
from typing import Any

from ..model import Action
from . import codes
from .match import regex_problem
from .layouts import _DETECT_KEYS, _DIAGNOSTIC_KEYS, _FIELDS, _SHAPES, _UNTIL


def _items(value: Any, name: str, what: str, problems: list[str], required: bool = False) -> list[Any]:
    """The items of a list field (none when absent); not a non-empty list is a problem."""
    if value is None and not required:
        return []
    if not isinstance(value, list) or not value:
        problems.append(f"{name} must be a non-empty list of {what}")
        return []
    return value


def _string_list(value: Any, name: str, problems: list[str], lowercase: bool = True) -> None:
    for phrase in _items(value, name, "phrases", problems):
        if not isinstance(phrase, str) or not phrase.strip():
            problems.append(f"{name}: {phrase!r} is not a phrase")
        elif lowercase and phrase != phrase.lower():
            problems.append(f"{name}: phrase {phrase!r} is not lowercase")
        elif phrase != phrase.strip() or "  " in phrase or "\t" in phrase:
            problems.append(f"{name}: phrase {phrase!r} has leading, trailing or repeated blanks")


def _test_problems(value: Any, name: str, problems: list[str]) -> None:
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        problems.append(f"{name}: empty list of tests")
    for test in items:
        if isinstance(test, dict):
            keys = set(test) - {"__line__"}
            if len(keys) != 1 or not keys <= {"prefix", "equals"}:
                problems.append(f"{name}: a test is a phrase, {{prefix: ...}} or {{equals: ...}}, not {test!r}")
                continue
            test = test[keys.pop()]
        if not isinstance(test, str):
            problems.append(f"{name}: test {test!r} is not a string")
        elif test != test.lower():
            problems.append(f"{name}: test {test!r} is not lowercase")


def _when_problems(value: Any, problems: list[str]) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not value:
        problems.append("when must be a non-empty list of {phrase, status?, action?}")
        return
    for index, rule in enumerate(value):
        where = f"when[{index}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("phrase"), str):
            problems.append(f"{where}: must be a mapping with a phrase")
            continue
        _string_list([rule["phrase"]], f"{where}.phrase", problems)
        for key in sorted(set(rule) - {"phrase", "status", "action", "__line__"}):
            problems.append(f"{where}: unknown key {key!r}")
        if "status" not in rule and "action" not in rule:
            problems.append(f"{where}: needs status or action")
        _action_status(rule, where, problems)


def _action_status(item: dict[str, Any], where: str, problems: list[str]) -> None:
    if "action" in item and item["action"] not in {a.value for a in Action}:
        problems.append(f"{where}.action {item['action']!r} is not a DSN action")
    status = item.get("status")
    if status is not None and (not isinstance(status, str) or not codes.STATUS_SHAPE.match(status)
                               or status[0] == "X"):
        problems.append(f"{where}.status {status!r} is not a status code C.S.D")


def _regex_list(value: Any, name: str, problems: list[str], groups: int, placeholder: str = "") -> None:
    for item in _items(value, name, "{regex: ...}", problems):
        if not isinstance(item, dict) or not isinstance(item.get("regex"), str):
            problems.append(f"{name}: {item!r} is not {{regex: ...}}")
            continue
        expression = item["regex"]
        if placeholder:
            if expression.count(placeholder) != 1:
                problems.append(f"{name}: regex must contain {placeholder} exactly once: {expression!r}")
                continue
            expression = expression.replace(placeholder, "x")
        problem = regex_problem(expression, per_line=True)
        if problem:
            problems.append(f"{name}: {problem}: {item['regex']!r}")
        elif re.compile(expression).groups != groups:
            problems.append(f"{name}: regex {item['regex']!r} must have exactly {groups} capturing "
                            f"group{'s' if groups != 1 else ''}")


def _detect_problems(value: Any, problems: list[str]) -> None:
    for index, alt in enumerate(_items(value, "detect", "alternatives", problems, required=True)):
        where = f"detect[{index}]"
        if not isinstance(alt, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        keys = set(alt) - {"__line__"}
        if not keys:
            problems.append(f"{where}: needs at least one of {', '.join(sorted(_DETECT_KEYS))}")
        for key in sorted(keys - _DETECT_KEYS):
            problems.append(f"{where}: unknown key {key!r} (known: {', '.join(sorted(_DETECT_KEYS))})")
        for key in ("from", "subject"):
            if key in alt:
                _test_problems(alt[key], f"{where}.{key}", problems)
        if "headers" in alt:
            headers = alt["headers"]
            if not isinstance(headers, dict) or not set(headers) - {"__line__"}:
                problems.append(f"{where}.headers must map header names to tests")
            else:
                for name, tests in headers.items():
                    if name != "__line__":
                        _test_problems(tests, f"{where}.headers.{name}", problems)
        if "body" in alt:
            _string_list(alt["body"], f"{where}.body", problems)
        if keys == {"from"}:
            problems.append(f"{where}: a From test alone is too broad; add subject, headers or body")


def _shape_problems(value: Any, problems: list[str]) -> None:
    for index, shape in enumerate(_items(value, "recipient", "line shapes", problems, required=True)):
        where = f"recipient[{index}]"
        if isinstance(shape, str):
            if shape not in _SHAPES:
                problems.append(f"{where}: unknown shape {shape!r} (known: {', '.join(_SHAPES)}, "
                                "{after: ...}, {regex: ...})")
            continue
        keys = set(shape) - {"__line__"} if isinstance(shape, dict) else set()
        if keys == {"after"}:
            _string_list([shape["after"]], f"{where}.after", problems)
        elif keys == {"regex"} and isinstance(shape["regex"], str):
            expression = shape["regex"]
            if expression.count("{address}") != 1:
                problems.append(f"{where}: regex must contain {{address}} exactly once: {expression!r}")
                continue
            problem = regex_problem(expression.replace("{address}", "x"), per_line=True)
            if problem:
                problems.append(f"{where}: {problem}: {expression!r}")
        else:
            problems.append(f"{where}: a shape is {', '.join(_SHAPES)}, {{after: ...}} or {{regex: ...}}, "
                            f"not {shape!r}")


def vendor_problems(item: dict[str, Any], reason_ids: set[str]) -> list[str]:
    """Problems in one table layout (the caller adds the entry's location)."""
    problems: list[str] = []
    for key in sorted(set(item) - _FIELDS):
        problems.append(f"unknown field {key!r}")
    _detect_problems(item.get("detect"), problems)
    for key in ("start", "end", "original"):
        _string_list(item.get(key), key, problems)
    _shape_problems(item.get("recipient"), problems)
    diagnostic = _mapping(item.get("diagnostic"), "diagnostic", _DIAGNOSTIC_KEYS, problems)
    if diagnostic is not None:
        if diagnostic.get("until", "recipient") not in _UNTIL:
            problems.append(f"diagnostic.until must be one of {', '.join(_UNTIL)}")
        for flag in ("block", "transcript"):
            if not isinstance(diagnostic.get(flag, False), bool):
                problems.append(f"diagnostic.{flag} must be true or false")
        _string_list(diagnostic.get("section"), "diagnostic.section", problems)
    for key in ("remote_mta", "reporting_mta"):
        _regex_list(item.get(key), key, problems, groups=0, placeholder="{host}")
    _regex_list(item.get("reply"), "reply", problems, groups=1)
    _string_list(item.get("recipient_headers"), "recipient_headers", problems)
    _when_problems(item.get("when"), problems)
    defaults = _mapping(item.get("defaults"), "defaults", {"action", "status"}, problems)
    if defaults is not None:
        _action_status(defaults, "defaults", problems)
    return problems


def _mapping(value: Any, name: str, keys: set[str], problems: list[str]) -> dict[str, Any] | None:
    """A mapping field with only ``keys`` (None when absent or not a mapping: a problem then)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"{name} must be a mapping")
        return None
    for key in sorted(set(value) - keys - {"__line__"}):
        problems.append(f"{name}: unknown key {key!r}")
    return value
