"""Amazon SES event notifications: JSON, not mail text, so no table or text scan can read them.

SES publishes bounce, complaint and delivery events as JSON (``notificationType`` with a
``bounce``, ``complaint`` or ``delivery`` object), usually wrapped in an SNS notification whose
``Message`` field holds the SES JSON as a string, and mailed to a subscriber. Field names are
those of the SES developer guide ("Contents of event data that Amazon SES publishes to SNS").
"""
from __future__ import annotations

import json
from typing import Any

from ...catalog import codes
from ...model import Kind
from .settle import settle
from .base import Decoded, Mail, RawRecipient
from ..text import mta_name, one_line
from .rfc3464 import diagnostic_parts, normalise_action
from ...safetext import clean_tree

_MARKERS = ("notificationtype", "eventtype")  # quoted, or escaped inside the SNS Message string


def _event(text: str) -> dict[str, Any] | None:
    """The SES event in ``text`` (bare, or inside an SNS envelope's ``Message``)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = clean_tree(json.loads(text[start:end + 1], strict=False))  # \ud83d: no lone surrogate
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("Message"), str):
        try:
            data = clean_tree(json.loads(data["Message"], strict=False))
        except ValueError:
            return None
    if not isinstance(data, dict) or not isinstance(data.get("notificationType") or data.get("eventType"), str):
        return None
    return data


class AmazonSES:
    """SES bounce / complaint / delivery notifications (JSON)."""

    name = "amazonses"

    def decode(self, mail: Mail) -> Decoded | None:
        lower = mail.body_lower  # its first 4096 characters, searched in place (no copy)
        if lower.find("{", 0, 4096) < 0 or not any(lower.find(marker, 0, 4096) >= 0 for marker in _MARKERS):
            return None
        event = _event(mail.body_text)
        if event is None:
            return None
        kind = str(event.get("notificationType") or event.get("eventType")).lower()
        found = event.get(kind)
        detail: dict[str, Any] = found if isinstance(found, dict) else {}
        reporting = mta_name(detail.get("reportingMTA"))
        if kind == "bounce":
            return settle(mail, self._bounce(detail, reporting))
        if kind == "complaint":
            feedback = str(detail.get("complaintFeedbackType") or "abuse").lower()
            recipients = [RawRecipient(recipient=r.get("emailAddress"), feedback_type=feedback,
                                       reason="feedback", reporting_mta=reporting)
                          for r in detail.get("complainedRecipients") or () if isinstance(r, dict)]
            return settle(mail, Decoded(decoder=self.name, kind=Kind.FEEDBACK, recipients=recipients,
                                              reporting_mta=reporting))
        if kind == "delivery":
            response = one_line(detail.get("smtpResponse"))
            remote = detail.get("remoteMtaIp") or reporting
            recipients = [RawRecipient(recipient=address, action="delivered", reason="delivered",
                                       status=codes.find_status(response or ""),
                                       reply_code=codes.find_reply(response) if response else None,
                                       diagnostic=response, remote_mta=remote, reporting_mta=reporting)
                          for address in detail.get("recipients") or () if isinstance(address, str)]
            return Decoded(decoder=self.name, kind=Kind.DELIVERED, recipients=recipients,
                           reporting_mta=reporting)
        return None

    def _bounce(self, detail: dict[str, Any], reporting: str | None) -> Decoded:
        transient = str(detail.get("bounceType", "")).lower() == "transient"
        recipients: list[RawRecipient] = []
        for item in detail.get("bouncedRecipients") or ():
            if not isinstance(item, dict) or not item.get("emailAddress"):
                continue
            diag_type, diagnostic = diagnostic_parts(item.get("diagnosticCode"))
            status = codes.normalise_status(item.get("status"))
            said = "report" if status else None
            if status is None and diagnostic:
                status = codes.find_status(diagnostic)
                said = "reply" if status else None
            if status is None:
                status = "4.0.0" if transient else "5.0.0"
            reply = codes.find_reply(diagnostic) if diagnostic else None
            recipients.append(RawRecipient(
                recipient=item["emailAddress"], action=normalise_action(item.get("action")) or "failed",
                status=status, status_source=said,
                reply_code=reply if codes.agree(reply, status) else None,
                diagnostic=diagnostic, diagnostic_type=diag_type,
                reporting_mta=reporting))
        return Decoded(decoder=self.name, recipients=recipients, reporting_mta=reporting)


__all__ = ["AmazonSES"]
