"""RFC 5965 ARF feedback reports: complaints, never bounces.

``multipart/report; report-type=feedback-report`` with a message/feedback-report part. The
recipient is the complaining address (Original-Rcpt-To, else the To of the returned message);
the reason is always ``feedback``, with the Feedback-Type.
"""
from __future__ import annotations

from ..dsn import parse_fields
from ..model import Kind
from . import hosts
from .base import Decoded, Mail, RawRecipient, clean_address, mta_name, one_line, parse_date


class ARF:
    name = "arf"

    def decode(self, mail: Mail) -> Decoded | None:
        part = mail.first_part("message/feedback-report")
        if part is None:
            return None
        fields = parse_fields(part.text())
        values = {**fields.message, **(fields.recipients[0] if fields.recipients else {})}
        feedback_type = (values.get("feedback-type") or "other").strip().lower()
        original = mail.original
        addresses = [a for a in (clean_address(v) for v in _all(part.text(), "original-rcpt-to")) if a]
        if not addresses and original is not None:
            addresses = [clean_address(original.headers.get("to"))] if original.headers.get("to") else []
        if not addresses:
            addresses = [None]  # a complaint with the recipient redacted is still a complaint
        human = mail.first_part("text/plain")
        diagnostic = one_line(human.text()) if human is not None else None
        source_ip = (values.get("source-ip") or "").strip() or None
        reporting = mta_name(values.get("reporting-mta"))
        recipients = [
            RawRecipient(recipient=address, feedback_type=feedback_type, reason="feedback",
                         diagnostic=diagnostic, remote_mta=source_ip, reporting_mta=reporting)
            for address in addresses
        ]
        return hosts.settle(mail, Decoded(decoder=self.name, kind=Kind.FEEDBACK, recipients=recipients,
                                          reporting_mta=reporting,
                                          arrival_date=parse_date(values.get("arrival-date"))))


def _all(text: str, name: str) -> list[str]:
    prefix = name + ":"
    return [line.split(":", 1)[1].strip() for line in text.splitlines()
            if line.lower().startswith(prefix)]
