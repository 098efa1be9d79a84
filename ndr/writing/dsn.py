"""The DSN writer: RFC 3464 bounces and delay warnings (RFC 6522 multipart/report) for queued
messages; ``ndr.generate`` is its public face.

The MIME structure, the header and the machine-readable ``message/delivery-status`` are built
in code (``fields.py``, ``mimeparts.py``), so they are always valid; templates render only the
human-readable part from a prepared context (``context.py``, ``render.py``). What went wrong,
its causes, fixes and who should act come from the catalog's classification of the last error
(``lasterror.py``), never from the caller.
"""
from __future__ import annotations

import functools
import hashlib
import warnings
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

from ..catalog import Catalog, load_catalog
from ..policy import DEFAULT, Policy
from ..reading import mime
from ..reading.text import one_line
from . import render
from .context import _context, _language, _original_headers, _returned, _strings
from .decide import MessageDecision, Verdict
from .fields import _delivery_status, _report_head
from .lasterror import RecipientReport, recipient_report
from .mimeparts import _alternative, _boundary, _multipart, _original_part, _qp_line, _status_part
from .options import ReportOptions
from .queue import QueuedMessage, QueueRecipient
from .text import _address, _host, format_datetime
from ..lazy import regex


_EXACT_STATUS = regex(r"^[245]\.\d{1,3}\.\d{1,3}$")
_MSG_ID = regex(r"^<[!-;=?-~]+@[!-;=?-~]+>$")


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


def generate(message: QueuedMessage, action: Verdict | str,
             recipients: Sequence[QueueRecipient] | None = None, *, now: datetime,
             will_retry_until: datetime | None = None, original: bytes | None = None,
             options: ReportOptions = ReportOptions(), catalog: Catalog | None = None,
             policy: Policy = DEFAULT) -> GeneratedReport:
    """The failure (``action="failed"``) or delay (``"delayed"``) report for ``message``.

    ``recipients`` defaults to all of the message's recipients; ``original`` is the queued message
    itself (None: unknown, and the report says so). ``policy`` carries the language and the user's
    templates (the same settings object as ``parse`` and ``explain``); ``options`` what only a
    report has (its reporting MTA and From address). Raises ``InputError`` naming the field when an
    address or host name could forge a header, ``TemplateError`` for a broken template.
    """
    action = Verdict(action)
    if action is Verdict.NONE:
        raise ValueError("generate() needs action 'failed' or 'delayed'")
    policy = _settings(options, policy)
    catalog = catalog if catalog is not None else load_catalog(policy.catalog)
    reporting_mta, from_address = _reporter(options.reporting_mta, options.from_address)
    sender = _address(message.sender, "sender")
    chosen = tuple(recipients) if recipients is not None else message.recipients
    if not chosen:
        raise ValueError("generate() needs at least one recipient")
    queue_id = one_line(message.queue_id, 200) or ""

    original_headers = _original_headers(original)
    env = render.environment(policy.templates)
    lang = _language(env, policy.lang, original_headers)
    strings = _strings(env, lang)
    given_up = action is Verdict.FAILED
    reports = tuple(recipient_report(r, catalog, lang, options.codes, given_up) for r in chosen)
    utf8 = (message.smtputf8 or not sender.isascii() or not from_address.isascii()
            or any(not r.address.isascii() for r in reports))

    subject = (one_line(original_headers.decoded("subject"), 300) or "") if original_headers is not None else ""
    prefix = getattr(strings, "subject_failure" if action is Verdict.FAILED else "subject_delay")
    shown = subject or (strings.no_subject if original_headers is not None else strings.unknown_subject)
    original_id = _original_id(original_headers)
    digest, message_id = _message_id(queue_id, action, now, reports, reporting_mta)

    returned = _returned(original, message, action, options)
    shaped = render.Shaped(env, lambda put: _context(
        catalog, message, action, reports, strings, lang, subject, original_headers is not None,
        returned, reporting_mta, queue_id, now, will_retry_until, original_id, put))
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


def _settings(options: ReportOptions, policy: Policy) -> Policy:
    """``policy`` with the deprecated ``ReportOptions.lang`` / ``.templates`` applied over it."""
    if options.lang is None and options.templates is None:
        return policy
    warnings.warn("ReportOptions(lang=, templates=) are deprecated; pass policy=Policy(lang=..., "
                  "templates=...)", DeprecationWarning, stacklevel=3)
    return policy.clone(lang=options.lang or policy.lang, templates=options.templates or policy.templates)


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
                     options: ReportOptions = ReportOptions(), catalog: Catalog | None = None,
                     policy: Policy = DEFAULT) -> list[GeneratedReport]:
    """Every report a decision calls for: one failure report and/or one delay warning."""
    reports = []
    for verdict in (Verdict.FAILED, Verdict.DELAYED):
        chosen = decision.to_report(verdict)
        if chosen:
            reports.append(generate(decision.message, verdict, chosen, now=now, original=original,
                                    will_retry_until=decision.will_retry_until if verdict is Verdict.DELAYED else None,
                                    options=options, catalog=catalog, policy=policy))
    return reports

