"""Generate RFC 3464 bounces and delay warnings (RFC 6522 multipart/report) for queued messages.

The MIME structure, the header and the machine-readable ``message/delivery-status`` are built
here, in code, so they are always valid; templates render only the human-readable part from a
prepared context (``ndr.render``). What went wrong, its causes, fixes and who should act come
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

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

from .writing import render
from .catalog import Catalog, load_catalog
from .writing.decide import MessageDecision, Verdict
from .writing.queue import QueuedMessage, QueueRecipient
from .reading.text import one_line
from .writing.text import _address, _host, format_datetime
from .writing.lasterror import RecipientReport, recipient_report
from .reading import mime
from .writing.fields import _delivery_status, _report_head
from .writing.mimeparts import _alternative, _boundary, _multipart, _original_part, _qp_line, _status_part
from .writing.options import ReportOptions
from .writing.context import _context, _language, _original_headers, _returned


_EXACT_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
_MSG_ID = re.compile(r"^<[!-;=?-~]+@[!-;=?-~]+>$")


@dataclass(frozen=True)
class GeneratedReport:
    """One generated report: the bytes (CRLF line ends) and, parsed on demand, the message."""

    data: bytes
    action: Verdict
    queue_id: str
    sender: str
    """Who gets the report: the original envelope sender (send it with ``MAIL FROM:<>``)."""
    message_id: str
    recipients: tuple[RecipientReport, ...]
    smtputf8: bool
    """The report carries UTF-8 headers or a global DSN: send with SMTPUTF8."""

    @cached_property
    def message(self) -> EmailMessage:
        """The report as a stdlib ``EmailMessage`` (``email.policy.default``)."""
        parsed = BytesParser(policy=email_policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(r.status for r in self.recipients)


# ---- the report ------------------------------------------------------------------------------

def generate(message: QueuedMessage, action: Verdict | str,
             recipients: Sequence[QueueRecipient] | None = None, *, now: datetime,
             will_retry_until: datetime | None = None, original: bytes | None = None,
             options: ReportOptions = ReportOptions(), catalog: Catalog | None = None) -> GeneratedReport:
    """The failure (``action="failed"``) or delay (``"delayed"``) report for ``message``.

    ``recipients`` defaults to all of the message's recipients; ``original`` is the queued message
    itself (None: unknown, and the report says so). Raises ``InputError`` naming the field when an
    address or host name could forge a header, ``TemplateError`` for a broken template.
    """
    action = Verdict(action)
    if action is Verdict.NONE:
        raise ValueError("generate() needs action 'failed' or 'delayed'")
    catalog = catalog if catalog is not None else load_catalog()
    reporting_mta, from_address = _reporter(options.reporting_mta, options.from_address)
    sender = _address(message.sender, "sender")
    chosen = tuple(recipients) if recipients is not None else message.recipients
    if not chosen:
        raise ValueError("generate() needs at least one recipient")
    queue_id = one_line(message.queue_id, 200) or ""

    original_headers = _original_headers(original)
    env = render.environment(options.templates)
    lang = _language(env, options.lang, original_headers)
    strings = render.module(env, f"dsn/strings/{lang}.j2")
    reports = tuple(recipient_report(r, catalog, lang) for r in chosen)
    utf8 = (message.smtputf8 or not sender.isascii() or not from_address.isascii()
            or any(not r.address.isascii() for r in reports))

    subject = (one_line(original_headers.decoded("subject"), 300) or "") if original_headers is not None else ""
    prefix = getattr(strings, "subject_failure" if action is Verdict.FAILED else "subject_delay")
    shown = subject or (strings.no_subject if original_headers is not None else strings.unknown_subject)
    original_id = _original_id(original_headers)
    digest, message_id = _message_id(queue_id, action, now, reports, reporting_mta)

    returned = _returned(original, message, action, options)
    known = original_headers is not None
    shaped = render.Shaped(env, lambda put: _context(
        catalog, message, action, reports, strings, lang, subject, known, returned, reporting_mta,
        queue_id, now, will_retry_until, original_id, put))
    base = "failure" if action is Verdict.FAILED else "delay"
    # Rendered and quoted-printable encoded together: a shape's lines without per-message
    # strings are encoded once.
    text = shaped.render_lines(f"dsn/{base}.txt.j2", _qp_line)
    html = shaped.render_lines(f"dsn/{base}.html.j2", _qp_line)

    status_body = _delivery_status(message, action, reports, reporting_mta, utf8, will_retry_until)
    parts = [_alternative(text, html, lang, digest), _status_part(status_body, utf8)]
    if returned is not None and original is not None:
        parts.append(_original_part(original, returned, utf8))
    outer = _boundary(digest, "1", parts)
    head = _report_head(one_line(str(strings.from_name), 100) or "", from_address, sender, f"{prefix}: {shown}",
                        now, message_id, original_id, outer, utf8)
    body = _multipart(outer, parts, b"This is a MIME-encapsulated message.\r\n")
    return GeneratedReport(data=b"".join(head) + b"\r\n" + body, action=action, queue_id=queue_id,
                           sender=sender, message_id=message_id, recipients=reports, smtputf8=utf8)


def _original_id(original_headers: mime.Headers | None) -> str:
    """The original's Message-ID when it is well formed (it goes into In-Reply-To), else ""."""
    original_id = (original_headers.get("message-id") or "").strip() if original_headers is not None else ""
    return original_id if _MSG_ID.match(original_id) and len(original_id) <= 900 else ""


def _message_id(queue_id: str, action: Verdict, now: datetime, reports: Sequence[RecipientReport],
                reporting_mta: str) -> tuple[str, str]:
    """(digest, Message-ID) of a report: the same message, action, time and recipients give the
    same id (the digest also seeds the MIME boundaries)."""
    stamp = now.strftime("%Y%m%d%H%M%S")
    digest = hashlib.sha256("\0".join([queue_id, action.value, stamp, *(r.address for r in reports)])
                            .encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return digest, f"<{stamp}.{digest}.{action.value}@{reporting_mta}>"


@functools.lru_cache(maxsize=64)
def _reporter(reporting_mta: str, from_address: str | None) -> tuple[str, str]:
    """(Reporting-MTA, From address), checked once per set of options."""
    host = _host(reporting_mta, "reporting_mta") or "localhost"
    return host, _address(from_address or f"MAILER-DAEMON@{host}", "from_address")


def generate_reports(decision: MessageDecision, *, now: datetime, original: bytes | None = None,
                     options: ReportOptions = ReportOptions(),
                     catalog: Catalog | None = None) -> list[GeneratedReport]:
    """Every report a decision calls for: one failure report and/or one delay warning."""
    reports = []
    for verdict in (Verdict.FAILED, Verdict.DELAYED):
        chosen = decision.to_report(verdict)
        if chosen:
            reports.append(generate(decision.message, verdict, chosen, now=now, original=original,
                                    will_retry_until=decision.will_retry_until if verdict is Verdict.DELAYED else None,
                                    options=options, catalog=catalog))
    return reports


__all__ = ["GeneratedReport", "RecipientReport", "ReportOptions", "generate", "generate_reports",
           "recipient_report"]
