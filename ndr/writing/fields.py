"""The report's header and its machine-readable message/delivery-status fields, folded and encoded
by hand so that nothing from input can add a field."""
from __future__ import annotations

import re
from datetime import datetime
from email.header import Header
from typing import Sequence

from .decide import Verdict
from .queue import QueuedMessage
from ..reading.text import one_line
from .text import format_datetime, unicode_escape, xtext
from .lasterror import RecipientReport
from ..lazy import regex

_CONTROLS = regex(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _header(name: str, value: str, utf8: bool) -> bytes:
    value = one_line(value, 2000) or ""
    if value.isascii() or (utf8 and name in ("From", "To")):
        if len(name) + 2 + len(value) <= 78 or " " not in value:
            return f"{name}: {value}\r\n".encode("utf-8")
        return (name + ": " + _fold(value, len(name) + 2)).encode("utf-8")
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=chr(13) + chr(10))}\r\n".encode("ascii")


def _from_header(name: str, address: str, utf8: bool) -> bytes:
    if not name:
        return _header("From", f"<{address}>", utf8)
    if not name.isascii():
        name = Header(name, "utf-8").encode()
    elif not re.fullmatch(r"[A-Za-z0-9 !#$%&'*+/=?^_`{|}~.-]+", name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    line = f"From: {name} <{address}>"
    return (line + "\r\n" if len(line) <= 78 else f"From: {name}\r\n <{address}>\r\n").encode("utf-8")


def _fold(value: str, used: int, width: int = 78, break_words: bool = False) -> str:
    """A header value folded at spaces into lines of at most ``width`` (where words allow).

    With ``break_words`` (free text only, never addresses) a word too long for one line is cut
    into pieces that fit, so no line is longer than ``width`` — a reader unfolds the cut as a
    space. Without it such a word keeps its own over-long line.
    """
    lines: list[str] = []
    current = ""
    words = value.split(" ")
    if break_words:
        words = [piece for word in words for piece in _pieces(word, width - 2)]
    for word in words:
        if current and used + len(current) + 1 + len(word) > width:
            lines.append(current)
            current, used = word, 1
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\r\n ".join(lines) + "\r\n"


def _pieces(word: str, size: int) -> list[str]:
    """``word`` cut into pieces of at most ``size`` characters, not inside a ``\\x{...}`` escape."""
    pieces: list[str] = []
    while len(word) > size:
        cut = word.rfind("\\x{", 1, size + 1)
        cut = cut if cut > 0 and word.find("}", cut) >= size else size
        pieces.append(word[:cut])
        word = word[cut:]
    pieces.append(word)
    return pieces


def _field(name: str, value: str, break_words: bool = False) -> str:
    line = f"{name}: {value}"
    if len(line) <= 78:
        return line + "\r\n"
    return name + ": " + _fold(value, len(name) + 2, break_words=break_words)


def _address_field(name: str, address: str, utf8: bool) -> str:
    if address.isascii():
        return _field(name, f"rfc822; {address}")
    return _field(name, f"utf-8; {address}" if utf8 else f"utf-8; {unicode_escape(address)}")


def _envelope_text(value: str, utf8: bool) -> str:
    value = xtext(value) if _CONTROLS.search(value) or " " in value.strip() else value
    return value if utf8 else unicode_escape(value)


def _delivery_status(message: QueuedMessage, action: Verdict, reports: Sequence[RecipientReport],
                     reporting_mta: str, utf8: bool, will_retry_until: datetime | None) -> str:
    lines = [_field("Reporting-MTA", f"dns; {reporting_mta}")]
    if message.queue_id:
        lines.append(_field("X-NDR-Queue-ID", _envelope_text(message.queue_id, utf8)))
    if message.envid:
        lines.append(_field("Original-Envelope-Id", _envelope_text(message.envid, utf8)))
    lines.append(_field("Arrival-Date", format_datetime(message.arrival)))
    for report in reports:
        lines.append("\r\n")
        if report.original_recipient:
            kind, _, address = report.original_recipient.partition(";")
            lines.append(_field("Original-Recipient", f"{kind}; {_envelope_text(address, utf8)}"))
        lines.append(_address_field("Final-Recipient", report.address, utf8))
        lines.append(_field("Action", action.value))
        lines.append(_field("Status", report.status))
        if report.remote_mta and report.answered:  # only a server that answered (DECISIONS)
            lines.append(_field("Remote-MTA", f"dns; {report.remote_mta}"))
        if report.diagnostic:
            diagnostic = report.diagnostic if utf8 else unicode_escape(report.diagnostic)
            lines.append(_field("Diagnostic-Code", f"{report.diagnostic_type}; {diagnostic}",
                                break_words=True))
        if report.last_attempt:
            lines.append(_field("Last-Attempt-Date", format_datetime(report.last_attempt)))
        if action is Verdict.DELAYED and will_retry_until is not None:
            lines.append(_field("Will-Retry-Until", format_datetime(will_retry_until)))
    return "".join(lines)


def _report_head(from_name: str, from_address: str, sender: str, subject: str, now: datetime,
                 message_id: str, original_id: str, boundary: str, utf8: bool) -> list[bytes]:
    """The report's header fields, each one checked and encoded (``_header``)."""
    head = [
        _from_header(from_name, from_address, utf8),
        _header("To", f"<{sender}>", utf8),
        _header("Subject", subject, utf8),
        _header("Date", format_datetime(now), utf8),
        _header("Message-ID", message_id, utf8),
    ]
    if original_id:
        head += [_header("In-Reply-To", original_id, utf8), _header("References", original_id, utf8)]
    head += [
        b"Auto-Submitted: auto-replied\r\n",
        b"MIME-Version: 1.0\r\n",
        f'Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="{boundary}"\r\n'.encode(),
    ]
    return head
