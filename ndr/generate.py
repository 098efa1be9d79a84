"""The public ``generate``: RFC 3464 bounces and delay warnings (RFC 6522 multipart/report) for
queued messages. The writer itself is ``ndr/writing/`` (``dsn.py`` and the modules it names).

The MIME structure, the header and the machine-readable ``message/delivery-status`` are built
in code, so they are always valid; templates render only the human-readable part from a
prepared context. What went wrong, its causes, fixes and who should act come
from the catalog's classification of the last error, never from the caller.

Nothing from the input can write a header or open a MIME part: addresses and host names with
control characters are rejected (``InputError`` naming the field); free text (diagnostics,
subjects) is reduced to one line and encoded (RFC 2047 in the header, quoted-printable in the
text parts); ENVID and ORCPT control characters are xtext-encoded; every boundary is checked
against the content it encloses.

>>> from datetime import datetime, timezone
>>> from ndr.writing.queue import QueuedMessage, QueueRecipient, Attempt, LocalError
>>> t = datetime(2024, 5, 1, tzinfo=timezone.utc)
>>> msg = QueuedMessage("A1", "alice@example.com", t, (QueueRecipient("bob@example.net",
...     attempts=(Attempt(t, "smarthost.example.net", error=LocalError.REFUSED),)),))
>>> report = generate(msg, "failed", now=t, options=ReportOptions(reporting_mta="mx.example.com"))
>>> report.message["Subject"], report.statuses
('Undeliverable: your message', ('4.4.316',))
"""
from __future__ import annotations

from .writing.dsn import GeneratedReport, generate, generate_reports
from .writing.lasterror import RecipientReport, recipient_report
from .writing.options import ReportOptions

__all__ = ["GeneratedReport", "RecipientReport", "ReportOptions", "generate", "generate_reports",
           "recipient_report"]
