"""Names a package loads when first asked for (PEP 562), so that `ndr parse` in a mailbox rule
does not pay for what it never uses (the generator, explain, catalog building)."""
from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from types import ModuleType


class _LazyPackage(ModuleType):
    """A package that keeps its lazily loaded functions over their modules' names.

    Importing a submodule sets it as an attribute of its package: the first ``import
    ndr.generate`` would replace the function ``ndr.generate`` with the module of the same name.
    The function stays.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in self.__dict__.get("_lazy_names", ()) and isinstance(value, ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


def load_on_first_use(package: str, names: Mapping[str, str]) -> None:
    """Make each of ``names`` (name → relative module) an attribute of ``package`` that is
    imported when first read."""
    module = sys.modules[package]

    def __getattr__(name: str) -> object:
        module_name = names.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value: object = getattr(importlib.import_module(module_name, package), name)
        setattr(module, name, value)
        return value

    module.__dict__["_lazy_names"] = frozenset(names)
    module.__dict__["__getattr__"] = __getattr__
    module.__class__ = _LazyPackage
