"""Bounces that email service providers post as JSON webhooks, read into ndr's records.

>>> import ndr.webhooks
>>> results = ndr.webhooks.parse("postmark", {"RecordType": "Bounce", "Type": "HardBounce",
...     "Email": "nobody@example.com", "Details": "smtp;550 5.1.1 user unknown"})
>>> results[0].reason, results[0].status
('userunknown', '5.1.1')

``parse`` trusts its payload: check the provider's signature first (``ndr.webhooks.verify``)
when the payload came over the network. Nothing here imports a web framework; only signature
checks of SES and SendGrid need ``cryptography`` (the ``serve`` extra).
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable

from ..errors import InputError
from ..catalog.webhooks import PROVIDERS
from ..safetext import clean_tree

if TYPE_CHECKING:  # the mapping is imported when used: the catalog loader imports this package
    from ..catalog import Catalog
    from ..model import RecipientResult, Report
    from .events import Event

__all__ = ["PROVIDERS", "PayloadError", "parse", "reports"]


class PayloadError(InputError):
    """A webhook payload that is not the provider's event shape (or not JSON at all)."""


def _readers() -> dict[str, Callable[[Any], list[Event]]]:
    from . import mailgun, postmark, sendgrid, ses

    return {"ses": ses.envelope_events, "sendgrid": sendgrid.batch_events,
            "mailgun": mailgun.payload_events, "postmark": postmark.payload_events}


def load_payload(payload: bytes | str | dict[str, Any] | list[Any]) -> Any:
    """A payload as JSON data; raw bytes or text must be JSON (``PayloadError`` otherwise)."""
    if isinstance(payload, (dict, list)):
        return payload
    try:
        return clean_tree(json.loads(payload))  # "\ud83d" in JSON: no lone surrogate goes on
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"the payload is not JSON: {exc}") from None


def reports(provider: str, payload: bytes | str | dict[str, Any] | list[Any], *,
            catalog: Catalog | None = None, lang: str = "en") -> list[Report]:
    """One ``Report`` per failure event of the payload (an event names one recipient).

    ``provider`` is one of ``ses`` (an SNS envelope or a bare SES notification), ``sendgrid``
    (an Event Webhook batch), ``mailgun`` or ``postmark``. Events that report no failure
    (deliveries, opens, subscription confirmations) give nothing. Raises ``ValueError`` for an
    unknown provider and ``PayloadError`` for a payload that is not the provider's shape.
    """
    from ..catalog import load_catalog
    from .events import to_report

    reader = _readers().get(provider)
    if reader is None:
        raise ValueError(f"unknown provider {provider!r} (one of {', '.join(PROVIDERS)})")
    catalog = catalog or load_catalog()
    return [to_report(event, catalog, lang) for event in reader(load_payload(payload))]


def parse(provider: str, payload: bytes | str | dict[str, Any] | list[Any], *,
          catalog: Catalog | None = None, lang: str = "en") -> list[RecipientResult]:
    """The recipients of a provider's webhook payload, classified like mail bounces: reason,
    hard, status, the catalog's advice and a ``record_id`` (see ``reports``)."""
    return [recipient for report in reports(provider, payload, catalog=catalog, lang=lang)
            for recipient in report.recipients]
