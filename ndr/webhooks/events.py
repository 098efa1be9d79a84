"""The common mapping: one provider event (already read from its JSON) → one ndr ``Report``.

Every provider module reduces its payload to ``Event``s: who, the provider's classification
(as catalog keys), and the diagnostic text, codes and hosts it gave. Here each event is
classified the way a mail bounce is — the diagnostic text through ndr's ``classify`` — and the
provider's classification, through the catalog's ``webhooks`` entries, decides where ndr's own
reading finds nothing specific (or always, for a decisive entry). The record id follows the
rule of mail bounces (DECISIONS: the original's Message-ID, the recipient, the action), so the
same failure reported by mail and by webhook has one id.
"""
from __future__ import annotations

__all__ = ["Event", "PayloadError", "obj", "text_of", "to_report", "when_from"]

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..catalog import codes
from ..catalog import Catalog
from ..reading.classify import Classification, classify
from ..reading.text import one_line
from ..model import Kind, OriginalMessage, RecipientResult, Report
from ..parse import record_id
from . import PayloadError
from ..catalog.webhooks import WebhookEntry as Entry
from .lookup import lookup

# A verdict from these steps of classify's precedence is ndr reading the text itself; anything
# else (a non-decisive code, a bare class, nothing) gives way to the provider's classification.
_SPECIFIC = ("host:", "field:", "type:", "phrase:", "notice:", "command:")
_KINDS = {"feedback": Kind.FEEDBACK, "vacation": Kind.VACATION}


@dataclass(frozen=True, slots=True)
class Event:
    """One provider event about one recipient, in ndr's terms."""

    provider: str
    keys: tuple[str, ...]
    """Catalog event keys, most specific first (``bounce/permanent/noemail``, ``bounce/permanent``)."""
    recipient: str | None
    original: OriginalMessage = OriginalMessage()
    """The sent message's headers, as far as the provider passes them on (its Message-ID, Subject,
    From, To)."""
    status: str | None = None
    """The enhanced status code the provider gave in a field of its own."""
    text: str | None = None
    """The provider's diagnostic text (the remote server's reply, or the provider's words)."""
    diagnostic_type: str | None = None
    reply_code: str | None = None
    remote_mta: str | None = None
    reporting_mta: str | None = None
    when: datetime | None = None
    feedback_type: str | None = None
    provider_id: str | None = None
    """The provider's own id of the sent message (SES messageId, Postmark MessageID ...)."""


def when_from(value: Any) -> datetime | None:
    """A provider time: ISO 8601 text (``2026-12-05T10:00:00.000Z``) or Unix seconds."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), timezone.utc)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if text.replace(".", "", 1).isdigit():
                return datetime.fromtimestamp(float(text), timezone.utc)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def obj(data: dict[str, Any], name: str) -> dict[str, Any]:
    """``data[name]`` when it is a JSON object, else an empty one."""
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def text_of(value: Any) -> str | None:
    """A payload value as one line of text (numbers too), None for nothing."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return one_line(str(value))


def to_report(event: Event, catalog: Catalog, lang: str = "en") -> Report:
    """The event as a one-recipient ``Report``, classified."""
    entry = lookup(catalog, event.provider, event.keys)
    action = entry.action if entry is not None else ("failed" if event.text or event.status else None)
    text = event.text
    status, source = _status(event, text)
    reply = event.reply_code or (codes.find_reply(text) if text else None)
    if reply is not None and not codes.agree(reply, status):
        reply = None
    common: dict[str, Any] = dict(status=status, reply=reply, text=text, action=action,
                                  remote_mta=event.remote_mta, recipient=event.recipient, lang=lang,
                                  reporting_mta=event.reporting_mta,
                                  diagnostic_type=event.diagnostic_type)
    verdict = classify(catalog, **common)
    rule = verdict.rule
    if entry is not None and (entry.decisive or not _specific(verdict)):
        verdict = classify(catalog, **common, preset=entry.reason)
        rule = f"webhook:{entry.id}"
    if status is None and verdict.reason not in _KINDS:
        status, source = _inferred(catalog, entry, verdict.reason, action)
    kind = _KINDS.get(verdict.reason, Kind.BOUNCE)
    if kind is not Kind.BOUNCE:
        action = None
    identity = _identity(event)
    recipient = RecipientResult(
        recipient=one_line(event.recipient), action=action, status=status, reply_code=reply,
        diagnostic_code=text, diagnostic_type=event.diagnostic_type,
        remote_mta=event.remote_mta, reporting_mta=event.reporting_mta,
        last_attempt_date=event.when, reason=verdict.reason, hard=verdict.hard, rule=rule,
        catalog_id=verdict.entry.id if verdict.entry is not None else None,
        summary=verdict.summary or None, causes=verdict.causes, fixes=verdict.fixes,
        who=verdict.who, feedback_type=event.feedback_type, status_source=source,
        record_id=record_id(identity, event.recipient, action),
    )
    return Report(kind=kind, decoder=f"webhook:{event.provider}", recipients=(recipient,),
                  reporting_mta=event.reporting_mta,
                  original=event.original)


def _specific(verdict: Classification) -> bool:
    """Whether ndr's own reading of the text named a reason (not only a class or nothing)."""
    if verdict.rule.startswith(_SPECIFIC):
        return True
    return verdict.rule.startswith("code:") and verdict.entry is not None and verdict.entry.decisive


def _status(event: Event, text: str | None) -> tuple[str | None, str | None]:
    """The stated status and where it came from: the provider's field, else the text."""
    stated = codes.normalise_status(event.status)
    if stated is not None and not codes.is_class_only(stated):
        return stated, "report"
    found = codes.find_status(text) if text else None
    if found is not None:
        return found, "reply"
    return (stated, "report") if stated is not None else (None, None)


def _inferred(catalog: Catalog, entry: Entry | None, reason: str,
              action: str | None) -> tuple[str | None, str | None]:
    """No code stated: the entry's, else the reason's default, in the class the action implies."""
    status = (entry.status if entry is not None else None) or catalog.reason(reason).default_status
    if status is None:
        return None, None
    if action == "delayed" and status[0] == "5":
        status = "4" + status[1:]
    return status, "inferred"


def _identity(event: Event) -> str:
    """What names the message (DECISIONS): its Message-ID, else the provider's message id,
    else the event itself."""
    if event.original.message_id:
        return "mid:" + event.original.message_id.strip().strip("<>").lower()
    if event.provider_id:
        return f"{event.provider}:{event.provider_id.strip().lower()}"
    key = json.dumps([event.provider, event.keys, event.recipient, event.text,
                      event.when.isoformat() if event.when else None], ensure_ascii=False)
    return "event:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
