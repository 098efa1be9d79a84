"""ndr — read and write bounce messages (NDRs, DSNs).

>>> import ndr
>>> report = ndr.parse(open("examples/postfix-user-unknown.eml", "rb").read())  # doctest: +SKIP
>>> report.recipients[0].reason  # doctest: +SKIP
'userunknown'
"""
from typing import TYPE_CHECKING

from .catalog import Catalog, load_catalog
from .errors import CatalogError, Defect, DefectError, InputError, NdrError, TemplateError
from .explain import Explanation, explain
from .model import Action, Kind, OriginalMessage, RecipientResult, Report
from .parse import parse
from .policy import DEFAULT, STRICT, Policy

__all__ = [
    "Action", "Catalog", "CatalogError", "DEFAULT", "Defect", "DefectError", "Explanation",
    "GeneratedReport", "QueuedMessage", "QueueRecipient", "ReportOptions", "generate",
    "InputError", "Kind", "NdrError", "OriginalMessage", "Policy", "RecipientResult", "Report",
    "STRICT", "TemplateError", "explain", "load_catalog", "parse",
]

# The generator's names load on first use: parsing (a mailbox rule, a ticketing system) should
# not pay for Jinja2 and the queue readers.
_LAZY = {"generate": "generate", "GeneratedReport": "generate", "ReportOptions": "generate",
         "QueuedMessage": "queue", "QueueRecipient": "queue"}

if TYPE_CHECKING:  # the checker sees the lazy names' real types (at run time they stay lazy)
    from .generate import GeneratedReport, ReportOptions, generate
    from .queue import QueuedMessage, QueueRecipient


def __getattr__(name: str) -> object:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'ndr' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value
