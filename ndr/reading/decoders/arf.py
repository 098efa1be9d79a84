"""RFC 5965 ARF feedback reports: complaints, never bounces.

``multipart/report; report-type=feedback-report`` with a message/feedback-report part. The
recipient is the complaining address (Original-Rcpt-To, else the To of the returned message);
the reason is always ``feedback``, with the Feedback-Type.

Microsoft's Junk Mail Reporting Program sends its complaints without the report part: a
multipart/mixed message (Subject ``complaint about message from <ip>``) whose attached original
carries ``X-HmXmrOriginalRecipient``, the complaining address. It is read as an ``abuse`` report.
"""
from __future__ import annotations

from ..dsn import parse_fields
from ...model import Kind
from .settle import settle
from .base import Decoded, Mail, RawRecipient
from ..text import clean_address, mta_name, one_line, parse_date


class ARF:
    name = "arf"

    def decode(self, mail: Mail) -> Decoded | None:
        # Mail.first_part written out: every message comes here first, few are feedback reports
        for part in mail.parts:
            if part.content_type == "message/feedback-report":
                break
        else:
            return self.jmrp(mail)
        report = part.text()
        fields = parse_fields(report)
        values = {**fields.message, **(fields.recipients[0] if fields.recipients else {})}
        feedback_type = (values.get("feedback-type") or "other").strip().lower()
        original = mail.original
        addresses: list[str | None] = [
            a for a in (clean_address(v) for v in _all(report, "original-rcpt-to")) if a]
        if not addresses and original is not None:
            addresses = [clean_address(original.headers.get("to"))] if original.headers.get("to") else []
        addresses = [a for a in addresses if a and "@" in a]  # "Undisclosed Recipients" names nobody
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
        return settle(mail, Decoded(decoder=self.name, kind=Kind.FEEDBACK, recipients=recipients,
                                          reporting_mta=reporting,
                                          arrival_date=parse_date(values.get("arrival-date"))))


    @staticmethod
    def jmrp(mail: Mail) -> Decoded | None:
        """A Microsoft JMRP complaint (see the module docstring), else None."""
        if not mail.subject.lower().startswith(_JMRP_SUBJECT) or mail.original is None:
            return None
        address = clean_address(mail.original.headers.get(_JMRP_HEADER))
        if not address or "@" not in address:
            return None
        source = mail.subject[len(_JMRP_SUBJECT):].strip().strip("[]") or None
        return settle(mail, Decoded(decoder="arf:jmrp", kind=Kind.FEEDBACK, recipients=[
            RawRecipient(recipient=address, feedback_type="abuse", reason="feedback",
                         diagnostic=mail.subject, remote_mta=source)]))


_JMRP_SUBJECT = "complaint about message from"
_JMRP_HEADER = "x-hmxmroriginalrecipient"


def _all(text: str, name: str) -> list[str]:
    prefix = name + ":"
    return [line.split(":", 1)[1].strip() for line in text.splitlines()
            if line.lower().startswith(prefix)]
