"""Every entry of a catalog file speaks every language that file uses.

A catalog that gives Portuguese for one entry promises Portuguese for all of them: an entry with
English only would show English in the middle of a Portuguese report. The check runs per file
(the shipped catalog, and a user catalog on its own terms), so an English-only user catalog stays
valid while the shipped one must be complete.
"""
from __future__ import annotations

from typing import Any

TEXT_FIELDS = ("title", "summary", "advice", "causes", "fixes")
"""Fields holding human text; a plain string there is English."""

SECTIONS = ("reasons", "codes", "hosts", "vendors")


def _localized(item: dict[str, Any]) -> dict[str, set[str]]:
    """The text fields of one entry and the languages each one has."""
    fields: dict[str, set[str]] = {}
    for key, value in item.items():
        if isinstance(value, dict) and "en" in value:
            fields[key] = {k for k in value if k != "__line__"}
        elif key in TEXT_FIELDS and isinstance(value, (str, list)):
            fields[key] = {"en"}
    return fields


def catalog_languages(data: dict[str, Any]) -> list[str]:
    """Languages used by any entry of the file, English first."""
    used: set[str] = {"en"}
    for section in SECTIONS:
        for item in data.get(section) or []:
            if isinstance(item, dict):
                for langs in _localized(item).values():
                    used |= langs
    return sorted(used, key=lambda lang: (lang != "en", lang))


def language_problems(data: dict[str, Any], file: str | None = None) -> list[str]:
    """One problem per entry field that lacks a language the file uses elsewhere.

    Each names the line, the entry, the field and the missing languages; ``file`` prefixes it
    when several files are checked together.
    """
    langs = catalog_languages(data)
    if len(langs) < 2:
        return []
    prefix = f"{file}: " if file else ""
    problems: list[str] = []
    for section in SECTIONS:
        for index, item in enumerate(data.get(section) or []):
            if not isinstance(item, dict):
                continue
            label = f"{section}[{index}]" + (f" id={item['id']}" if item.get("id") else "")
            for key, have in _localized(item).items():
                missing = [lang for lang in langs if lang not in have]
                if not missing:
                    continue
                # The field's own line when it is a mapping, else the entry's.
                value = item[key]
                line = value.get("__line__") if isinstance(value, dict) else item.get("__line__")
                where = f"{prefix}line {line}: {label}" if line else f"{prefix}{label}"
                problems.append(f"{where}: {key} lacks {', '.join(missing)} "
                                f"(the catalog uses {', '.join(langs)})")
    return problems
