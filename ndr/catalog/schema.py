"""The shape of one catalog file, checked before files are merged: known sections and fields,
lists where lists belong, string ids. A field name with a typo (``code:`` for ``status:``) would
otherwise pass silently and its entry never apply; a wrong type would surface later as an
internal error instead of a message naming the file, the line and the field.

The field lists are data: a new catalog field is one word added here (and its meaning in
``build.py``). ``vendors`` entries are checked by the decoder that owns their layout.
"""
from __future__ import annotations

from typing import Any

from .validate import SECTIONS

TOP_LEVEL = frozenset({"version", "notices", *SECTIONS})  # notices: the house issue's new section
FIELDS: dict[str, frozenset[str]] = {
    "reasons": frozenset({"id", "priority", "hard", "default_status", "summary", "advice", "patterns",
                          "source", "dsn_fields", "after_data", "diagnostic_types", "yields_to",
                          "commands", "retried"}),
    "codes": frozenset({"id", "status", "reply", "title", "reason", "decisive", "permanent", "vendor",
                        "who", "causes", "fixes", "patterns", "explains", "yields_to", "source",
                        "general", "rfc_status"}),
    "hosts": frozenset({"id", "name", "remote_hosts", "domains", "rules", "source", "notices"}),
    "hosts.rules": frozenset({"reason", "status", "reply", "phrase", "command"}),
}
LISTS = frozenset({"patterns", "explains", "yields_to", "commands", "diagnostic_types", "who",
                   "remote_hosts", "domains", "rules"})
"""Fields that must hold a list when present."""


def shape_problems(data: dict[str, Any]) -> list[str]:
    """The problems of one file's data (as read by ``read_yaml``) that would break the merge or
    the validation: sections that are no lists, entries that are no mappings, ids that are no
    strings."""
    return [p for p in _all_problems(data) if not p.endswith(_ADVISORY)]


def field_problems(data: dict[str, Any], also: dict[str, set[str]] | None = None) -> list[str]:
    """Unknown keys and fields (typos) of one file, each with its line: reported with the
    validation's problems. ``also``: more known fields per section (``used_fields`` of the
    shipped catalog: a field ndr's own catalog uses is known, even before it is listed here)."""
    return [p.removesuffix(_ADVISORY) for p in _all_problems(data, also or {}) if p.endswith(_ADVISORY)]


def used_fields(data: dict[str, Any]) -> dict[str, set[str]]:
    """The fields the entries of each section use (and ``hosts.rules`` those of host rules)."""
    used: dict[str, set[str]] = {}
    for section in SECTIONS:
        for item in data.get(section) or ():
            if isinstance(item, dict):
                used.setdefault(section, set()).update(str(k) for k in item)
                if section == "hosts" and isinstance(item.get("rules"), list):
                    used.setdefault("hosts.rules", set()).update(
                        str(k) for rule in item["rules"] if isinstance(rule, dict) for k in rule)
    return used


_ADVISORY = "\x00"


def _all_problems(data: dict[str, Any], also: dict[str, set[str]] | None = None) -> list[str]:
    problems = [f"unknown top-level key {key!r}{_hint(key, TOP_LEVEL)}{_ADVISORY}"
                for key in data if key not in TOP_LEVEL and key != "__line__"]
    for section in SECTIONS:
        items = data.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(f"section {section!r} must be a list of entries, not {_kind(items)}")
            continue
        for index, item in enumerate(items):
            problems += _item_problems(section, index, item, also or {})
    return problems


def _item_problems(section: str, index: int, item: Any, also: dict[str, set[str]]) -> list[str]:
    where = f"{section}[{index}]"
    if not isinstance(item, dict):
        return [f"{where}: must be a mapping, not {_kind(item)}"]
    if item.get("__line__"):
        where = f"line {item['__line__']}: {where}"
    ident = item.get("id")
    if "id" in item and (not isinstance(ident, str) or not ident):
        return [f"{where}: field 'id' must be a non-empty string, not {_kind(ident)}"]
    if ident:
        where += f" id={ident}"
    problems: list[str] = []
    known = FIELDS.get(section)
    if known is not None:
        problems += _field_problems(where, item, known | also.get(section, set()))
    if section == "hosts" and isinstance(item.get("rules"), list):
        for number, rule in enumerate(item["rules"]):
            rule_where = f"{where} rule {number}"
            if isinstance(rule, dict):
                problems += _field_problems(rule_where, rule, FIELDS["hosts.rules"] | also.get("hosts.rules", set()))
    return problems


def _field_problems(where: str, item: dict[str, Any], known: frozenset[str]) -> list[str]:
    problems = []
    for key, value in item.items():
        if key == "__line__":
            continue
        if key not in known:
            problems.append(f"{where}: unknown field {key!r}{_hint(key, known)}{_ADVISORY}")
        elif key in LISTS and value is not None and not isinstance(value, list):
            problems.append(f"{where}: field {key!r} must be a list, not {_kind(value)}")
    return problems


def _hint(key: Any, known: frozenset[str]) -> str:
    import difflib  # only when a catalog has a problem

    close = difflib.get_close_matches(str(key), sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"
