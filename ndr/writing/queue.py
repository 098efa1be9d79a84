"""Queue listings in, typed queued messages out: Postfix ``postqueue -j`` and ndr's own records.

This module only reads and checks listings; it decides nothing (``ndr.decide``) and writes no
mail (``ndr.generate``). Two input formats are accepted, told apart per record:

- Postfix ``postqueue -j``: one JSON object per line with ``queue_id``; unknown members are
  ignored because Postfix adds members over time;
- ndr's queue record format (README "Generating bounces", schema in
  ``ndr/schemas/queue-record.schema.json``): JSON or YAML, one record, a list of records, or a
  mapping with ``messages``.

A bad record becomes a ``RecordProblem`` naming the record and the field; reading goes on with
the next record. No value containing CR, LF or NUL gets through where it could reach a header.
"""
from __future__ import annotations

import enum
import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from ..reading.decoders.base import host_in_text

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DURATION = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*([wdhms])", re.I)  # not mid-number: linear
_DURATION_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
NOTIFY_VALUES = ("NEVER", "SUCCESS", "FAILURE", "DELAY")
RET_VALUES = ("FULL", "HDRS")


class LocalError(enum.StrEnum):
    """Failures the sending MTA met itself, before or instead of an SMTP reply."""

    DNS = "dns"
    """The destination (MX, A/AAAA or the smart host) did not resolve."""
    TIMEOUT = "timeout"
    """The connection or the conversation timed out."""
    REFUSED = "refused"
    """The destination refused the TCP connection."""
    DROPPED = "dropped"
    """The connection was closed abruptly during the session."""
    TLS_CERTIFICATE = "tls-certificate"
    """The destination's TLS certificate did not verify."""
    TLS_REQUIRED = "tls-required"
    """TLS was required but the destination did not offer STARTTLS."""


# What our MTA says for each local error, in the words MTAs use (Postfix's, see
# reference/standards.md); the catalog's patterns then classify these texts like any other.
LOCAL_ERROR_TEXT = {
    LocalError.DNS: "DNS query failed for {host}: Temporary failure in name resolution",
    LocalError.TIMEOUT: "conversation with {host} timed out while receiving the initial server greeting",
    LocalError.REFUSED: "connect to {host}: Connection refused",
    LocalError.DROPPED: "lost connection with {host} while receiving the initial server greeting",
    LocalError.TLS_CERTIFICATE: "Server certificate not verified ({host})",
    LocalError.TLS_REQUIRED: "TLS is required, but was not offered by host {host}",
}


class RecordError(ValueError):
    """A field of a queue record is wrong; ``field`` names it (``recipients[0].notify``)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt for one recipient."""

    time: datetime | None
    """When it was made (UTC); None when the listing does not say (postqueue)."""
    remote_mta: str | None = None
    """The server tried (host name or [address]); None when none was reached (DNS failure)."""
    reply: str | None = None
    """The SMTP reply, e.g. ``450 4.2.0 <bob@example.net>: Recipient address rejected``."""
    status: str | None = None
    """The enhanced status code, when the listing gives it apart from the reply."""
    error: LocalError | None = None
    """A local error instead of a reply."""
    detail: str | None = None
    """The MTA's own text for a local error, or any free text (postqueue's delay_reason)."""

    @property
    def text(self) -> str:
        """What went wrong, as one line of text: the reply, else the local error's words."""
        if self.reply:
            return self.reply
        if self.detail:
            return self.detail
        if self.error is not None:
            return LOCAL_ERROR_TEXT[self.error].format(host=self.remote_mta or "the destination")
        return ""


@dataclass(frozen=True, slots=True)
class QueueRecipient:
    """A recipient still in the queue, with its DSN parameters and attempt history."""

    address: str
    notify: frozenset[str] | None = None
    """RFC 3461 NOTIFY (``NEVER`` or a subset of SUCCESS, FAILURE, DELAY); None: not given."""
    orcpt: str | None = None
    """RFC 3461 ORCPT as ``addr-type;address``; echoed as Original-Recipient, and only then."""
    attempts: tuple[Attempt, ...] = ()

    @property
    def last_attempt(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None


@dataclass(frozen=True, slots=True)
class Original:
    """Where the queued message itself can be read, if anywhere."""

    path: str | None = None
    inline: bytes | None = None
    command: tuple[str, ...] | None = None
    """An argv (e.g. ``postcat -bhq ID``) whose standard output is the message."""


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """One message in the queue."""

    queue_id: str
    sender: str
    """The envelope sender; empty for the null reverse-path (a bounce: never answered)."""
    arrival: datetime
    recipients: tuple[QueueRecipient, ...]
    size: int | None = None
    ret: str | None = None
    """RFC 3461 RET: FULL or HDRS; None when not given."""
    envid: str | None = None
    """RFC 3461 ENVID; echoed as Original-Envelope-Id."""
    smtputf8: bool = False
    forced_expire: bool = False
    """Postfix ``postsuper -e/-f``: bounce now, whatever the age."""
    last_warning: datetime | None = None
    """When the last delay warning for this message was sent, if any."""
    original: Original = Original()
    queue_name: str | None = None
    label: str = ""
    """Where the record came from, for messages (``listing.json record 3``)."""


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A record that could not be read; the listing goes on without it."""

    label: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.label}: {self.field}: {self.problem}" if self.field else f"{self.label}: {self.problem}"


# ---- values ----------------------------------------------------------------------------------

def parse_time(value: Any, field: str = "time") -> datetime:
    """A UTC datetime from ISO 8601 (``2024-05-01T10:00:00Z``; naive means UTC) or epoch seconds.

    >>> parse_time(0).isoformat()
    '1970-01-01T00:00:00+00:00'
    """
    if isinstance(value, bool):
        raise RecordError(field, f"not a time: {value!r}")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip())):
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise RecordError(field, f"epoch seconds out of range: {value!r}") from None
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise RecordError(field, f"not an ISO 8601 time or epoch seconds: {value!r}") from None
    else:
        raise RecordError(field, f"not a time: {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_duration(value: Any, field: str = "duration") -> timedelta:
    """A duration from ``24h``, ``4h``, ``5d``, ``30m``, ``1d12h``, ``90s`` or plain seconds.

    >>> parse_duration("1d12h")
    datetime.timedelta(days=1, seconds=43200)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    text = str(value).strip().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    if not text or _DURATION.sub("", text):
        raise RecordError(field, f"not a duration: {value!r} (e.g. 24h, 4h, 5d, 30m)")
    seconds = sum(float(n) * _DURATION_UNITS[u.lower()] for n, u in _DURATION.findall(text))
    if seconds <= 0:
        raise RecordError(field, f"duration must be positive: {value!r}")
    return timedelta(seconds=seconds)


def _string(value: Any, field: str, *, required: bool = False, allow_empty: bool = True) -> str | None:
    if value is None:
        if required:
            raise RecordError(field, "missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RecordError(field, f"must be a string, not {type(value).__name__}")
    text = str(value)
    if not text and not allow_empty:
        raise RecordError(field, "must not be empty")
    return text


def check_address(value: Any, field: str, *, allow_empty: bool = False) -> str:
    """An envelope address: no controls, no spaces or angle brackets, a domain after the @."""
    text = _string(value, field, required=True)
    assert text is not None
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    if not text:
        if allow_empty:
            return ""
        raise RecordError(field, "empty address")
    if _CONTROL.search(text):
        raise RecordError(field, f"control character (CR, LF, NUL ...) in address {text!r}")
    if any(c in text for c in " <>") or "@" not in text.strip("@"):
        raise RecordError(field, f"not an address: {text!r}")
    return text


def check_host(value: Any, field: str) -> str | None:
    """A host name or ``[address]``: no controls, no spaces."""
    text = _string(value, field)
    if text is None or not text.strip():
        return None
    text = text.strip()
    if _CONTROL.search(text) or " " in text or not re.fullmatch(r"[\w.\-:\[\]]+", text):
        raise RecordError(field, f"not a host name: {text!r}")
    return text


def _notify(value: Any, field: str) -> frozenset[str] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise RecordError(field, "must be NEVER or a list of SUCCESS, FAILURE, DELAY")
    words = frozenset(str(item).strip().upper() for item in items)
    unknown = sorted(words - set(NOTIFY_VALUES))
    if unknown or not words:
        raise RecordError(field, f"unknown value {', '.join(unknown) or '(empty)'} "
                                 f"(want NEVER or any of SUCCESS, FAILURE, DELAY)")
    if "NEVER" in words and len(words) > 1:
        raise RecordError(field, "NEVER cannot be combined with other values")
    return words


def _orcpt(value: Any, field: str) -> str | None:
    text = _string(value, field)
    if text is None or not text.strip():
        return None
    kind, semicolon, address = text.partition(";")
    if not semicolon:
        kind, address = "rfc822", text
    if not re.fullmatch(r"[A-Za-z0-9-]+", kind.strip()) or not address.strip():
        raise RecordError(field, f"want addr-type;address, e.g. rfc822;bob@example.net, not {text!r}")
    # Control characters are kept: the generator xtext-encodes them (RFC 3461 §4.2).
    return f"{kind.strip()};{address.strip()}"


def _bool(value: Any, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise RecordError(field, "must be true or false")
    return value


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RecordError(field, f"must be a mapping, not {type(value).__name__}")
    return value


# ---- ndr's own records -----------------------------------------------------------------------

def _attempt(raw: Any, field: str) -> Attempt:
    raw = _mapping(raw, field)
    time = parse_time(raw["time"], f"{field}.time") if raw.get("time") is not None else None
    error = raw.get("error")
    if error is not None:
        try:
            error = LocalError(str(error).lower())
        except ValueError:
            raise RecordError(f"{field}.error", f"unknown local error {error!r} (want one of "
                                                f"{', '.join(e.value for e in LocalError)})") from None
    status = _string(raw.get("status"), f"{field}.status")
    if status is not None and not re.fullmatch(r"[245]\.\d{1,3}\.\d{1,3}", status.strip()):
        raise RecordError(f"{field}.status", f"not an enhanced status code: {status!r}")
    reply = _string(raw.get("reply"), f"{field}.reply")
    if reply is not None and not re.match(r"[245]\d\d(?![\d])", reply.strip()):
        raise RecordError(f"{field}.reply", f"an SMTP reply starts with a 3-digit code: {reply!r}")
    if reply is None and error is None and not raw.get("detail"):
        raise RecordError(field, "needs a reply, an error or a detail")
    return Attempt(time=time, remote_mta=check_host(raw.get("remote_mta"), f"{field}.remote_mta"),
                   reply=reply.strip() if reply else None, status=status.strip() if status else None,
                   error=error, detail=_string(raw.get("detail"), f"{field}.detail"))


def _recipient(raw: Any, field: str) -> QueueRecipient:
    raw = _mapping(raw, field)
    attempts = raw.get("attempts") or []
    if not isinstance(attempts, list):
        raise RecordError(f"{field}.attempts", "must be a list")
    return QueueRecipient(
        address=check_address(raw.get("address"), f"{field}.address"),
        notify=_notify(raw.get("notify"), f"{field}.notify"),
        orcpt=_orcpt(raw.get("orcpt"), f"{field}.orcpt"),
        attempts=tuple(_attempt(a, f"{field}.attempts[{i}]") for i, a in enumerate(attempts)),
    )


def _original(raw: Any, base: Path | None) -> Original:
    if raw is None:
        return Original()
    raw = _mapping(raw, "original")
    if raw.get("path") is not None:
        path = Path(str(raw["path"]))
        if base is not None and not path.is_absolute():
            path = base / path
        return Original(path=str(path))
    if raw.get("inline") is not None:
        inline = _string(raw["inline"], "original.inline")
        return Original(inline=(inline or "").encode("utf-8", "surrogateescape"))
    raise RecordError("original", "needs path or inline")


NDR_FIELDS = frozenset({"id", "sender", "arrival", "recipients", "size", "ret", "envid", "smtputf8",
                        "forced_expire", "last_warning", "original", "queue_name"})


def ndr_record(raw: Any, label: str, base: Path | None = None) -> QueuedMessage:
    """A ``QueuedMessage`` from one ndr queue record; raises ``RecordError`` naming the field."""
    raw = _mapping(raw, "record")
    unknown = sorted(set(raw) - NDR_FIELDS)
    if unknown:
        raise RecordError(unknown[0], f"unknown field (known: {', '.join(sorted(NDR_FIELDS))})")
    queue_id = _string(raw.get("id"), "id", required=True, allow_empty=False)
    assert queue_id is not None
    if _CONTROL.search(queue_id):
        raise RecordError("id", f"control character in {queue_id!r}")
    recipients = raw.get("recipients")
    if not isinstance(recipients, list) or not recipients:
        raise RecordError("recipients", "must be a non-empty list")
    ret = _string(raw.get("ret"), "ret")
    if ret is not None and ret.upper() not in RET_VALUES:
        raise RecordError("ret", f"want FULL or HDRS, not {ret!r}")
    envid = _string(raw.get("envid"), "envid")
    if envid is not None and len(envid) > 100:
        raise RecordError("envid", "longer than 100 characters (RFC 3461 §4.4)")
    size = raw.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise RecordError("size", "must be a whole number of bytes")
    return QueuedMessage(
        queue_id=queue_id,
        sender=check_address(raw.get("sender"), "sender", allow_empty=True),
        arrival=parse_time(raw.get("arrival"), "arrival") if raw.get("arrival") is not None
        else _missing("arrival"),
        recipients=tuple(_recipient(r, f"recipients[{i}]") for i, r in enumerate(recipients)),
        size=size, ret=ret.upper() if ret else None, envid=envid or None,
        smtputf8=_bool(raw.get("smtputf8"), "smtputf8"),
        forced_expire=_bool(raw.get("forced_expire"), "forced_expire"),
        last_warning=parse_time(raw["last_warning"], "last_warning") if raw.get("last_warning") is not None else None,
        original=_original(raw.get("original"), base),
        queue_name=_string(raw.get("queue_name"), "queue_name"),
        label=label,
    )


def _missing(field: str) -> datetime:
    raise RecordError(field, "missing")


# ---- Postfix postqueue -j --------------------------------------------------------------------

def postfix_record(raw: Any, label: str, command: str | None = None) -> QueuedMessage:
    """A ``QueuedMessage`` from one ``postqueue -j`` object (unknown members ignored).

    ``command`` reads the message, e.g. ``postcat -bhq {queue_id}``; without it the original is
    absent and the report says its headers are unknown.
    """
    raw = _mapping(raw, "record")
    queue_id = _string(raw.get("queue_id"), "queue_id", required=True, allow_empty=False)
    assert queue_id is not None
    if not re.fullmatch(r"[A-Za-z0-9]+", queue_id):
        raise RecordError("queue_id", f"not a Postfix queue id: {queue_id!r}")
    recipients = raw.get("recipients")
    if not isinstance(recipients, list) or not recipients:
        raise RecordError("recipients", "must be a non-empty list")
    parsed = []
    for index, item in enumerate(recipients):
        field = f"recipients[{index}]"
        item = _mapping(item, field)
        attempts: tuple[Attempt, ...] = ()
        reason = item.get("bounce_reason") or item.get("delay_reason")
        if reason is not None:
            text = _string(reason, f"{field}.delay_reason") or ""
            attempts = (Attempt(time=None, remote_mta=host_in_text(text), detail=text),)
        orig = item.get("orig_address")
        parsed.append(QueueRecipient(
            address=check_address(item.get("address"), f"{field}.address"),
            orcpt=_orcpt(f"rfc822;{orig}", f"{field}.orig_address") if orig else None,
            attempts=attempts,
        ))
    argv = tuple(a.replace("{queue_id}", queue_id) for a in shlex.split(command)) if command else None
    size = raw.get("message_size")
    return QueuedMessage(
        queue_id=queue_id, sender=check_address(raw.get("sender", ""), "sender", allow_empty=True),
        arrival=parse_time(raw.get("arrival_time"), "arrival_time") if raw.get("arrival_time") is not None
        else _missing("arrival_time"),
        recipients=tuple(parsed), size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        forced_expire=_bool(raw.get("forced_expire"), "forced_expire"),
        original=Original(command=argv) if argv else Original(),
        queue_name=_string(raw.get("queue_name"), "queue_name"), label=label,
    )


# ---- listings --------------------------------------------------------------------------------

def read_listing(data: bytes | str, name: str = "<stdin>", *, command: str | None = None,
                 base: Path | None = None) -> Iterator[QueuedMessage | RecordProblem]:
    """Every record of a listing, as ``QueuedMessage`` or ``RecordProblem``, in order.

    ``command`` reads originals of postqueue records; ``base`` resolves relative original paths.
    """
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    try:
        records = list(_documents(text))
    except ValueError as exc:
        yield RecordProblem(name, "", str(exc))
        return
    for number, (line, raw) in enumerate(records, 1):
        label = f"{name} record {number}" + (f" (line {line})" if line else "")
        if isinstance(raw, Mapping):
            ident = raw.get("queue_id") or raw.get("id")
            if isinstance(ident, (str, int)) and not _CONTROL.search(str(ident)):
                label += f" id={ident}"
        if isinstance(raw, _Broken):
            yield RecordProblem(label, "", raw.problem)
            continue
        try:
            if isinstance(raw, Mapping) and "queue_id" in raw:
                yield postfix_record(raw, label, command)
            else:
                yield ndr_record(raw, label, base)
        except RecordError as exc:
            yield RecordProblem(label, exc.field, exc.problem)


def _documents(text: str) -> Iterator[tuple[int | None, Any]]:
    stripped = text.lstrip()
    if not stripped:
        return
    if stripped[0] in "{[":
        try:
            yield from _unwrap(json.loads(text), None)
            return
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise ValueError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
        for number, line in enumerate(text.splitlines(), 1):  # JSON lines (postqueue -j)
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, _Broken(f"invalid JSON: {exc.msg}")
        return
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    yield from _unwrap(document, None)


class _Broken(dict[str, Any]):
    """A line that is not JSON: reported as a problem of that record."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


def _unwrap(document: Any, line: int | None) -> Iterator[tuple[int | None, Any]]:
    if isinstance(document, Mapping) and "messages" in document:
        document = document["messages"]
    if isinstance(document, list):
        for item in document:
            yield line, item
    elif document is not None:
        yield line, document


def load_original(message: QueuedMessage, timeout: float = 30.0) -> bytes | None:
    """The queued message itself, or None when the listing gives no way to read it.

    Raises ``RecordError`` (field ``original``) when the path or command fails.
    """
    source = message.original
    if source.inline is not None:
        return source.inline
    if source.path is not None:
        try:
            return Path(source.path).read_bytes()
        except OSError as exc:
            raise RecordError("original.path", f"{source.path}: {exc.strerror or exc}") from None
    if source.command:
        try:
            done = subprocess.run(list(source.command), capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RecordError("original", f"{' '.join(source.command)}: {exc}") from None
        if done.returncode != 0:
            error = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RecordError("original", f"{' '.join(source.command)} exited {done.returncode}"
                                          + (f": {error[-1]}" if error else ""))
        return strip_postcat_markers(done.stdout)
    return None


_MARKER = re.compile(rb"^\*\*\* (?:ENVELOPE RECORDS|MESSAGE CONTENTS|HEADER EXTRACTED|BODY EXTRACTED|"
                     rb"MESSAGE FILE END|HEADER EXTRACTED)[^\r\n]* \*\*\*\r?$")


def strip_postcat_markers(data: bytes) -> bytes:
    """``postcat`` output without its ``*** HEADER EXTRACTED ... ***`` section lines."""
    lines = data.split(b"\n")
    kept = [line for line in lines if not _MARKER.match(line)]
    return b"\n".join(kept).lstrip(b"\r\n")
