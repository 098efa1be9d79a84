"""The generic fallback: bounces in formats nobody described still yield recipient and code.

Runs last, and only on messages whose envelope says "bounce" (``textscan.looks_like_bounce``:
a mail-system sender, a bounce subject, or a multipart/report), so ordinary mail never becomes a
bounce. In order, it reads:

1. delivery-status fields written into the text (``Final-Recipient:`` ... in a text/plain
   body: a report whose status part was flattened or lost);
2. recipient blocks of the human-readable text (``textscan.scan``), or the X-Failed-Recipients
   header, or addresses quoted in SMTP replies (``550 5.1.1 <x>... User unknown``).

Each recipient gets the status and reply code of its own block, else of the message-wide
diagnostic paragraph; without a code, the class comes from the text (``permanent`` /
``temporary`` phrases). ``remote_mta`` follows the shared rule of ``hosts.py``.

Catalog entry (``vendors``, ``decoder: fallback``), every field data::

    - id: fallback
      decoder: fallback
      senders: [mailer-daemon, ...]      # phrases in the lowercased From: "this is a bounce"
      subjects: [undelivered mail, ...]  # phrases in the lowercased Subject: "this is a bounce"
      ends: ["----- original message -----", ...]   # the human text ends at the line holding one
      headers_end: ['^received: ', ...]  # regexes (multiline): a line opening the returned header
      recipients: ['^<{address}>', ...]  # line shapes; {address} marks the recipient
      remote_mta: ['\\bhost ([\\w.-]+) ?\\[[0-9.]+\\] said:', ...]  # one group: the server a
                                         #   diagnostic quotes as having answered (hosts.py)
      reporting_mta: ['^this is the mail system at host ([\\w.-]+)', ...]  # one group: the
                                         #   host a text introduces as its author (multiline)
      commands: {RCPT: ['\\bin reply to rcpt to command', ...], DATA: [...]}  # per SMTP
                                         #   command (CONNECT HELO EHLO MAIL RCPT DATA): the
                                         #   markers saying it failed; no groups
      delayed: ["will be retried", ...]  # the message is still queued (action delayed)
      permanent: [...]                   # class 5 when the text carries no code
      temporary: [...]                   # class 4 when the text carries no code
"""
from __future__ import annotations

import re
from typing import Any

from ...catalog import codes
from .. import mime
from . import hosts, phrases, textscan
from .base import Decoded, Mail, RawRecipient
from ..text import clean_address, find_address, mta_name, one_line
from .rfc3464 import enrich, recipients_in_text
from ...safetext import utf8

# The header of a message inside the text that comes from a mail system: a returned bounce.
_INNER_FROM = re.compile(r"^(?:From|Return-Path):[^\n]*(?:mailer-daemon|postmaster|<>)", re.I | re.M)


class Fallback:
    """Bounces in no described format."""

    name = "fallback"

    @staticmethod
    def layout_problems(item: dict[str, Any], reason_ids: set[str]) -> list[str]:
        """Problems in the catalog's ``fallback`` entry."""
        return phrases.problems(item)

    def decode(self, mail: Mail) -> Decoded | None:
        lay = phrases.layout(mail.catalog)
        if lay is None or not textscan.looks_like_bounce(mail, lay):
            return None
        scan = textscan.scan(mail, lay)
        reporting = scan.reporting_mta
        inline = recipients_in_text(scan.text)
        if inline is not None:
            recipients, message_fields = inline
            reporting = reporting or mta_name(message_fields.get("reporting-mta"))
            enrich(recipients, scan, reporting or textscan.received_by(mail), lay)
            return hosts.settle(mail, Decoded(decoder=self.name, recipients=recipients,
                                              reporting_mta=reporting or textscan.received_by(mail)))
        reporting = reporting or textscan.received_by(mail)
        addresses = _failed_header(mail)
        if not addresses:
            addresses = [block.address for block in scan.blocks.values()]
        if not addresses:
            own = {a.lower() for a in (find_address(mail.headers.get("from")),
                                       find_address(mail.headers.get("to"))) if a}
            addresses = textscan.addresses_in_replies(scan.text, own)
        if not addresses:
            return self.forwarded(mail)
        delayed = any(p in scan.lower for p in lay.delayed)
        recipients = [self.recipient(address, scan, lay, reporting, delayed) for address in addresses]
        return hosts.settle(mail, Decoded(decoder=self.name, recipients=recipients, reporting_mta=reporting))

    def forwarded(self, mail: Mail) -> Decoded | None:
        """A bounce returned inside another message — attached (a filter re-wrapping the bounce
        it caught), or in the text (forwarded, or re-bounced to a postmaster): decode the inner
        message once with the whole registry."""
        if mail.depth or mail.headers.get("x-ndr-inner") is not None:
            return None
        inner: Mail | None = None
        attached = mail.original
        if attached is not None and _is_bounce(Mail(attached, mail.catalog, depth=1)):
            inner = Mail(attached, mail.catalog, depth=1)
        else:
            text = mail.body_text
            match = _INNER_FROM.search(text)
            if match is None:
                return None
            data = b"X-NDR-Inner: 1\n" + utf8(text[match.start():])
            inner = Mail(mime.parse(data), mail.catalog, depth=1)
        from . import decoders  # the registry imports this module: late import

        for decoder in decoders():
            decoded = decoder.decode(inner)
            if decoded is not None and decoded.recipients:
                decoded.decoder = f"{self.name}+{decoded.decoder}"
                return decoded
        return None

    @staticmethod
    def recipient(address: str, scan: textscan.Scan, lay: phrases.Layout, reporting: str | None,
                  delayed: bool) -> RawRecipient:
        block = scan.blocks.get(address.lower())
        own = block.text if block is not None else ""
        diagnostic = own
        if not (codes.find_status(own) or codes.find_reply(own)) and scan.diagnostic and scan.diagnostic not in own:
            diagnostic = f"{own} {scan.diagnostic}" if own else scan.diagnostic
        if not diagnostic:
            diagnostic = scan.summary or ""
        status = codes.find_status(diagnostic) if diagnostic else None
        reply = (codes.find_reply(diagnostic) or textscan.first_group(lay.reply, diagnostic)) if diagnostic else None
        if reply and status and reply[0] != status[0]:
            reply = None
        if status is None:
            # No code: the reply's class, else what the text says, else a notice that is not a
            # delay is a final failure.
            klass = reply[0] if reply else _class_from_text(scan.lower, lay) or ("4" if delayed else "5")
            status = f"{klass}.0.0"
        action = "delayed" if delayed and status[0] == "4" else "failed"
        # the server this recipient's diagnostic (else the notice) says answered; hosts.settle
        # applies the rest of the rule
        remote = (textscan.first_group(lay.remote_mta, diagnostic) if diagnostic else None) or (
            textscan.first_group(lay.remote_mta, scan.text))
        return RawRecipient(recipient=address, action=action, status=status, reply_code=reply,
                            diagnostic=one_line(diagnostic), remote_mta=remote,
                            reporting_mta=reporting,
                            smtp_command=block.command(lay) if block is not None else None)


def _is_bounce(mail: Mail) -> bool:
    lay = phrases.layout(mail.catalog)
    return lay is not None and textscan.looks_like_bounce(mail, lay)


def _class_from_text(lower: str, lay: phrases.Layout) -> str | None:
    if any(p in lower for p in lay.temporary):
        return "4"
    if any(p in lower for p in lay.permanent):
        return "5"
    return None


def _failed_header(mail: Mail) -> list[str]:
    """X-Failed-Recipients (Exim, Google): the MTA's own list of who failed."""
    found: list[str] = []
    for value in mail.headers.get_all("x-failed-recipients"):
        for item in value.split(","):
            address = clean_address(item.strip())
            if address and "@" in address and address.lower() not in (a.lower() for a in found):
                found.append(address)
    return found


__all__ = ["Fallback"]
