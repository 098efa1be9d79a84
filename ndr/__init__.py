"""ndr — read and write bounce messages (NDRs, DSNs).

>>> import ndr
>>> report = ndr.parse(open("examples/postfix-user-unknown.eml", "rb").read())  # doctest: +SKIP
>>> report.recipients[0].reason  # doctest: +SKIP
'userunknown'
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING

from . import _moved
from .catalog import Catalog, load_catalog
from .errors import CatalogError, Defect, DefectError, FileNameError, InputError, NdrError, TemplateError
from .model import Action, Kind, OriginalMessage, RecipientResult, Report
from .parse import parse
from .policy import DEFAULT, STRICT, Policy

if TYPE_CHECKING:
    from .explain import Explanation, explain
    from .generate import GeneratedReport, ReportOptions, generate
    from .writing.queue import QueuedMessage, QueueRecipient

# The writing side (the generator, its templates, Jinja2, Babel) is imported when first asked
# for, so that `ndr parse` in a mailbox rule does not pay for it; so is `explain`.
_LAZY = {
    "explain": ".explain", "Explanation": ".explain",
    "generate": ".generate", "GeneratedReport": ".generate", "ReportOptions": ".generate",
    "QueuedMessage": ".writing.queue", "QueueRecipient": ".writing.queue",
}

__all__ = [
    "Action", "Catalog", "CatalogError", "DEFAULT", "Defect", "DefectError", "Explanation", "FileNameError",
    "GeneratedReport", "QueuedMessage", "QueueRecipient", "ReportOptions", "generate",
    "InputError", "Kind", "NdrError", "OriginalMessage", "Policy", "RecipientResult", "Report",
    "STRICT", "TemplateError", "explain", "load_catalog", "parse",
]



def __getattr__(name: str) -> object:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


class _Package(ModuleType):
    """This package, keeping its public functions over their modules' names.

    Importing a submodule sets it as an attribute of its package: the first ``import
    ndr.generate`` (by the CLI or a user) would replace the function ``ndr.generate`` with the
    module of the same name. The function stays.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _LAZY and isinstance(value, ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
_moved.install()  # old module paths (ndr.queue, ndr.decoders, ...) keep working
