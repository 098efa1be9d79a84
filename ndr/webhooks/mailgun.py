"""Mailgun webhooks: one JSON object with ``signature`` (``timestamp``, ``token``,
``signature``) and ``event-data``.

Failure events, as Mailgun's webhook and events documentation describes them: ``failed`` with
``severity`` ``permanent`` (Mailgun gave up, or did not send: ``reason`` ``bounce``,
``suppress-bounce`` …) or ``temporary`` (Mailgun will retry: a delay), with the remote server's
answer in ``delivery-status`` (``code``, ``message``, ``description``, ``mx-host``), and
``complained``. The original's headers are in ``message.headers``.
"""
from __future__ import annotations

from typing import Any

from .lookup import key_chain
from ..model import OriginalMessage
from .events import Event, PayloadError, obj, text_of, when_from

PROVIDER = "mailgun"


def payload_events(payload: Any) -> list[Event]:
    """The failure event of one webhook POST (none for other event types)."""
    if not isinstance(payload, dict):
        raise PayloadError("a Mailgun webhook must be a JSON object")
    data = payload.get("event-data", payload)
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise PayloadError("a Mailgun webhook needs 'event-data' with an 'event'")
    name = data["event"].strip().lower()
    if name == "failed":
        keys = key_chain("failed", data.get("severity"), data.get("reason"))
    elif name == "complained":
        keys = key_chain("complained")
    else:
        return []
    status = obj(data, "delivery-status")
    headers = obj(obj(data, "message"), "headers")
    code = _smtp_code(status)
    text = _text(status, code)
    return [Event(provider=PROVIDER, keys=tuple(keys), recipient=text_of(data.get("recipient")),
                  status=text_of(status.get("enhanced-code")), text=text,
                  reply_code=code,
                  remote_mta=text_of(status.get("mx-host")), when=when_from(data.get("timestamp")),
                  feedback_type="abuse" if name == "complained" else None,
                  original=OriginalMessage(message_id=text_of(headers.get("message-id")),
                                           subject=text_of(headers.get("subject")),
                                           from_=text_of(headers.get("from")),
                                           to=text_of(headers.get("to"))))]


def _smtp_code(status: dict[str, Any]) -> str | None:
    """``delivery-status.code`` when it is an SMTP reply code (Mailgun also writes its own,
    such as 605 for a suppressed address, which are not)."""
    code = text_of(status.get("code"))
    return code if code and len(code) == 3 and code.isdigit() and code[0] in "245" else None


def _text(status: dict[str, Any], code: str | None) -> str | None:
    """The remote server's reply (``message``), else Mailgun's own words (``description``);
    the code goes in front when the text lacks it, as an SMTP reply line reads."""
    text = text_of(status.get("message")) or text_of(status.get("description"))
    if text and code and not text.startswith(code):
        return f"{code} {text}"
    return text
