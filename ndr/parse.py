"""The public ``parse``: bytes in, a typed ``Report`` out. MIME, then decoders, then classify.

Never raises on bad mail under the default policy: what was wrong is recorded as defects on the
report. A decoder that crashes on a message is a defect too (``decoder-error``), and the next
decoder gets its turn.
"""
from __future__ import annotations

import dataclasses
import email.message
import hashlib
import logging
import os
from pathlib import Path
from typing import Union

from .reading import mime
from .catalog import Catalog, load_catalog
from .reading.classify import classify
from .reading.decoders import decoders
from .reading.decoders.base import Decoded, Mail, RawRecipient
from .reading.text import one_line
from .errors import Defect, DefectError, InputError
from .reading.mime import Headers
from .model import Kind, OriginalMessage, RecipientResult, Report
from .policy import DEFAULT, Policy
from .safetext import utf8

log = logging.getLogger("ndr")

Source = Union[bytes, bytearray, memoryview, str, email.message.Message, "os.PathLike[str]"]


def parse(source: Source, *, policy: Policy = DEFAULT, catalog: Catalog | None = None) -> Report:
    """Parse one message into a ``Report``.

    ``source`` is the raw message as bytes (best), its text as ``str``, a stdlib
    ``email.message.Message``, or a path (``pathlib.Path`` / ``os.PathLike``) to a message file.

    >>> report = parse(b"From: a@example.com\\nSubject: hello\\n\\nJust mail.\\n")
    >>> report.kind.value, report.recipients
    ('none', ())
    """
    data = _as_bytes(source)
    if catalog is None:
        catalog = load_catalog(policy.catalog)
    return parse_bytes(data, catalog, policy)


def _as_bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, (bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, str):
        return utf8(source)
    if isinstance(source, email.message.Message):
        try:
            return source.as_bytes()
        except (UnicodeError, LookupError, ValueError):
            return source.as_string().encode("utf-8", "replace")
    if isinstance(source, os.PathLike):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise InputError(f"{os.fspath(source)}: {exc.strerror or exc}") from None
    raise TypeError(f"parse() takes bytes, str, email.message.Message or a path, not {type(source).__name__}")


def parse_bytes(data: bytes, catalog: Catalog, policy: Policy = DEFAULT) -> Report:
    """``parse`` for callers that already hold the bytes and the catalog (batch workers)."""
    root = mime.parse(data, policy)
    defects = list(root.defects)
    if not root.headers.fields:
        defects.append(Defect("not-a-message", "no header fields found"))
        return _finish(Report(kind=Kind.NONE, defects=tuple(defects)), policy)
    mail = Mail(root, catalog, text_limit=policy.max_text_chars, recipient_limit=policy.max_recipients)
    decoded: Decoded | None = None
    for decoder in decoders():
        try:
            decoded = decoder.decode(mail)
        except Exception as exc:  # a decoder bug must not lose the bounce: note it, go on
            log.debug("decoder %s failed", decoder.name, exc_info=True)
            defects.append(Defect("decoder-error", f"{decoder.name}: {type(exc).__name__}: {exc}"))
            decoded = None
        if decoded is not None and decoded.recipients:
            break
        decoded = None
    if mail.text_cut:
        defects.append(Defect("text-limit", f"only the first {policy.max_text_chars} characters "
                                            "of the text were read"))
    if decoded is None:
        return _finish(Report(kind=Kind.NONE, subject=one_line(mail.subject), defects=tuple(defects),
                              original=_original(mail.original.headers if mail.original else None)),
                       policy)
    original_headers = decoded.original_headers or (mail.original.headers if mail.original else None)
    _limit_recipients(decoded, mail, policy, defects)
    limit = policy.max_text_chars
    for raw in decoded.recipients:
        if raw.diagnostic and len(raw.diagnostic) > limit:  # classification reads a bounded text
            raw.diagnostic = raw.diagnostic[:limit]
            defects.append(Defect("text-limit", f"a diagnostic longer than {limit} characters was cut"))
    recipients = tuple(_result(raw, decoded, catalog, policy) for raw in decoded.recipients)
    original = _original(original_headers)
    identity = _identity(original, data)
    recipients = tuple(dataclasses.replace(r, record_id=record_id(identity, r.recipient, r.action))
                       for r in recipients)
    report = Report(
        kind=decoded.kind, decoder=decoded.decoder, recipients=recipients,
        reporting_mta=one_line(decoded.reporting_mta),
        received_from_mta=one_line(decoded.received_from_mta), arrival_date=decoded.arrival_date,
        original_envelope_id=one_line(decoded.original_envelope_id),
        original=original, subject=one_line(mail.subject), defects=tuple(defects),
    )
    return _finish(report, policy)


def _limit_recipients(decoded: Decoded, mail: Mail, policy: Policy, defects: list[Defect]) -> None:
    """At most ``policy.max_recipients`` recipients are classified; the defect says how many
    more the message names (the message itself is never cut)."""
    extra = max(len(decoded.recipients) - policy.max_recipients, 0) + mail.recipients_cut
    if extra:
        del decoded.recipients[policy.max_recipients:]
        defects.append(Defect("recipient-limit", f"{extra} more recipient(s) not reported "
                                                 f"(more than {policy.max_recipients})"))


def _identity(original: OriginalMessage, data: bytes) -> str:
    """What names the bounced message: its Message-ID, else the bounce's own normalised bytes
    (line endings unified, leading blank lines and an mbox ``From `` line dropped), so the same
    bounce read from a file, stdin or an mbox gives the same identity."""
    if original.message_id:
        return "mid:" + original.message_id.strip().strip("<>").lower()
    body = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").removeprefix(b"\xef\xbb\xbf").lstrip(b"\n \t")
    if body.startswith(b"From "):
        body = body.split(b"\n", 1)[1] if b"\n" in body else b""
    return "raw:" + hashlib.sha256(body.rstrip()).hexdigest()


def record_id(identity: str, recipient: str | None, action: str | None) -> str:
    """Stable id of one event: the bounced message's identity, the recipient and the action.
    The same bounce seen twice gives the same id; a delay notice and the final failure of the
    same message and recipient are two events with two ids."""
    key = "\0".join((identity, (recipient or "").lower(), action or ""))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _finish(report: Report, policy: Policy) -> Report:
    if policy.raise_on_defect and report.defects:
        raise DefectError(str(report.defects[0]))
    return report


def _result(raw: RawRecipient, decoded: Decoded, catalog: Catalog, policy: Policy) -> RecipientResult:
    verdict = classify(catalog, status=raw.status, reply=raw.reply_code, text=raw.diagnostic,
                       action=raw.action, remote_mta=raw.remote_mta, recipient=raw.recipient,
                       preset=raw.reason, lang=policy.lang,
                       reporting_mta=raw.reporting_mta or decoded.reporting_mta,
                       smtp_command=raw.smtp_command, diagnostic_type=raw.diagnostic_type,
                       extensions=raw.extensions, notice=raw.notice)
    # Text taken from the input is one line, without control characters, in every record.
    return RecipientResult(
        recipient=one_line(raw.recipient), action=raw.action, status=raw.status,
        reply_code=raw.reply_code, diagnostic_code=one_line(raw.diagnostic),
        diagnostic_type=one_line(raw.diagnostic_type),
        original_recipient=one_line(raw.original_recipient), remote_mta=one_line(raw.remote_mta),
        reporting_mta=one_line(raw.reporting_mta or decoded.reporting_mta),
        last_attempt_date=raw.last_attempt_date, will_retry_until=raw.will_retry_until,
        smtp_command=one_line(raw.smtp_command), reason=verdict.reason, hard=verdict.hard,
        rule=verdict.rule, catalog_id=verdict.entry.id if verdict.entry is not None else None,
        summary=verdict.summary or None, causes=verdict.causes, fixes=verdict.fixes, who=verdict.who,
        feedback_type=one_line(raw.feedback_type),
    )


def _original(headers: Headers | None) -> OriginalMessage:
    if headers is None:
        return OriginalMessage()

    def value(name: str) -> str | None:
        raw = headers.decoded(name)
        return one_line(raw) if raw else None

    message_id = headers.get("message-id")
    return OriginalMessage(
        message_id=one_line(message_id), subject=value("subject"),
        from_=value("from"), to=value("to"), date=value("date"),
    )
