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
>>> from ndr.queue import QueuedMessage, QueueRecipient, Attempt, LocalError
>>> t = datetime(2024, 5, 1, tzinfo=timezone.utc)
>>> msg = QueuedMessage("A1", "alice@example.com", t, (QueueRecipient("bob@example.net",
...     attempts=(Attempt(t, "smarthost.example.net", error=LocalError.REFUSED),)),))
>>> report = generate(msg, "failed", now=t, options=ReportOptions(reporting_mta="mx.example.com"))
>>> report.message["Subject"], report.statuses
('Undeliverable: your message', ('4.4.316',))
"""
from __future__ import annotations

import binascii
import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy as email_policy
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime as _format_datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Sequence

from . import codes, i18n, mime, render
from .catalog import Catalog, CodeEntry, load_catalog
from .classify import Classification, classify
from .decide import MessageDecision, Verdict, human
from .errors import InputError
from .match import PatternTable, fold
from .queue import QueuedMessage, QueueRecipient, RecordError, check_address, check_host

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
_EXACT_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
_MSG_ID = re.compile(r"^<[!-;=?-~]+@[!-;=?-~]+>$")
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$")
MAX_DIAGNOSTIC = 900
"""Longest diagnostic kept, in characters (a DSN line must stay under 998 octets)."""


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How reports are written. Every field has a safe default."""

    reporting_mta: str = "localhost"
    """This MTA's host name: Reporting-MTA, the From domain, the Message-ID domain."""
    from_address: str | None = None
    """The report's From address; default ``MAILER-DAEMON@<reporting_mta>``."""
    lang: str | None = None
    """``en``, ``pt-BR`` (or any language with a strings template); None: the original's
    Content-Language, else ``en``."""
    templates: str | Path | None = None
    """A folder of user templates, looked up before the shipped ones."""
    max_original_bytes: int = 10 * 1024 * 1024
    """Larger originals are returned as headers only."""


@dataclass(frozen=True, slots=True)
class RecipientReport:
    """What a report says about one recipient."""

    address: str
    status: str
    """The enhanced status code written in Status."""
    diagnostic: str | None
    diagnostic_type: str | None
    """``smtp`` for a remote reply, ``X-NDR`` for a local error."""
    remote_mta: str | None
    last_attempt: datetime | None
    original_recipient: str | None
    verdict: Classification
    """The catalog's classification (reason, rule, causes, fixes, who)."""


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


# ---- text hygiene ----------------------------------------------------------------------------

def one_line(text: str | None, limit: int = MAX_DIAGNOSTIC) -> str:
    """Free text as one printable line: controls become spaces, runs of spaces one space."""
    if not text:
        return ""
    if text.isascii() and text.isprintable() and "  " not in text:
        line = text.strip()  # the common case: nothing to replace (ASCII whitespace is only " ")
    else:
        line = _SPACES.sub(" ", _CONTROLS.sub(" ", text)).strip()
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_datetime(moment: datetime) -> str:
    """RFC 5322 date-time, the same text as ``email.utils.format_datetime`` at a fraction of its
    cost; cached, because a report writes the same few times half a dozen times."""
    # The offset is part of the key: equal instants in different zones are equal datetimes.
    return _format_datetime_cached(moment, moment.utcoffset())


@functools.lru_cache(maxsize=1024)
def _format_datetime_cached(moment: datetime, offset: timedelta | None) -> str:
    if offset is None or offset.microseconds or offset.seconds % 60:
        return _format_datetime(moment)  # naive (-0000) or an offset in seconds: the stdlib's way
    minutes = offset.days * 1440 + offset.seconds // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return (f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year:04d} "
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {sign}{hours:02d}{minutes:02d}")


def xtext(value: str) -> str:
    """RFC 3461 xtext: ``+`` and ``=``, controls and spaces as ``+XX``; non-ASCII kept."""
    return "".join(f"+{ord(c):02X}" if (ord(c) < 33 or c in "+=" or ord(c) == 127) else c for c in value)


def unicode_escape(value: str) -> str:
    """RFC 6533 §3 ``\\x{HHHH}`` for non-ASCII characters, for US-ASCII-only DSN fields."""
    if value.isascii():
        return value
    return "".join(c if ord(c) < 128 else f"\\x{{{ord(c):X}}}" for c in value)


def _address(value: str, field_name: str, allow_empty: bool = False) -> str:
    try:
        return check_address(value, field_name, allow_empty=allow_empty)
    except RecordError as exc:
        raise InputError(str(exc)) from None


def _host(value: str | None, field_name: str) -> str | None:
    try:
        host = check_host(value, field_name)
    except RecordError as exc:
        raise InputError(str(exc)) from None
    if host is not None and not _HOST.match(host):
        raise InputError(f"{field_name}: not a host name: {host!r}")
    return host


# ---- classification of the last error --------------------------------------------------------

def recipient_report(recipient: QueueRecipient, catalog: Catalog, lang: str = "en") -> RecipientReport:
    """Status, diagnostic and the catalog's explanation for one recipient's last attempt."""
    address = _address(recipient.address, "recipient")
    attempt = recipient.last_attempt
    text = one_line(attempt.text) if attempt is not None else ""
    remote = _host(attempt.remote_mta, "remote_mta") if attempt is not None else None
    status, verdict, diagnostic_type = _explain(
        catalog, text, attempt.status if attempt is not None else None,
        attempt is not None and bool(attempt.reply), remote, address, lang)
    return RecipientReport(
        address=address, status=status, diagnostic=text or None, diagnostic_type=diagnostic_type,
        remote_mta=remote, last_attempt=attempt.time if attempt is not None else None,
        original_recipient=recipient.orcpt, verdict=verdict,
    )


_EXPLAINED = "generate.explained"
_EXPLAINED_MAX = 4096
"""Cached explanations per catalog; a queue listing repeats a few errors many times."""


def _explain(catalog: Catalog, text: str, given: str | None, replied: bool, remote: str | None,
             address: str, lang: str) -> tuple[str, Classification, str | None]:
    """(status, classification, diagnostic type) of one last error, cached per catalog.

    Classification reads the recipient only through its domain (the catalog's hosts rules,
    ``classify.hosts_for``), so the domain, not the whole address, is part of the key: every
    recipient of a listing that met the same error at the same destination shares one entry.
    """
    domain = address.rpartition("@")[2].lower() if "@" in address else None
    key = (text, given, replied, remote, domain, lang)
    cache = catalog.cache.setdefault(_EXPLAINED, {})
    cached: tuple[str, Classification, str | None] | None = cache.get(key)
    if cached is not None:
        return cached
    status = given or (codes.find_status(text) if text else None)
    reply = codes.find_reply(text) if text and replied else None
    if status is None and text:
        # No code in the text: a code entry whose own patterns name this failure gives the
        # code (catalog.md: "connection refused" → the 4.4.316 entry), then classification
        # runs on that code so reason, causes and fixes agree with it.
        hit = _entry_patterns(catalog).first(fold(text))
        if hit is not None:
            status = _with_class(hit[1].status or "", reply)
    verdict = classify(catalog, status=status, reply=reply, text=text or "message expired",
                       remote_mta=remote, recipient=address, lang=lang)
    if status is None:
        status = _status_for(verdict, catalog, reply)
    if not text:
        diagnostic_type = None
    elif replied or reply:
        diagnostic_type = "smtp"
    else:
        diagnostic_type = "X-NDR"
    found = (status, verdict, diagnostic_type)
    if len(cache) >= _EXPLAINED_MAX:
        cache.clear()  # a listing with that many distinct errors gains little from more
    cache[key] = found
    return found


def _entry_patterns(catalog: Catalog) -> PatternTable[CodeEntry]:
    """Code entries' own patterns (entries with a concrete code), compiled once per catalog."""
    table: PatternTable[CodeEntry] | None = catalog.cache.get("generate.entry-patterns")
    if table is None:
        table = PatternTable.build((pattern, entry) for entry in catalog.codes
                                   if entry.status and "X" not in entry.status for pattern in entry.patterns)
        catalog.cache["generate.entry-patterns"] = table
    return table


def _status_for(verdict: Classification, catalog: Catalog, reply: str | None) -> str:
    # The entry that classification found gives the code, else the reason's default status.
    entry_status = verdict.entry.status if verdict.entry is not None else None
    return _with_class(entry_status or catalog.reason(verdict.reason).default_status or "4.0.0", reply)


def _with_class(status: str, reply: str | None) -> str:
    # A concrete code (ranges give their first) whose class is the reply's, else 4: a message
    # still queued without a permanent answer failed transiently.
    klass = reply[0] if reply and reply[0] in "45" else "4"
    return klass + status.split("-")[0][1:]


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
    queue_id = one_line(message.queue_id, 200)

    original_headers = _original_headers(original)
    env = render.environment(options.templates)
    lang = _language(env, options.lang, original_headers)
    strings = _strings(env, lang)
    reports = tuple(recipient_report(r, catalog, lang) for r in chosen)
    utf8 = (message.smtputf8 or not sender.isascii() or not from_address.isascii()
            or any(not r.address.isascii() for r in reports))

    subject = one_line(original_headers.decoded("subject"), 300) if original_headers is not None else ""
    prefix = getattr(strings, "subject_failure" if action is Verdict.FAILED else "subject_delay")
    shown = subject or (strings.no_subject if original_headers is not None else strings.unknown_subject)
    original_id = (original_headers.get("message-id") or "").strip() if original_headers is not None else ""
    if not _MSG_ID.match(original_id) or len(original_id) > 900:
        original_id = ""
    stamp = now.strftime("%Y%m%d%H%M%S")
    digest = hashlib.sha256("\0".join([queue_id, action.value, stamp, *(r.address for r in reports)])
                            .encode("utf-8", "surrogatepass")).hexdigest()[:16]
    message_id = f"<{stamp}.{digest}.{action.value}@{reporting_mta}>"

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
    head = [
        _from_header(one_line(str(strings.from_name), 100), from_address, utf8),
        _header("To", f"<{sender}>", utf8),
        _header("Subject", f"{prefix}: {shown}", utf8),
        _header("Date", format_datetime(now), utf8),
        _header("Message-ID", message_id, utf8),
    ]
    if original_id:
        head += [_header("In-Reply-To", original_id, utf8), _header("References", original_id, utf8)]
    head += [
        b"Auto-Submitted: auto-replied\r\n",
        b"MIME-Version: 1.0\r\n",
        f'Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="{outer}"\r\n'.encode(),
    ]
    body = _multipart(outer, parts, b"This is a MIME-encapsulated message.\r\n")
    return GeneratedReport(data=b"".join(head) + b"\r\n" + body, action=action, queue_id=queue_id,
                           sender=sender, message_id=message_id, recipients=reports, smtputf8=utf8)


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


def _original_headers(original: bytes | None) -> mime.Headers | None:
    if original is None:
        return None
    head, _ = mime.split_header_body(mime.normalise_newlines(original))
    return mime.parse_headers(head)


_LANGUAGES: dict[tuple[Any, str | None, str], str] = {}
"""(environment, --lang, declared Content-Language) → the language used, once found."""


def _language(env: Any, wanted: str | None, headers: mime.Headers | None) -> str:
    declared = ""
    if headers is not None:
        declared = (headers.get("content-language") or "").split(",")[0].strip()
    key = (env, wanted, declared)
    found = _LANGUAGES.get(key)
    if found is None:
        found = _find_language(env, wanted, declared)
        if len(_LANGUAGES) < 1024:
            _LANGUAGES[key] = found
    return found


def _find_language(env: Any, wanted: str | None, declared: str) -> str:
    # DECISIONS (Language): the report speaks to the original's sender, so the language the
    # original declared comes first, then --lang, then English.
    if wanted and not _speaks(env, wanted):
        raise InputError(f"lang: no message catalog and no strings template dsn/strings/{wanted}.j2")
    candidates = []
    if declared:
        candidates += [declared, i18n.language_tag(declared) or ""]
    for lang in candidates + [wanted or "", "en"]:
        if lang and _speaks(env, lang):
            return lang
    return "en"


def _speaks(env: Any, lang: str) -> bool:
    """Whether reports can be written in ``lang``: ndr has its messages, or the templates have
    a strings file for it (a user's ``dsn/strings/<lang>.j2``)."""
    if lang in i18n.LANGS:
        return True
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?", lang):
        return False
    try:
        env.get_template(f"dsn/strings/{lang}.j2")
        return True
    except Exception:
        return False


_STRINGS: dict[tuple[Any, str], Any] = {}
"""(environment, language) → the report wording (one object per pair, so shapes repeat)."""


def _strings(env: Any, lang: str) -> Any:
    """The report wording in ``lang``: the language's own strings template when the templates
    have one, else the shipped ``dsn/strings/en.j2`` with its messages translated by gettext."""
    found = _STRINGS.get((env, lang))
    if found is None:
        name = f"dsn/strings/{lang}.j2"
        try:
            env.get_template(name)
        except Exception:
            name = "dsn/strings/en.j2"
        found = render.module(env, name, {"_": i18n.gettext_for(lang)})
        if len(_STRINGS) < 256:
            _STRINGS[(env, lang)] = found
    return found


def _returned(original: bytes | None, message: QueuedMessage, action: Verdict,
              options: ReportOptions) -> str | None:
    """``full``, ``headers`` or None (nothing to return)."""
    if original is None:
        return None
    # Delay warnings carry the header only; RET=HDRS asks for the header; big messages too.
    if action is Verdict.DELAYED or message.ret == "HDRS" or len(original) > options.max_original_bytes:
        return "headers"
    return "full"


def _context(catalog: Catalog, message: QueuedMessage, action: Verdict, reports: Sequence[RecipientReport], strings: Any,
             lang: str, subject: str, known: bool, returned: str | None, reporting_mta: str,
             queue_id: str, now: datetime, will_retry_until: datetime | None, original_id: str,
             put: Callable[[str], str]) -> dict[str, Any]:
    # ``put`` marks the per-message strings (render.Shaped); the rest repeats across reports.
    return {
        "kind": "failure" if action is Verdict.FAILED else "delay",
        "lang": lang,
        "s": strings,
        "subject": put(subject),
        "original_known": known,
        "original": returned,
        "reporting_mta": reporting_mta,
        "queue_id": put(queue_id),
        "sender": put(message.sender),
        "arrival_date": put(i18n.format_datetime(message.arrival, lang)),
        "report_date": put(i18n.format_datetime(now, lang)),
        "will_retry_until": put(i18n.format_datetime(will_retry_until, lang)) if will_retry_until else "",
        "age": put(human(now - message.arrival)),
        "envid": put(one_line(message.envid, 100)) if message.envid else "",
        "message_id": put(original_id),
        "permanent": action is Verdict.FAILED and all(r.status.startswith("5") for r in reports),
        "recipients": [_recipient_context(r, lang, catalog, put) for r in reports],
    }


def _recipient_context(report: RecipientReport, lang: str, catalog: Catalog,
                       put: Callable[[str], str]) -> render.Record:
    verdict = report.verdict
    summary = catalog.reason(verdict.reason).summary.get(lang) or verdict.summary
    entry = verdict.entry
    return render.Record({
        "address": put(report.address),
        "status": report.status,
        "title": entry.title.get(lang) if entry is not None else "",
        "summary": summary,
        "reason": verdict.reason,
        "rule": verdict.rule,
        "catalog_id": entry.id if entry is not None else "",
        "hard": verdict.hard,
        "causes": list(verdict.causes),
        "fixes": list(verdict.fixes),
        "who": list(verdict.who),
        "remote_mta": put(report.remote_mta or ""),
        "diagnostic": put(report.diagnostic or ""),
        "last_attempt": put(i18n.format_datetime(report.last_attempt, lang)) if report.last_attempt else "",
        "original_recipient": put(one_line(report.original_recipient, 300)) if report.original_recipient else "",
    })


# ---- MIME, built by hand so that nothing from input decides the structure -----------------

def _header(name: str, value: str, utf8: bool) -> bytes:
    value = one_line(value, 2000)
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
        if report.remote_mta:
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


@dataclass(frozen=True, slots=True)
class _Part:
    headers: bytes
    body: bytes
    children: tuple["_Part", ...] = field(default=())
    gap: bool = False
    """End with a blank line, as the stdlib writes nested multiparts and delivery-status bodies
    (so that a strict stdlib re-parse and re-generation gives back the same bytes)."""


_QP_LINES: dict[str, bytes] = {}
_QP_LINES_MAX = 20000
"""Encoded lines by text. Quoted-printable encodes each line on its own, and reports repeat most
of their lines (labels, markup, the catalog's causes and fixes), so most lines are encoded once."""


def _qp(text: str) -> bytes:
    """``binascii.b2a_qp`` of ``text`` with CRLF line ends, the same bytes, a line at a time."""
    return b"".join(map(_qp_line, render.lines(text)))


def _qp_line(line: str) -> bytes:
    """One line (no line end) quoted-printable encoded, with its CRLF; cached by text."""
    encoded = _QP_LINES.get(line)
    if encoded is None:
        # With its newline, a line is encoded exactly as within the whole text (trailing
        # blanks escaped, soft breaks at 76).
        encoded = binascii.b2a_qp(line.encode("utf-8") + b"\n", quotetabs=False, istext=True,
                                  header=False)[:-1].replace(b"\n", b"\r\n") + b"\r\n"
        if len(_QP_LINES) >= _QP_LINES_MAX:
            _QP_LINES.clear()
        _QP_LINES[line] = encoded
    return encoded


def _alternative(text: bytes, html: bytes, lang: str, digest: str) -> _Part:
    """The multipart/alternative of the two rendered parts, already quoted-printable encoded."""
    language = f"Content-Language: {lang}\r\n".encode()
    plain = _Part(b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                  + language, text)
    rich = _Part(b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                 + language, html)
    inner = _boundary(digest, "2", [plain, rich])
    return _Part(f'Content-Type: multipart/alternative;\r\n boundary="{inner}"\r\n'.encode(),
                 _multipart(inner, [plain, rich], b""), (plain, rich), gap=True)


def _status_part(body: str, utf8: bool) -> _Part:
    if utf8:
        data = body.encode("utf-8")
        encoding = b"Content-Transfer-Encoding: 8bit\r\n" if not data.isascii() else b""
        return _Part(b"Content-Type: message/global-delivery-status\r\n" + encoding, data, gap=True)
    return _Part(b"Content-Type: message/delivery-status\r\n", body.encode("ascii"), gap=True)


def _original_part(original: bytes, returned: str, utf8: bool) -> _Part:
    data = mime.normalise_newlines(original)
    if returned == "headers":
        data = mime.split_header_body(data)[0].rstrip(b"\n") + b"\n"
        kind = b"message/global-headers" if utf8 else b"text/rfc822-headers"
    else:
        kind = b"message/global" if utf8 else b"message/rfc822"
        if not data.endswith(b"\n"):
            data += b"\n"
    data = data.replace(b"\n", b"\r\n")
    headers = b"Content-Type: " + kind + b"\r\n"
    if kind == b"text/rfc822-headers":
        headers = b"Content-Type: text/rfc822-headers; charset=utf-8\r\n" if not data.isascii() else headers
    if not data.isascii():
        headers += b"Content-Transfer-Encoding: 8bit\r\n"
    # The stdlib reads message/global-headers as a message: a header block, its blank line, an
    # empty body; written that way, a strict re-parse gives back the same bytes.
    gap = kind == b"message/global-headers"
    return _Part(headers + b"Content-Description: Undelivered message\r\n", data + (b"\r\n" if gap else b""), gap=gap)


def _boundary(digest: str, level: str, parts: Sequence[_Part]) -> str:
    # Deterministic (golden files) yet never present in what it encloses.
    for attempt in range(100):
        candidate = f"=_ndr_{digest}_{level}" + (f"_{attempt}" if attempt else "")
        token = candidate.encode()
        if not any(token in p.headers or token in p.body for p in parts):
            return candidate
    raise InputError("cannot find a MIME boundary absent from the content")


def _multipart(boundary: str, parts: Sequence[_Part], preamble: bytes) -> bytes:
    delimiter = f"--{boundary}".encode()
    chunks = [preamble]
    for part in parts:
        chunks += [delimiter, b"\r\n", part.headers, b"\r\n", part.body]
        if not part.body.endswith(b"\r\n"):
            chunks.append(b"\r\n")
        if part.gap:
            chunks.append(b"\r\n")
    chunks += [delimiter, b"--\r\n"]
    return b"".join(chunks)


__all__ = ["GeneratedReport", "RecipientReport", "ReportOptions", "generate", "generate_reports",
           "recipient_report"]
