"""The catalog: load, validate, index. The only module that reads YAML.

``load_catalog()`` reads the shipped ``catalog.yaml`` (found through the installed package), merges
an optional user catalog by id, validates everything at once — a broken file raises one
``CatalogError`` listing every problem with its line — and returns an immutable ``Catalog`` with
its lookup indexes and compiled patterns. Results are cached per (path, user file), so a process
compiles the catalog once. Nothing is read at import time.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import CatalogError
from ..lazy import load_on_first_use
from .entries import Catalog, CodeEntry, Host, HostRule, Reason, Text, TextList
from .load import load_catalog, merge, read_yaml, shipped_catalog_path

if TYPE_CHECKING:
    from .build import build
    from .validate import HARD_RULES, LANGS, SECTIONS, SMTP_COMMANDS, WHO, validate

# Building and validating a catalog is needed only when its disk cache is missing or stale (and
# by `ndr catalog check`): imported when first asked for, so that `ndr parse` does not pay for it.
_LAZY = {
    "build": ".build", "HARD_RULES": ".validate", "LANGS": ".validate", "SECTIONS": ".validate",
    "SMTP_COMMANDS": ".validate", "WHO": ".validate", "validate": ".validate",
}

__all__ = [
    "Catalog", "CatalogError", "CodeEntry", "HARD_RULES", "Host", "HostRule", "LANGS", "Reason", "SECTIONS",
    "SMTP_COMMANDS", "Text", "TextList", "WHO", "build", "load_catalog", "merge", "read_yaml",
    "shipped_catalog_path", "validate",
]


load_on_first_use(__name__, _LAZY)
