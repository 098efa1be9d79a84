"""Typed results: what a parsed bounce looks like to callers.

Every record that crosses a module boundary is a frozen dataclass. Reason ids are plain strings
because the set is open (defined and checked by the catalog); RFC-closed vocabularies are Enums.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from datetime import datetime
from itertools import repeat
from operator import call
from typing import Any, Callable, TypeVar

from .errors import Defect
from .fielddoc import documented

_T = TypeVar("_T")


class Action(enum.StrEnum):
    """RFC 3464 §2.3.3 Action values."""

    FAILED = "failed"
    DELAYED = "delayed"
    DELIVERED = "delivered"
    RELAYED = "relayed"
    EXPANDED = "expanded"


SUCCESS_ACTIONS: frozenset[str] = frozenset({Action.DELIVERED, Action.RELAYED, Action.EXPANDED})
"""The actions that report success, not failure (RFC 3464 §2.3.3); a StrEnum equals its value,
so plain strings are looked up too."""


class Kind(enum.StrEnum):
    """What sort of message a report describes."""

    BOUNCE = "bounce"
    """A failure or delay report (DSN or a vendor's non-delivery notice)."""
    DELIVERED = "delivered"
    """A success DSN (delivered, relayed or expanded only)."""
    FEEDBACK = "feedback"
    """An ARF feedback report (RFC 5965): a complaint, not a bounce."""
    VACATION = "vacation"
    """An automatic reply (RFC 3834): not a bounce."""
    NONE = "none"
    """Ordinary mail."""


@documented
@dataclass(frozen=True, slots=True)
class OriginalMessage:
    """Identity of the message that bounced, from the returned message or its headers."""

    message_id: str | None = None
    """The original's Message-ID, e.g. ``<20240501.1@example.com>``."""
    subject: str | None = None
    """The original's Subject, decoded."""
    from_: str | None = None
    """The original's From header (``from`` in ``to_dict()``)."""
    to: str | None = None
    """The original's To header."""
    date: str | None = None
    """The original's Date header, as written."""
    sender: str | None = None
    """The envelope sender, where the report names it (e.g. X-Postfix-Sender)."""


@documented
@dataclass(frozen=True, slots=True)
class RecipientResult:
    """One recipient of a report, decoded and classified."""

    recipient: str | None
    """The address that failed (Final-Recipient), lowercased domain kept as given."""
    action: str | None = None
    """RFC 3464 Action: failed, delayed, delivered, relayed, expanded."""
    status: str | None = None
    """RFC 3463 enhanced status code, e.g. ``5.1.1``."""
    reply_code: str | None = None
    """RFC 5321 reply code, e.g. ``550``."""
    diagnostic_code: str | None = None
    """The remote server's or MTA's diagnostic text, whitespace folded."""
    diagnostic_type: str | None = None
    """The Diagnostic-Code type (``smtp``, ``X-Postfix``), when given."""
    original_recipient: str | None = None
    """Original-Recipient (ORCPT), when given."""
    remote_mta: str | None = None
    """The destination server that refused or could not be reached."""
    reporting_mta: str | None = None
    """The MTA that wrote the report."""
    last_attempt_date: datetime | None = None
    """When the reporting MTA last tried this recipient (Last-Attempt-Date)."""
    will_retry_until: datetime | None = None
    """For a delay: until when the MTA keeps trying (Will-Retry-Until)."""
    smtp_command: str | None = None
    """The SMTP command the error answered (RCPT, DATA, ...), when the text says."""
    reason: str = "undefined"
    """Catalog reason id (STYLE.md vocabulary), e.g. ``userunknown``."""
    hard: bool = False
    """True only where the address itself is bad; a delay is never hard."""
    rule: str = ""
    """The catalog rule that decided ``reason`` (e.g. ``code:iana-x.1.1``, ``phrase:mailboxfull``)."""
    catalog_id: str | None = None
    """The catalog code entry that explains this failure, if any."""
    summary: str | None = None
    """The catalog's one-line meaning of the reason or code."""
    causes: tuple[str, ...] = ()
    """Likely causes, from the catalog."""
    fixes: tuple[str, ...] = ()
    """How to fix it, from the catalog."""
    who: tuple[str, ...] = ()
    """Who should act: sender, sender-admin, recipient, recipient-admin."""
    feedback_type: str | None = None
    """ARF Feedback-Type, for feedback reports."""
    status_source: str | None = None
    """Where ``status`` came from: ``report`` (DSN field), ``reply`` (SMTP reply or diagnostic),
    ``text`` (the human-readable part) or ``inferred`` (implied by the reason)."""
    last_error_status: str | None = None
    """Inside an expiry notice: the status of the last real error (Exchange ``LED=``, Postfix
    ``delivery temporarily suspended``, Sendmail ``Deferred:``); never replaces ``status``. A
    delay notice that quotes its last error (Exchange ``Message delayed [{LED=…}]``) has it too."""
    last_error: str | None = None
    """Inside an expiry notice: the text of the last real error."""
    record_id: str | None = None
    """Stable id of this event: the same message, recipient and action give the same id, in every
    run and on every machine (a ticketing system drops repeats by it)."""


@documented
@dataclass(frozen=True, slots=True)
class Report:
    """Everything ndr read from one message."""

    kind: Kind
    """What the message is: a bounce, a success DSN, a feedback report, an auto-reply or none."""
    decoder: str | None = None
    """Which decoder recognised the message (``rfc3464``, ``postfix``, ``fallback`` ...)."""
    recipients: tuple[RecipientResult, ...] = ()
    """One entry per recipient the message reports on, in the report's order."""
    reporting_mta: str | None = None
    """The MTA that wrote the report (Reporting-MTA)."""
    received_from_mta: str | None = None
    """The MTA the original came from (Received-From-MTA), when given."""
    arrival_date: datetime | None = None
    """When the reporting MTA received the original (Arrival-Date)."""
    original_envelope_id: str | None = None
    """The sender's ENVID (Original-Envelope-Id), when given."""
    original: OriginalMessage = field(default_factory=OriginalMessage)
    """Identity of the message that bounced."""
    subject: str | None = None
    """Subject of the report itself."""
    defects: tuple[Defect, ...] = ()
    """What was wrong with the message and was worked around (bad mail never raises by default)."""

    @property
    def is_bounce(self) -> bool:
        """True for failure or delay reports (not feedback, auto-replies or success DSNs)."""
        return self.kind is Kind.BOUNCE

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (datetimes as ISO 8601 strings)."""
        return plain_fields(self)


def slot_builder(cls: type[_T]) -> Callable[..., _T]:
    """A maker of ``cls`` instances (a frozen dataclass with slots) from every field's value,
    given in field order: the same object as ``cls(*values)``, made without its ``__init__``,
    which sets each field through ``object.__setattr__`` (past the frozen guard) and matches
    keyword arguments; each slot's own setter costs half as much. For records made by the
    thousand (``ndr.parse._result``)."""
    setters = tuple(getattr(cls, f.name).__set__ for f in fields(cls))  # type: ignore[arg-type]
    count = len(setters)
    new = object.__new__

    def build(*values: Any) -> _T:
        if len(values) != count:
            raise ValueError(f"{cls.__name__} takes {count} values, not {len(values)}")
        made = new(cls)
        # each setter(made, value) called from C (map + operator.call), not by a Python loop:
        # a third cheaper; a setter returns None, so any() runs them all
        any(map(call, setters, repeat(made, count), values))
        return made

    return build


def plain_fields(value: Any) -> dict[str, Any]:
    """A dataclass instance's fields as plain JSON-ready values (trailing ``_`` dropped)."""
    # plain() inlined for the scalars most fields hold: this runs for every record written
    return {key: got if type(got := getattr(value, name)) in SCALAR_TYPES else plain(got)
            for name, key in _field_keys(type(value))}


_FIELD_KEYS: dict[type, tuple[tuple[str, str], ...]] = {}


def _field_keys(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, key) of each field of a dataclass: looked up once per class, not per record
    (one entry per dataclass: the cache cannot grow with the input)."""
    keys = _FIELD_KEYS.get(cls)
    if keys is None:
        keys = _FIELD_KEYS[cls] = tuple((f.name, f.name.rstrip("_")) for f in fields(cls))
    return keys


SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})
"""The exact types ``plain`` returns as they are (a str-valued enum is none of them)."""


def plain(value: Any) -> Any:
    """A value as JSON-ready data: dates as ISO text, enums as their values, defects as text."""
    kind = type(value)
    if kind in SCALAR_TYPES:  # most values, first (exact types: a str-valued enum is no str here)
        return value
    if kind is tuple or kind is list:  # exact types: a named tuple is read as below
        # the catalog's texts (causes, fixes, who): scalars already, copied in one call
        return list(value) if SCALAR_TYPES.issuperset(map(type, value)) else [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Defect):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return plain_fields(value)
    return value


_plain, _plain_fields = plain, plain_fields  # the old private names, for code written before
