"""The public ``parse``: bytes in, a typed ``Report`` out. MIME, then decoders, then classify.

Never raises on bad mail under the default policy: what was wrong is recorded as defects on the
report. A decoder that crashes on a message is a defect too (``decoder-error``), and the next
decoder gets its turn (``ndr.reading.decoders.decode``, the one dispatch loop). Under a policy
that raises on defects, ``DefectError`` is raised where the first defect is found.
"""
from __future__ import annotations

import os
from collections.abc import Container
import sys
from typing import TYPE_CHECKING, Union

from .reading import mime
from .catalog import Catalog, load_catalog
from .reading import platform
from .reading.cause import classify_record
from .reading.statuses import settle as settle_status
from .reading.decoders import decode
from .reading.decoders.base import Decoded, Mail, RawRecipient
from .reading.charsets import decode_words
from .reading.text import one_line
from .errors import Defect, DefectKind, Defects, FileNameError, InputError
from .reading.mime import Headers
from .model import Kind, OriginalMessage, RecipientResult, Report, slot_builder
from .policy import DEFAULT, Policy
from .safetext import utf8
from .lazy import regex

# SHA-256 from CPython's own module: hashlib would load OpenSSL first (about 2 ms at every start
# of a mailbox rule) for a hash that needs no speed. The same digest either way.
if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:
        from _sha256 import sha256  # Python 3.11
    except ImportError:  # newer Pythons name it _sha2; another implementation may have neither
        try:
            from _sha2 import sha256
        except ImportError:
            from hashlib import sha256

if TYPE_CHECKING:
    import email.message

Source = Union[bytes, bytearray, memoryview, str, "email.message.Message", "os.PathLike[str]"]


def parse(source: Source, *, policy: Policy = DEFAULT, catalog: Catalog | None = None) -> Report:
    """Parse one message into a ``Report``.

    ``source`` is the raw message as bytes (best), its text as ``str``, a stdlib
    ``email.message.Message``, or a path (``pathlib.Path`` / ``os.PathLike``) to a message file.
    A ``str`` is always the message's text, never a file name: a one-line ``str`` that names an
    existing file or looks like a path (``"bounce.eml"``, ``"Maildir/cur/1.host:2,S"``) raises
    ``FileNameError`` (a ``ValueError``) saying to pass ``Path("bounce.eml")`` instead, rather
    than quietly returning an empty report.

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
        _refuse_file_name(source)
        return utf8(source)
    # Not imported here (the stdlib's email package is not on the parse path): a Message can only
    # be given once its module was imported by whoever made it.
    message_module = sys.modules.get("email.message")
    if message_module is not None and isinstance(source, message_module.Message):
        message: email.message.Message = source
        try:
            return message.as_bytes()
        except (UnicodeError, LookupError, ValueError):
            return message.as_string().encode("utf-8", "replace")
    if isinstance(source, os.PathLike):
        try:
            with open(source, "rb") as stream:
                return stream.read()
        except OSError as exc:
            raise InputError(f"{os.fspath(source)}: {exc.strerror or exc}") from None
    raise TypeError(f"parse() takes bytes, str, email.message.Message or a path, not {type(source).__name__}")


_HEADER_START = regex(r"[A-Za-z0-9-]+:")
_PATH_SHAPE = regex(r"[/\\]|\.[A-Za-z0-9]{1,8}$")


def _refuse_file_name(text: str) -> None:
    """A message has a header line and more; one line shaped like a path was meant as a file."""
    if len(text) > 4096 or "\n" in text or "\r" in text or _HEADER_START.match(text):
        return
    name = text.strip()
    if name and (_PATH_SHAPE.search(name) or os.path.exists(name)):
        raise FileNameError(f"parse() reads a str as the message itself, and {text!r} looks like a "
                            f"file name: pass pathlib.Path({name!r}) (or the file's bytes) to read the file")


def parse_bytes(data: bytes, catalog: Catalog, policy: Policy = DEFAULT) -> Report:
    """``parse`` for callers that already hold the bytes and the catalog (batch workers)."""
    root = mime.parse(data, policy)
    defects = root.defects if isinstance(root.defects, Defects) else Defects(policy.raise_on_defect)
    if not root.headers:  # no field (len: the values need not be unfolded)
        defects.append(Defect(DefectKind.NOT_A_MESSAGE, "no header fields found"))
        return Report(kind=Kind.NONE, defects=tuple(defects))
    mail = Mail(root, catalog, policy, defects=defects)
    decoded = decode(mail)
    if decoded is not None:
        for defect in decoded.defects:
            mail.defect(defect)
    if mail.text_cut:
        mail.defect(Defect(DefectKind.TEXT_LIMIT, f"only the first {policy.max_text_chars} characters "
                                                  "of the text were read"))
    if decoded is None:
        return Report(kind=Kind.NONE, subject=one_line(mail.subject), defects=tuple(defects),
                      original=_original(mail.original.headers if mail.original else None))
    original_headers = decoded.original_headers or (mail.original.headers if mail.original else None)
    if len(decoded.recipients) > policy.max_recipients or mail.recipients_cut:
        _limit_recipients(decoded, mail, policy)
    limit = policy.max_text_chars
    for raw in decoded.recipients:
        if raw.diagnostic and len(raw.diagnostic) > limit:  # classification reads a bounded text
            raw.diagnostic = raw.diagnostic[:limit]
            mail.defect(Defect(DefectKind.TEXT_LIMIT, f"a diagnostic longer than {limit} characters was cut"))
    reporting = decoded.reporting_mta or next((r.reporting_mta for r in decoded.recipients if r.reporting_mta), None)
    reporters = platform.Reporters(mail, reporting)  # looked at only when an entry needs it
    original = _original(original_headers)
    identity = _identity(original, data) if decoded.recipients else ""  # only records need it
    reporting_line = one_line(decoded.reporting_mta) if decoded.reporting_mta else None
    recipients = tuple([_result(raw, decoded, catalog, policy, reporters, identity, reporting_line)
                        for raw in decoded.recipients])
    return _new_report(  # every field, in Report's order (one_line of a missing value is None)
        decoded.kind, decoded.decoder, recipients, reporting_line,
        one_line(decoded.received_from_mta) if decoded.received_from_mta else None, decoded.arrival_date,
        one_line(decoded.original_envelope_id) if decoded.original_envelope_id else None, original,
        one_line(mail.subject), tuple(defects))


def _limit_recipients(decoded: Decoded, mail: Mail, policy: Policy) -> None:
    """At most ``policy.max_recipients`` recipients are classified; the defect says how many
    more the message names (the message itself is never cut)."""
    extra = max(len(decoded.recipients) - policy.max_recipients, 0) + mail.recipients_cut
    if extra:
        del decoded.recipients[policy.max_recipients:]
        mail.defect(Defect(DefectKind.RECIPIENT_LIMIT, f"{extra} more recipient(s) not reported "
                                                       f"(more than {policy.max_recipients})"))


def _identity(original: OriginalMessage, data: bytes) -> str:
    """What names the bounced message: its Message-ID, else the bounce's own normalised bytes
    (line endings unified, leading blank lines and an mbox ``From `` line dropped), so the same
    bounce read from a file, stdin or an mbox gives the same identity."""
    if original.message_id:
        return "mid:" + original.message_id.strip().strip("<>").lower()
    body = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in data else data  # one scan, mostly
    body = body.removeprefix(b"\xef\xbb\xbf").lstrip(b"\n \t")
    if body.startswith(b"From "):
        body = body.split(b"\n", 1)[1] if b"\n" in body else b""
    return "raw:" + _digest_of(body.rstrip())


def _digest_of(data: bytes) -> str:
    """SHA-256 of a whole message, in hex: CPython's own implementation until the process has
    hashed ``_OPENSSL_AFTER`` bytes, then OpenSSL's (through hashlib), five times faster on a
    message; the same digest either way. A mailbox rule's one bounce never loads OpenSSL (a few
    milliseconds), a run over many messages pays it once."""
    _HASHED[0] += len(data)
    if _HASHED[0] <= _OPENSSL_AFTER:
        return sha256(data).hexdigest()
    from hashlib import sha256 as openssl_sha256  # hashlib's own fallback where OpenSSL is missing

    return openssl_sha256(data).hexdigest()


_OPENSSL_AFTER = 1 << 20
_HASHED = [0]
"""Bytes of messages this process hashed so far (only compared with ``_OPENSSL_AFTER``)."""


def record_id(identity: str, recipient: str | None, action: str | None) -> str:
    """Stable id of one event: the bounced message's identity, the recipient and the action.
    The same bounce seen twice gives the same id; a delay notice and the final failure of the
    same message and recipient are two events with two ids."""
    key = "\0".join((identity, (recipient or "").lower(), action or ""))
    return sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _result(raw: RawRecipient, decoded: Decoded, catalog: Catalog, policy: Policy,
            reporters: Container[str], identity: str, reporting_line: str | None) -> RecipientResult:
    """One recipient classified, with its ``record_id`` from the bounced message's ``identity``;
    ``reporting_line`` is the report's reporting MTA as one line."""
    verdict, last_status = classify_record(
        catalog, status=raw.status, reply=raw.reply_code, text=raw.diagnostic, action=raw.action,
        lang=policy.lang or "en", last_error=raw.last_error, last_error_status=raw.last_error_status,
        reporters=reporters, remote_mta=raw.remote_mta, recipient=raw.recipient, preset=raw.reason,
        reporting_mta=raw.reporting_mta or decoded.reporting_mta, smtp_command=raw.smtp_command,
        diagnostic_type=raw.diagnostic_type, extensions=raw.extensions, notice=raw.notice)
    status, status_source = settle_status(raw.status, raw.status_source,
                                          reason=catalog.reason(verdict.reason), action=raw.action,
                                          reply=raw.reply_code, diagnostic=raw.diagnostic,
                                          preset=raw.reason)
    # Text taken from the input is one line, without control characters, in every record
    # (one_line of a missing value is None: not called for one; nor again for the report's MTA).
    recipient = one_line(raw.recipient) if raw.recipient else None
    last_error = one_line(raw.last_error) if raw.last_error else None
    reporting_mta = raw.reporting_mta
    return _new_result(  # every field, in RecipientResult's order
        recipient, raw.action, status, raw.reply_code, one_line(raw.diagnostic) if raw.diagnostic else None,
        one_line(raw.diagnostic_type) if raw.diagnostic_type else None,
        one_line(raw.original_recipient) if raw.original_recipient else None,
        one_line(raw.remote_mta) if raw.remote_mta else None,
        reporting_line if not reporting_mta or reporting_mta is decoded.reporting_mta else one_line(reporting_mta),
        raw.last_attempt_date, raw.will_retry_until,
        one_line(raw.smtp_command) if raw.smtp_command else None,
        verdict.reason, verdict.hard, verdict.rule,
        verdict.entry.id if verdict.entry is not None else None, verdict.summary or None,
        verdict.causes, verdict.fixes, verdict.who,
        one_line(raw.feedback_type) if raw.feedback_type else None, status_source,
        last_status if raw.last_error else None, last_error, record_id(identity, recipient, raw.action))


_new_result = slot_builder(RecipientResult)
_new_report = slot_builder(Report)


def _original(headers: Headers | None) -> OriginalMessage:
    if headers is None:
        return _NO_ORIGINAL
    get = headers.get  # a value's encoded words decoded (Headers.decoded), then made one line
    subject, from_, to, date = get("subject"), get("from"), get("to"), get("date")
    return _new_original(  # written out, not a loop over the four: this runs for every message
        one_line(message_id) if (message_id := get("message-id")) else None,
        one_line(decode_words(subject)) if subject else None,
        one_line(decode_words(from_)) if from_ else None,
        one_line(decode_words(to)) if to else None,
        one_line(decode_words(date)) if date else None, None)


_new_original = slot_builder(OriginalMessage)
_NO_ORIGINAL = OriginalMessage()  # frozen: one serves every report without an original
