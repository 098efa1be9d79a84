"""Amazon SES notifications, as Amazon SNS delivers them to an HTTPS subscriber.

An SNS POST is an envelope (``Type``: ``SubscriptionConfirmation``, ``Notification``,
``UnsubscribeConfirmation``) whose ``Message`` string holds the SES JSON. SES writes
``notificationType`` (feedback notifications) or ``eventType`` (event publishing) as ``Bounce``,
``Complaint`` or ``DeliveryDelay``, with a ``bounce``, ``complaint`` or ``deliveryDelay`` object
and the ``mail`` object of the sent message. Field names are those of the SES Developer Guide
("Contents of notifications for Amazon SES", "Contents of event data that Amazon SES publishes
to Amazon SNS"). Other event types (Send, Delivery, Open …) carry no failure and give no event.
"""
from __future__ import annotations

import json
from typing import Any

from ..reading.text import mta_name
from ..reading.decoders.rfc3464 import diagnostic_parts
from .lookup import key_chain
from ..model import OriginalMessage
from .events import Event, PayloadError, obj, text_of, when_from
from ..safetext import clean_tree

PROVIDER = "ses"


def envelope_events(envelope: dict[str, Any]) -> list[Event]:
    """The events of one SNS envelope (none for subscription messages), or of a bare SES
    notification."""
    kind = envelope.get("Type")
    if kind in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
        return []
    if kind == "Notification":
        message = envelope.get("Message")
        if not isinstance(message, str):
            raise PayloadError("SNS Notification without a Message string")
        try:
            inner = clean_tree(json.loads(message))
        except ValueError:
            raise PayloadError("the SNS Message is not SES JSON") from None
        if not isinstance(inner, dict):
            raise PayloadError("the SNS Message is not a JSON object")
        return notification_events(inner)
    if kind is not None:
        raise PayloadError(f"unknown SNS message type {kind!r}")
    return notification_events(envelope)


def notification_events(data: dict[str, Any]) -> list[Event]:
    """The events of one SES notification or event record."""
    kind = data.get("notificationType") or data.get("eventType")
    if not isinstance(kind, str):
        raise PayloadError("not an SES notification (no notificationType or eventType)")
    common = _mail_fields(obj(data, "mail"))
    name = kind.strip().lower()
    if name == "bounce":
        return _bounces(_object(data, "bounce"), common)
    if name == "complaint":
        return _complaints(_object(data, "complaint"), common)
    if name == "deliverydelay":
        return _delays(_object(data, "deliveryDelay"), common)
    return []


def _object(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise PayloadError(f"SES {name} notification without its {name!r} object")
    return value


def _mail_fields(mail: dict[str, Any]) -> dict[str, Any]:
    headers = obj(mail, "commonHeaders")

    def joined(value: Any) -> str | None:
        return ", ".join(str(v) for v in value) if isinstance(value, list) and value else text_of(value)

    original = OriginalMessage(message_id=text_of(headers.get("messageId")),
                               subject=text_of(headers.get("subject")),
                               from_=joined(headers.get("from")), to=joined(headers.get("to")))
    return dict(provider=PROVIDER, provider_id=text_of(mail.get("messageId")), original=original)


def _recipients(value: Any) -> list[dict[str, Any]]:
    return [item for item in value or () if isinstance(item, dict) and item.get("emailAddress")]


def _bounces(bounce: dict[str, Any], common: dict[str, Any]) -> list[Event]:
    keys = tuple(key_chain("bounce", bounce.get("bounceType"), bounce.get("bounceSubType")))
    return _failures(bounce, bounce.get("bouncedRecipients"), keys, common,
                     remote_mta=text_of(bounce.get("remoteMtaIp")))


def _complaints(complaint: dict[str, Any], common: dict[str, Any]) -> list[Event]:
    feedback = text_of(complaint.get("complaintFeedbackType"))
    keys = tuple(key_chain("complaint", feedback))
    return [Event(keys=keys, recipient=str(item["emailAddress"]),
                  feedback_type=(feedback or "abuse").lower(),
                  when=when_from(complaint.get("timestamp")), **common)
            for item in _recipients(complaint.get("complainedRecipients"))]


def _delays(delay: dict[str, Any], common: dict[str, Any]) -> list[Event]:
    keys = tuple(key_chain("deliverydelay", delay.get("delayType")))
    return _failures(delay, delay.get("delayedRecipients"), keys, common)


def _failures(section: dict[str, Any], recipients: Any, keys: tuple[str, ...], common: dict[str, Any],
              remote_mta: str | None = None) -> list[Event]:
    """One event per bounced or delayed recipient: its status and diagnostic, with the section's
    reporting MTA and time."""
    reporting = mta_name(text_of(section.get("reportingMTA")))
    when = when_from(section.get("timestamp"))
    events = []
    for item in _recipients(recipients):
        kind, text = diagnostic_parts(text_of(item.get("diagnosticCode")))
        events.append(Event(keys=keys, recipient=str(item["emailAddress"]), status=text_of(item.get("status")),
                            text=text, diagnostic_type=kind, reporting_mta=reporting,
                            remote_mta=remote_mta, when=when, **common))
    return events
