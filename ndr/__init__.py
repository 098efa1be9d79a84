"""ndr — read and write bounce messages (NDRs, DSNs).

>>> import ndr
>>> report = ndr.parse(open("examples/postfix-user-unknown.eml", "rb").read())  # doctest: +SKIP
>>> report.recipients[0].reason  # doctest: +SKIP
'userunknown'
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import _moved
from .lazy import load_on_first_use
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


load_on_first_use(__name__, _LAZY)
_moved.install()  # old module paths (ndr.queue, ndr.decoders, ...) keep working
