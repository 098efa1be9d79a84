"""RFC 3464 delivery status notifications (and RFC 6533's internationalised ones).

The standard path, tried first: a message/delivery-status (or message/global-delivery-status)
part, wherever it sits. Where Status is missing or only a class, the enhanced code and the reply
code come from the Diagnostic-Code text.

Many reports say less in their status part than in their human-readable part (Postfix's
``host x[ip] said: ...``, Exchange's ``Remote Server returned '...'``, Sendmail's transcript), so
each recipient is enriched from its block of the text (``textscan``): a missing diagnostic, a
class-only status, a missing reply code, the server that answered. ``remote_mta`` follows the
shared rule of ``settle.py``: Remote-MTA, else the server the text says answered, else the
reporting MTA.
"""
from __future__ import annotations

from ...catalog import codes
from ..dsn import parse_fields
from ...model import SUCCESS_ACTIONS, Action, Kind
from ...catalog.notices import Notices, command_in
from . import textscan
from .settle import settle
from .base import Decoded, Mail, RawRecipient
from ..text import clean_address, mta_name, one_line, parse_date

STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")


def diagnostic_parts(value: str | None) -> tuple[str | None, str | None]:
    """``('smtp', '550 5.1.1 ...')`` from a Diagnostic-Code value."""
    if not value:
        return None, None
    kind, semicolon, rest = value.partition(";")
    if semicolon:
        kind = kind.strip()
        if kind and " " not in kind and len(kind) < 20:
            return kind, one_line(rest)
    return None, one_line(value)


def normalise_action(value: str | None) -> str | None:
    """Action value lowercased, with common misspellings mapped (``failure`` → ``failed``)."""
    if not value:
        return None
    action = value.strip().lower().split()[0].rstrip(".;")
    action = _ACTION_ALIASES.get(action, action)
    return action if action in _ACTIONS else None


_ACTION_ALIASES = {"failure": "failed", "fail": "failed", "delay": "delayed", "deliverable": "delivered",
                   "expired": "failed", "relay": "relayed", "expand": "expanded"}
_ACTIONS = frozenset(a.value for a in Action)  # built once: iterating an Enum is slow


def recipient_from_fields(fields: dict[str, str]) -> RawRecipient:
    """A raw recipient from one per-recipient block."""
    diag_type, diagnostic = diagnostic_parts(fields.get("diagnostic-code"))
    status = codes.normalise_status(fields.get("status"))
    found = codes.find_status(diagnostic) if diagnostic else None
    # The remote server's own code is more specific than the reporting MTA's summary of it
    # (Sendmail reports Status 5.1.1 for any 550; the reply said 5.7.1): prefer it, same class.
    source = "report" if status else None
    # Not over X.4.7 (delivery time expired): that is the report's verdict, and the diagnostic
    # holds the last error before it (Sendmail's expiry notice; DECISIONS, last_error_status).
    if found and (status is None or (found[0] == status[0] and not codes.is_class_only(found)
                                     and not status.endswith(".4.7"))):
        status, source = found, "reply"
    reply = codes.find_reply(diagnostic) if diagnostic else None
    remote = mta_name(fields.get("remote-mta"))
    original = clean_address(fields.get("original-recipient"))
    return RawRecipient(
        recipient=clean_address(fields.get("final-recipient")) or original,
        original_recipient=original,
        action=normalise_action(fields.get("action")),
        status=status,
        status_source=source,
        reply_code=reply,
        diagnostic=diagnostic,
        diagnostic_type=diag_type,
        remote_mta=remote,
        last_attempt_date=parse_date(fields.get("last-attempt-date")),
        will_retry_until=parse_date(fields.get("will-retry-until")),
        extensions={k: v for k, v in fields.items() if k.startswith("x-")} or None,
    )


class RFC3464:
    """message/delivery-status anywhere in the message."""

    name = "rfc3464"

    def decode(self, mail: Mail) -> Decoded | None:
        part = mail.first_part(*STATUS_TYPES)
        if part is None:
            return None
        fields = parse_fields(part.text() if part.content_type == STATUS_TYPES[0]
                              else part.payload().decode("utf-8", "replace"))
        if not fields.recipients:
            return None
        blocks = fields.recipients[:mail.policy.max_recipients]
        mail.recipients_cut = len(fields.recipients) - len(blocks)
        recipients = [recipient_from_fields(block) for block in blocks]
        broken = [r for r in recipients if not _valid(r.recipient)]
        recipients = [r for r in recipients if _valid(r.recipient)]
        lay = mail.catalog.notices
        scan = None
        if lay is not None and (broken or any(map(_incomplete, recipients))):
            scan = textscan.scan(mail, lay)
        if len(broken) == 1 and not recipients and scan is not None and len(scan.blocks) == 1:
            # A mangled Final-Recipient (``@mx.example.org``): the text names the one recipient.
            broken[0].recipient = next(iter(scan.blocks.values())).address
            recipients = broken
        if not recipients:
            return None
        reporting = mta_name(fields.message.get("reporting-mta"))
        for recipient in recipients:
            recipient.reporting_mta = reporting
        enrich(recipients, scan, reporting, lay)
        read = _lone_recipient(mail, recipients, scan, lay)
        kind = Kind.BOUNCE
        if all(r.action in SUCCESS_ACTIONS for r in recipients):
            kind = Kind.DELIVERED
        return settle(mail, Decoded(
            decoder=self.name, kind=kind, recipients=recipients, reporting_mta=reporting,
            received_from_mta=mta_name(fields.message.get("received-from-mta")),
            arrival_date=parse_date(fields.message.get("arrival-date")),
            original_envelope_id=fields.message.get("original-envelope-id") or None,
        ), paragraphs_read=read)


def _lone_recipient(mail: Mail, recipients: list[RawRecipient], scan: "textscan.Scan | None",
                    lay: Notices | None) -> bool:
    """A notice about one failed recipient: its words, and the command its paragraph names.
    True when that paragraph was read for the command (``settle`` need not read it again)."""
    if len(recipients) != 1 or lay is None or recipients[0].action in SUCCESS_ACTIONS:
        return False
    raw = recipients[0]
    # its own words are the reporting MTA's verdict on it, read by the classifier when the
    # reply names no reason (Gmail's "Address not found") and its code no detail: composed
    # only then (a code whose every entry names a detail, 5.1.1, never lets it be read)
    if not mail.catalog.detailed(raw.status):
        notice = scan.summary if scan is not None else textscan.summary(textscan.human_text(mail, lay)[0])
        if notice != raw.diagnostic:
            raw.notice = notice
    if raw.smtp_command is not None:
        return False
    # Postfix writes "(in reply to RCPT TO command)" in the human part only: read the paragraph
    # that names the recipient (a bounded window, not the whole text). For a lone recipient this
    # is settle's paragraph_command (no other recipient ends the paragraph early).
    raw.smtp_command = command_in(lay, textscan.paragraph_of(mail, raw.recipient)) \
        or command_in(lay, raw.diagnostic)
    return True


def _valid(address: str | None) -> bool:
    return address is not None and "@" in address[1:]


def _incomplete(raw: RawRecipient) -> bool:
    """True when the status fields leave something the human text may say."""
    return (not raw.diagnostic or codes.is_class_only(raw.status)
            or (raw.reply_code is None and raw.remote_mta is None))


def recipients_in_text(text: str) -> tuple[list[RawRecipient], dict[str, str]] | None:
    """Delivery-status fields written into a text body (a report whose status part was
    flattened): the recipients and the per-message fields, or None when there are none."""
    lower = text.lower()
    if "final-recipient:" not in lower or ("action:" not in lower and "status:" not in lower):
        return None
    fields = parse_fields(text)
    recipients = [recipient_from_fields(block) for block in fields.recipients]
    recipients = [r for r in recipients if _valid(r.recipient)]
    if not recipients:
        return None
    reporting = mta_name(fields.message.get("reporting-mta"))
    for recipient in recipients:
        recipient.reporting_mta = reporting
        recipient.action = recipient.action or "failed"
    return recipients, fields.message


def enrich(recipients: list[RawRecipient], scan: "textscan.Scan | None", reporting: str | None,
           lay: Notices | None = None) -> None:
    """Fill what the status fields left out from each recipient's block of the human text (the
    answering server only where the block quotes one: ``settle`` applies the rest of the
    remote_mta rule)."""
    for raw in recipients:
        block = scan.blocks.get((raw.recipient or "").lower()) if scan is not None else None
        text = block.text if block is not None else None
        # A subject-only Status (Sendmail's 4.5.0) over an empty Diagnostic-Code: the code the
        # text quotes for the recipient is more specific (DECISIONS: the most specific code)
        vague = codes.is_class_only(raw.status) or (not raw.diagnostic and raw.status is not None
                                                   and raw.status.endswith(".0"))
        if scan is not None and text and not (codes.find_status(text) or codes.find_reply(text)) \
                and scan.diagnostic and not raw.diagnostic:
            text = f"{text} {scan.diagnostic}"
        if not raw.diagnostic and (text or (scan is not None and len(recipients) == 1)):
            raw.diagnostic = one_line(text or (scan.diagnostic if scan is not None else None))
        if not raw.diagnostic and scan is not None:
            raw.diagnostic = scan.summary  # the notice's own words, when it quotes no reply
        source = raw.diagnostic or ""
        if vague:
            for candidate, said in ((source, "reply"), (text or "", "text")):
                found = codes.find_status(candidate) if candidate else None
                if found and (raw.status is None or found[0] == raw.status[0]) and found != raw.status:
                    raw.status, raw.status_source = found, said
                    break
        if raw.reply_code is None:
            for candidate in (source, text or ""):
                reply = codes.find_reply(candidate) if candidate else None
                if reply and codes.agree(reply, raw.status):
                    raw.reply_code = reply
                    break
        if raw.status is None:
            # the reply's class; else the Action says it: failed is final, delayed is not
            klass = raw.reply_code[0] if raw.reply_code else {"failed": "5", "delayed": "4"}.get(raw.action or "")
            raw.status = f"{klass}.0.0" if klass else None
        if raw.remote_mta is None and text and lay is not None:
            raw.remote_mta = textscan.first_group(lay.remote_mta, text)
        if raw.smtp_command is None and block is not None and lay is not None:
            raw.smtp_command = block.command(lay)
        if raw.reporting_mta is None:
            raw.reporting_mta = reporting
