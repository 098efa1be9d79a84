"""Postmark bounce and spam-complaint webhooks: one JSON object per POST.

As Postmark's webhook documentation describes them: ``RecordType`` ``Bounce`` with the bounce
``Type`` (``HardBounce``, ``SoftBounce``, ``Transient``, ``DnsError``, ``Blocked`` …), the
remote answer in ``Details``, Postmark's own ``Description``, ``Email``, ``BouncedAt``,
``MessageID`` (Postmark's id), ``From`` and ``Subject``; ``RecordType`` ``SpamComplaint`` for
a complaint. ``Description`` is Postmark's fixed text for the bounce type, not about this
failure, so only ``Details`` goes through classification. Other record types (Delivery, Open, Click, SubscriptionChange) give no event.
"""
from __future__ import annotations

from typing import Any

from ..reading.decoders.rfc3464 import diagnostic_parts
from .lookup import key_chain
from ..model import OriginalMessage
from .events import Event, PayloadError, text_of, when_from

PROVIDER = "postmark"


def payload_events(payload: Any) -> list[Event]:
    """The failure event of one webhook POST (none for other record types)."""
    if not isinstance(payload, dict):
        raise PayloadError("a Postmark webhook must be a JSON object")
    record = text_of(payload.get("RecordType")) or ("Bounce" if "TypeCode" in payload else None)
    if record is None:
        raise PayloadError("a Postmark webhook needs a 'RecordType'")
    record = record.lower()
    if record == "spamcomplaint":
        keys = key_chain("spamcomplaint")
    elif record == "bounce":
        keys = key_chain("bounce", payload.get("Type"))
    else:
        return []
    kind, text = diagnostic_parts(text_of(payload.get("Details")))
    return [Event(provider=PROVIDER, keys=tuple(keys), recipient=text_of(payload.get("Email")),
                  text=text, diagnostic_type=kind,
                  when=when_from(payload.get("BouncedAt")),
                  feedback_type="abuse" if record == "spamcomplaint" else None,
                  provider_id=text_of(payload.get("MessageID")),
                  original=OriginalMessage(subject=text_of(payload.get("Subject")),
                                           from_=text_of(payload.get("From"))))]
