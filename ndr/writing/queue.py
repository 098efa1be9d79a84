"""Typed queued messages and the checks of their values; ``listing.py`` reads listings into them.

These modules only read and check listings; they decide nothing (``decide.py``) and write no
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
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping
from ..lazy import regex

_CONTROL = regex(r"[\x00-\x1f\x7f]")
_DURATION = regex(r"(?<![\d.])(\d+(?:\.\d+)?)\s*([wdhms])", re.I)  # not mid-number: linear
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

# ---- Postfix postqueue -j --------------------------------------------------------------------

# ---- listings --------------------------------------------------------------------------------

