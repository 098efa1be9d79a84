"""Old module paths, kept importable after the modules moved into folders.

``import ndr.queue`` (as the README once showed) and ``from ndr.archives import ...`` still work:
the old name is an alias of the new module (the same object, so monkeypatching either name
patches both), with a ``DeprecationWarning`` that names the new path. Where an old module was
split (``SPLIT``), the old name is a module that looks its names up in each new one. Nothing is
imported until an old name is asked for, so this costs the start-up nothing.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import sys
import warnings
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.abc import Loader as _LoaderBase
else:
    _LoaderBase = object

#: old module path → new module path
MOVED = {
    "ndr.codes": "ndr.catalog.codes",
    "ndr.match": "ndr.catalog.match",
    "ndr.sources": "ndr.reading.sources",
    "ndr.archives": "ndr.reading.archives",
    "ndr.mime": "ndr.reading.mime",
    "ndr.dsn": "ndr.reading.dsn",
    "ndr.classify": "ndr.reading.classify",
    "ndr.records": "ndr.reading.records",
    "ndr.spool": "ndr.reading.spool",
    "ndr.decoders": "ndr.reading.decoders",
    "ndr.decoders.hosts": "ndr.reading.decoders.settle",
    "ndr.queue": "ndr.writing.queue",
    "ndr.decide": "ndr.writing.decide",
    "ndr.render": "ndr.writing.render",
    "ndr.deliver": "ndr.writing.deliver",
    "ndr.generate_pool": "ndr.writing.pool",
    "ndr.batch.report": "ndr.batch.html_report",
}

#: old module path → the modules that took part of its names (besides its ``MOVED`` target)
SPLIT = {
    "ndr.queue": ("ndr.writing.listing",),
    "ndr.mime": ("ndr.reading.charsets",),
    "ndr.archives": ("ndr.reading.mbox",),
    "ndr.decoders.base": ("ndr.reading.text",),
    "ndr.decoders": ("ndr.catalog.validate",),
    "ndr.decoders.textscan": ("ndr.catalog.notices",),
    "ndr.decoders.table": ("ndr.catalog.layouts", "ndr.catalog.layout_check", "ndr.reading.decoders.block"),
    "ndr.decoders.fallback": ("ndr.catalog.notices",),
}


def new_path(old: str) -> str | None:
    """The new module path for an old one (``ndr.decoders.base`` → ``ndr.reading.decoders.base``)."""
    for before in sorted(MOVED, key=len, reverse=True):  # the longest old path first
        if old == before or old.startswith(before + "."):
            return MOVED[before] + old[len(before):]
    return None


# Plain classes at run time, not importlib.abc's: the import system only calls their methods, and
# importing importlib.abc would import importlib.resources and its own imports at every start-up.
class _Alias(_LoaderBase):
    def __init__(self, target: str) -> None:
        self.target = target
        self.spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(f"{spec.name} moved to {self.target}; import it from there",
                      DeprecationWarning, stacklevel=2)
        module = importlib.import_module(self.target)
        parts = SPLIT.get(spec.name)
        if parts:
            return _Joined(spec.name, (module, *(importlib.import_module(p) for p in parts)))
        self.spec = module.__spec__  # the import system overwrites it with the alias's spec
        return module

    def exec_module(self, module: ModuleType) -> None:
        """The target module is already executed: only give it back its own spec."""
        if self.spec is not None:
            module.__spec__ = self.spec


class _Joined(ModuleType):
    """An old module whose names now live in several modules: each name from the first that has it."""

    def __init__(self, name: str, parts: tuple[ModuleType, ...]) -> None:
        super().__init__(name)
        self._parts = parts
        if hasattr(parts[0], "__path__"):
            self.__path__ = parts[0].__path__  # a package: its old submodule paths import too

    def __getattr__(self, name: str) -> object:
        for part in self._parts:
            if hasattr(part, name):
                return getattr(part, name)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


class _Finder:
    def find_spec(self, fullname: str, path: object = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        after = new_path(fullname) if fullname.startswith("ndr.") else None
        if after is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(after))


def install() -> None:
    """Make the old paths importable (idempotent)."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())  # before the path finder, which would load a copy
