"""The catalog: load, validate, index. The only module that reads YAML.

``load_catalog()`` reads the shipped ``catalog.yaml`` (found through the installed package), merges
an optional user catalog by id, validates everything at once — a broken file raises one
``CatalogError`` listing every problem with its line — and returns an immutable ``Catalog`` with
its lookup indexes and compiled patterns. Results are cached per (path, user file), so a process
compiles the catalog once. Nothing is read at import time.
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING

from ..errors import CatalogError
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


def __getattr__(name: str) -> object:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


class _Package(ModuleType):
    """This package, keeping its functions ``build`` and ``validate`` over their modules' names.

    Importing a submodule sets it as an attribute of its package: the first import of
    ``ndr.catalog.build`` would replace the function ``ndr.catalog.build`` with the module of the
    same name, as it did not when this package imported both functions eagerly. The function stays.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in ("build", "validate") and isinstance(value, ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
