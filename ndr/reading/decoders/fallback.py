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
``temporary`` phrases). ``remote_mta`` follows the shared rule of ``settle.py``.

What it reads is data: the catalog's ``notices`` section (fields in docs/catalog.md).

A bounce attached to ordinary mail (message/rfc822, a ``.eml``/``.txt`` file) is read once with
the whole registry; one forwarded inline or quoted with ``> `` is read from the text; either way
the report gets a defect saying so. When the notice names nobody, the returned message's sole
addressee is the recipient (the Subject's address first, when the Subject states the failure).
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ...catalog import Catalog, codes
from ...catalog.match import fold
from .. import mime
from ..charsets import split_content_type
from ...catalog.notices import Notices, command_in, holds_any
from ...errors import Defect, DefectKind
from . import textscan
from .settle import settle
from .base import Decoded, Mail, RawRecipient
from ...catalog.search import literal_search
from ..text import clean_address, find_address, mta_name, one_line, sole_addressee
from .rfc3464 import enrich, recipients_in_text
from ...safetext import utf8
from ...lazy import regex

# The header of a message inside the text that comes from a mail system: a returned bounce.
_INNER_FROM = regex(r"^(?:From|Return-Path):[^\n]*(?:mailer-daemon|postmaster|<>)", re.I | re.M)


class Fallback:
    """Bounces in no described format."""

    name = "fallback"

    def __init__(self, dispatch: Callable[[Mail], Decoded | None] | None = None) -> None:
        self.dispatch = dispatch
        """The registry's dispatch loop, for a bounce found inside the message (None: not read)."""

    def decode(self, mail: Mail) -> Decoded | None:
        lay = mail.catalog.notices
        if lay is None:
            return None
        if not textscan.looks_like_bounce(mail, lay, intros=False):
            # Ordinary mail that carries a bounce as an attachment (someone forwarding it to a
            # help desk): the attached bounce is read.
            attached = None if mail.depth else _attached_bounce(mail)
            if attached is not None:
                return self.inner(attached)
            if not textscan.looks_like_bounce(mail, lay):
                return None
        scan = textscan.scan(mail, lay)
        if _lookalike(mail, scan, lay):
            return None
        reporting = scan.reporting_mta
        inline = recipients_in_text(scan.text)
        if inline is not None:
            recipients, message_fields = inline
            reporting = reporting or mta_name(message_fields.get("reporting-mta"))
            enrich(recipients, scan, reporting or textscan.received_by(mail), lay)
            return settle(mail, Decoded(decoder=self.name, recipients=recipients,
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
            addresses = _named_in_subject(mail)
        if not addresses:
            inner = self.forwarded(mail)
            if inner is not None:
                return inner
            # Nobody named in the notice, and no bounce inside it: the returned message's sole
            # addressee ("I'm afraid I wasn't able to deliver the following message" above a copy).
            sole = sole_addressee(mail.original.headers if mail.original is not None
                                  else _inline_header(mail, lay))
            if sole is None:
                return None
            addresses = [sole]
        delayed = holds_any(lay.phrase_groups["delayed"], scan.lower)
        recipients = [self.recipient(address, scan, lay, reporting, delayed, mail.catalog)
                      for address in addresses]
        decoded = settle(mail, Decoded(decoder=self.name, recipients=recipients, reporting_mta=reporting))
        if decoded is not None:
            decoded.defects.extend(_framing_defects(scan.text))
        return decoded

    def forwarded(self, mail: Mail) -> Decoded | None:
        """A bounce returned inside another message — attached (a filter re-wrapping the bounce
        it caught), or in the text (forwarded, or re-bounced to a postmaster): decode the inner
        message once with the whole registry."""
        if mail.depth or mail.headers.get("x-ndr-inner") is not None:
            return None
        inner = _attached_bounce(mail)
        if inner is None:
            text = mail.body_text
            match = literal_search(_INNER_FROM, text)  # tried at line starts holding From/Return-Path
            if match is None:
                return None
            data = b"X-NDR-Inner: 1\n" + utf8(text[match.start():])
            inner = Mail(mime.parse(data, mail.policy), mail.catalog, mail.policy, depth=1,
                         defects=mail.defects)
        return self.inner(inner)

    def inner(self, inner: Mail) -> Decoded | None:
        """Decode a bounce found inside another message once, with the whole registry (the
        user's policy and the message's defects: a crash inside is noted, or raised, like any
        other)."""
        if self.dispatch is None:
            return None
        decoded = self.dispatch(inner)
        if decoded is not None:
            decoded.decoder = f"{self.name}+{decoded.decoder}"
            decoded.defects.append(Defect(DefectKind.FORWARDED_BOUNCE, "the bounce was read from a "
                                          "message attached to or forwarded in another one"))
        return decoded

    @staticmethod
    def recipient(address: str, scan: textscan.Scan, lay: Notices, reporting: str | None,
                  delayed: bool, catalog: Catalog | None = None) -> RawRecipient:
        block = scan.blocks.get(address.lower())
        own = block.text if block is not None else ""
        diagnostic = own
        if not (codes.find_status(own) or codes.find_reply(own)) and scan.diagnostic and scan.diagnostic not in own:
            diagnostic = f"{own} {scan.diagnostic}" if own else scan.diagnostic
        if not diagnostic:
            diagnostic = scan.summary or ""
        elif catalog is not None and scan.summary and not (codes.find_status(diagnostic) or codes.find_reply(diagnostic)) \
                and catalog.phrases.first(fold(diagnostic)) is None:
            # The recipient's own lines name no reason and carry no code ("Undeliverable Address: x"
            # under the reason): the notice's own words do.
            diagnostic = f"{diagnostic} {scan.summary}"
        status = codes.find_status(diagnostic) if diagnostic else None
        reply = (codes.find_reply(diagnostic) or textscan.first_group(lay.reply, diagnostic)) if diagnostic else None
        if reply and status and reply[0] != status[0]:
            reply = None
        said = "reply" if status else None
        if status is None:
            # No code: the reply's class, else what the text says, else a notice that is not a
            # delay is a final failure.
            klass = reply[0] if reply else _class_from_text(scan.lower, lay) or ("4" if delayed else "5")
            status = f"{klass}.0.0"
        action = "delayed" if delayed and status[0] == "4" else "failed"
        # the server this recipient's diagnostic (else the notice) says answered; settle
        # applies the rest of the rule
        remote = (textscan.first_group(lay.remote_mta, diagnostic) if diagnostic else None) or (
            textscan.first_group(lay.remote_mta, scan.text))
        return RawRecipient(recipient=address, action=action, status=status, status_source=said,
                            reply_code=reply,
                            diagnostic=one_line(diagnostic), remote_mta=remote,
                            reporting_mta=reporting,
                            smtp_command=block.command(lay) if block is not None else None)


# Attachments that hold a whole message although not typed message/rfc822: a saved .eml, or
# the bounce pasted into a .txt file.
_MESSAGE_FILES = (".eml", ".txt", ".msg.txt", ".mht")
_FIELD_LINE = regex(rb"[!-9;-~]{1,76}:[ \t]")


def _attached_bounce(mail: Mail) -> Mail | None:
    """The bounce attached to ``mail``: a message/rfc822 part, else a ``.eml``/``.txt``
    attachment whose content is a message with a header — when it is itself a bounce."""
    attached = mail.original
    if attached is not None and len(attached.headers):  # (len: no value unfolded)
        candidate = Mail(attached, mail.catalog, mail.policy, depth=1, defects=mail.defects)
        if _is_bounce(candidate):
            return candidate
    for part in mail.parts:
        if part.is_multipart or part.message is not None:
            continue
        name = (part.params.get("name") or _filename(part.headers.get("content-disposition")) or "").lower()
        if not name.strip('"').endswith(_MESSAGE_FILES):
            continue
        data = mime.normalise_newlines(part.payload()).lstrip(b"\n")
        if not _FIELD_LINE.match(data):
            continue
        candidate = Mail(mime.parse(data, mail.policy), mail.catalog, mail.policy, depth=1,
                         defects=mail.defects)
        if len(candidate.headers) and _is_bounce(candidate):
            return candidate
    return None


def _filename(disposition: str | None) -> str | None:
    """The ``filename`` parameter of a Content-Disposition value."""
    if not disposition:
        return None
    return split_content_type(disposition)[1].get("filename")


def _lookalike(mail: Mail, scan: textscan.Scan, lay: Notices) -> bool:
    """A notice that only looks like a bounce (a challenge-response request, a quarantine or
    recall notice): one of the catalog's ``lookalikes`` phrases in its Subject or text, and no
    SMTP reply or status code anywhere in the text (a real refusal quotes one)."""
    if not lay.lookalikes or scan.diagnostic is not None:  # the cheap test first: a reply
        return False
    subject = mail.subject.lower()
    if not (holds_any(lay.phrase_groups["lookalikes"], subject) or holds_any(lay.phrase_groups["lookalikes"], scan.lower)):
        return False
    return codes.find_status(scan.text) is None


def _named_in_subject(mail: Mail) -> list[str]:
    """The address in a Subject that states the failure itself (Domino: "DELIVERY FAILURE: User
    x (x@host) not listed in Domino Directory"): only when the Subject names a reason."""
    address = find_address(mail.subject)
    if address is None or mail.catalog.phrases.first(fold(mail.subject)) is None:
        return []
    return [address]


def _inline_header(mail: Mail, lay: Notices) -> mime.Headers | None:
    """The header of a returned message copied into the text below an ``ends`` marker line."""
    lower = mail.body_lower
    at = min((found for found in (lower.find(p) for p in lay.ends) if found >= 0), default=-1)
    if at < 0:
        return None
    start = lower.find("\n", at)
    if start < 0:
        return None
    block = mail.body_folded[start:].lstrip("\n").encode("utf-8", "surrogateescape")
    head, _ = mime.split_header_body(block)
    return mime.parse_headers(head) if head else None


_FORWARD_MARKERS = ("forwarded message", "original message", "begin forwarded message")


def _framing_defects(text: str) -> list[Defect]:
    """A bounce read from text that a person forwarded or quoted, not from the notice itself."""
    head = text[:20000]
    if head.startswith(">") + head.count("\n>") >= 3:  # lines opening with ">" (as ^> under re.M)
        return [Defect(DefectKind.QUOTED_BOUNCE, "the bounce was read from quoted text ('> ' lines)")]
    if literal_search(_INNER_FROM, head) and any(m in head.lower() for m in _FORWARD_MARKERS):
        return [Defect(DefectKind.FORWARDED_BOUNCE, "the bounce was read from the text of a forwarded message")]
    return []


def _is_bounce(mail: Mail) -> bool:
    lay = mail.catalog.notices
    return lay is not None and textscan.looks_like_bounce(mail, lay)


def _class_from_text(lower: str, lay: Notices) -> str | None:
    if holds_any(lay.phrase_groups["temporary"], lower):
        return "4"
    if holds_any(lay.phrase_groups["permanent"], lower):
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
