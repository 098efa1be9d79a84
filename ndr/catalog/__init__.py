"""The catalog: load, validate, index. The only module that reads YAML.

``load_catalog()`` reads the shipped ``catalog.yaml`` (found through the installed package), merges
an optional user catalog by id, validates everything at once — a broken file raises one
``CatalogError`` listing every problem with its line — and returns an immutable ``Catalog`` with
its lookup indexes and compiled patterns. Results are cached per (path, user file), so a process
compiles the catalog once. Nothing is read at import time.
"""
from __future__ import annotations

from ..errors import CatalogError
from .build import build
from .entries import Catalog, CodeEntry, Host, HostRule, Reason, Text, TextList
from .load import load_catalog, merge, read_yaml, shipped_catalog_path
from .validate import HARD_RULES, LANGS, SECTIONS, SMTP_COMMANDS, WHO, validate

__all__ = [
    "Catalog", "CatalogError", "CodeEntry", "HARD_RULES", "Host", "HostRule", "LANGS", "Reason", "SECTIONS",
    "SMTP_COMMANDS", "Text", "TextList", "WHO", "build", "load_catalog", "merge", "read_yaml",
    "shipped_catalog_path", "validate",
]
