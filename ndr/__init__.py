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

if TYPE_CHECKING:
    from .catalog import Catalog, load_catalog
    from .errors import CatalogError, Defect, DefectError, FileNameError, InputError, NdrError, TemplateError
    from .explain import Explanation, explain
    from .generate import GeneratedReport, ReportOptions, generate
    from .model import Action, Kind, OriginalMessage, RecipientResult, Report
    from .parse import parse
    from .policy import DEFAULT, STRICT, Policy
    from .writing.queue import QueuedMessage, QueueRecipient

# Every public name is imported when first asked for (PEP 562): `import ndr` costs nothing, the
# command line imports only what its command uses (a mailbox rule pays for reading one bounce,
# not for the generator, its templates, Jinja2 or Babel), and a library user gets the same names.
_LAZY = {
    "Catalog": ".catalog", "load_catalog": ".catalog",
    **dict.fromkeys(("CatalogError", "Defect", "DefectError", "FileNameError", "InputError", "NdrError",
                     "TemplateError"), ".errors"),
    "explain": ".explain", "Explanation": ".explain",
    "generate": ".generate", "GeneratedReport": ".generate", "ReportOptions": ".generate",
    **dict.fromkeys(("Action", "Kind", "OriginalMessage", "RecipientResult", "Report"), ".model"),
    "parse": ".parse",
    "DEFAULT": ".policy", "STRICT": ".policy", "Policy": ".policy",
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
