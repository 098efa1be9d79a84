"""RFC 3834 automatic responses (out-of-office, vacation): recognised, never bounces.

Signs, from RFC 3834 and common practice: Auto-Submitted: auto-replied, X-Autoreply,
X-Autorespond, Precedence: auto_reply, X-Apple-Action: vacation, or a subject that starts like an
automatic reply (the catalog's ``notices.autoreply_subjects``). Mail from a mail system (the
catalog's ``notices.senders``: mailer-daemon, postmaster ...) is never a vacation reply. The
recipient is the address that answered (From), the diagnostic the first lines of the reply.
"""
from __future__ import annotations

from ...model import Kind
from .settle import settle
from .base import Decoded, Mail, RawRecipient
from ..text import find_address, one_line

def is_autoreply(mail: Mail) -> bool:
    """True when the message says it is an automatic reply (and is not from a mail system)."""
    notices = mail.catalog.notices
    if notices is not None and any(d in mail.sender for d in notices.senders):
        return False
    headers = mail.headers
    auto = (headers.get("auto-submitted") or "").lower()
    if auto.startswith("auto-replied"):
        return True
    if any(name in headers for name in ("x-autoreply", "x-autorespond", "x-autoresponder")):
        return True
    if (headers.get("precedence") or "").lower().strip() == "auto_reply":
        return True
    if (headers.get("x-apple-action") or "").lower().strip() == "vacation":
        return True
    return notices is not None and mail.subject.lower().startswith(notices.autoreply_subjects)


class AutoReply:
    name = "rfc3834"

    def decode(self, mail: Mail) -> Decoded | None:
        if not is_autoreply(mail):
            return None
        address = find_address(mail.headers.decoded("from") or "") or find_address(
            mail.headers.get("reply-to") or "")
        text: list[str] = []
        for line in mail.body_text.splitlines():  # stripped one by one: only the first lines count
            line = line.strip()
            if not line:
                if text:
                    break
                continue
            if line.startswith(">") or (line.startswith("On ") and line.endswith("wrote:")):
                break
            text.append(line)
        return settle(mail, Decoded(decoder=self.name, kind=Kind.VACATION, recipients=[
            RawRecipient(recipient=address, reason="vacation", diagnostic=one_line(" ".join(text)))
        ]))
