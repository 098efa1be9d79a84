"""ndr — read and write bounce messages (NDRs, DSNs).

>>> import ndr
>>> report = ndr.parse(open("examples/postfix-user-unknown.eml", "rb").read())  # doctest: +SKIP
>>> report.recipients[0].reason  # doctest: +SKIP
'userunknown'
"""
from . import _moved
from .catalog import Catalog, load_catalog
from .errors import CatalogError, Defect, DefectError, FileNameError, InputError, NdrError, TemplateError
from .explain import Explanation, explain
# Imported eagerly on purpose: the function `generate` shares its name with its module, and a
# lazily loaded name would be replaced by the module as soon as anything imported ndr.generate.
from .generate import GeneratedReport, ReportOptions, generate
from .model import Action, Kind, OriginalMessage, RecipientResult, Report
from .parse import parse
from .policy import DEFAULT, STRICT, Policy
from .writing.queue import QueuedMessage, QueueRecipient

__all__ = [
    "Action", "Catalog", "CatalogError", "DEFAULT", "Defect", "DefectError", "Explanation", "FileNameError",
    "GeneratedReport", "QueuedMessage", "QueueRecipient", "ReportOptions", "generate",
    "InputError", "Kind", "NdrError", "OriginalMessage", "Policy", "RecipientResult", "Report",
    "STRICT", "TemplateError", "explain", "load_catalog", "parse",
]

_moved.install()  # old module paths (ndr.queue, ndr.decoders, ...) keep working
