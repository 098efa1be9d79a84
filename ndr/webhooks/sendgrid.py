"""SendGrid Event Webhook batches: a JSON array of events, each with ``email``, ``event``,
``timestamp`` (Unix seconds), ``sg_message_id`` and ``smtp-id`` (the Message-ID).

Failure events, as SendGrid's Event Webhook reference describes them: ``bounce`` (``type``
``bounce`` or ``blocked``, with ``bounce_classification``, the remote ``reason`` and ``status``),
``dropped`` (SendGrid did not send: its ``reason`` names the suppression list), ``deferred``
(the remote server answered temporarily: ``response``, ``attempt``) and ``spamreport``. An
event named ``blocked`` is read as a bounce of type blocked. Engagement events (processed,
delivered, open, click, unsubscribe …) carry no failure and give no event.
"""
from __future__ import annotations

from typing import Any

from .lookup import key_chain
from ..model import OriginalMessage
from .events import Event, PayloadError, text_of, when_from

PROVIDER = "sendgrid"


def batch_events(payload: Any) -> list[Event]:
    """The failure events of one batch (a single event object is taken as a batch of one)."""
    items = payload if isinstance(payload, list) else [payload]
    events = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("event"), str):
            raise PayloadError("a SendGrid event must be an object with an 'event' field")
        event = _event(item)
        if event is not None:
            events.append(event)
    return events


def _event(item: dict[str, Any]) -> Event | None:
    name = item["event"].strip().lower()
    if name == "blocked":
        name, kind = "bounce", "blocked"
    else:
        kind = text_of(item.get("type")) or "bounce"
    if name == "bounce":
        keys = key_chain(kind, item.get("bounce_classification"))
        text = text_of(item.get("reason"))
    elif name == "dropped":
        keys = key_chain("dropped", item.get("reason"))
        text = text_of(item.get("reason"))
    elif name == "deferred":
        keys = key_chain("deferred")
        text = text_of(item.get("response"))
    elif name == "spamreport":
        keys = key_chain("spamreport")
        text = None
    else:
        return None
    return Event(provider=PROVIDER, keys=tuple(keys), recipient=text_of(item.get("email")),
                 status=text_of(item.get("status")), text=text, when=when_from(item.get("timestamp")),
                 feedback_type="abuse" if name == "spamreport" else None,
                 original=OriginalMessage(message_id=text_of(item.get("smtp-id"))),
                 provider_id=_message_id(item))


def _message_id(item: dict[str, Any]) -> str | None:
    """SendGrid's message id: ``sg_message_id`` is the message's id plus a per-recipient
    filter suffix after the first dot; the part before it names the message."""
    value = text_of(item.get("sg_message_id"))
    return value.split(".", 1)[0] if value else None
