"""The shared last step of every decoder (``settle``): the one rule for ``remote_mta``, and the
SMTP command a diagnostic says failed (``smtp_command``: CONNECT, HELO, EHLO, MAIL, RCPT or DATA,
from the MTAs' own markers listed in the catalog's ``notices.commands``).

``remote_mta`` is the server whose answer a record reports — the server that said the words in
the diagnostic. In order:

1. **The server the report says answered**: the Remote-MTA field, a vendor layout's own
   ``remote_mta`` expression, or a host the diagnostic quotes as answering — the catalog's
   fallback entry lists these shapes (``host X[ip] said:``, Exim's ``host X [ip]: 550 ...``,
   ``remote host X said``, ``while talking to X:`` ...).
2. **Else the MTA that wrote the report.** No remote server answered: the notice names none, or
   the connection failed before any reply (``connect to X: Connection timed out`` — those words
   are the reporting MTA's own; the host it tried stays in the diagnostic). That MTA is the
   Reporting-MTA field, or the host the text introduces as its author (``This is the mail system
   at host X``, ``Generating server: X``: the fallback entry's ``reporting_mta`` shapes).
3. **Else the first server that signed the bounce's trace**: the ``by`` part of the oldest
   Received header of the bounce itself. The ``by`` part is written by the host it names; the
   ``from`` part is only what the peer claimed (a HELO name, an IP, ``unknown``).

A decoder sets what its format states (1 and 2) and calls ``settle`` last; ``settle`` fills the
rest, normalises host names (lowercase, no brackets or trailing dot), and never overwrites a
value a decoder set.
"""
from __future__ import annotations

from typing import Iterable

from ...catalog.notices import command_in
from . import textscan
from ...model import SUCCESS_ACTIONS
from .base import Decoded, Mail, RawRecipient

_HEAD = 8192  # a text introduces its author near the top


def normalise(host: str | None) -> str | None:
    """A host name or address literal as records carry it: lowercase, bare."""
    if not host:
        return None
    host = host.strip().strip("[]()<>,;'\"").rstrip(".").lower()
    if host.startswith("ipv6:"):
        host = host[5:]
    return host or None


def answering_host(mail: Mail, text: str | None) -> str | None:
    """The host ``text`` (a diagnostic) quotes as having answered, if any."""
    lay = mail.catalog.notices
    if not text or lay is None:
        return None
    return normalise(textscan.first_group(lay.remote_mta, text))


def author_in_text(mail: Mail) -> str | None:
    """The host the human-readable text introduces as the report's author, if any."""
    lay = mail.catalog.notices
    if lay is None:
        return None
    return normalise(textscan.first_group(lay.reporting_mta, mail.body_folded[:_HEAD]))


def trace_host(mail: Mail) -> str | None:
    """The ``by`` host of the oldest Received header (of the bounce, not of its original)."""
    return normalise(textscan.received_by(mail))


def settle(mail: Mail, decoded: Decoded, recipients: Iterable[RawRecipient] | None = None) -> Decoded:
    """Apply the module's rules to the recipients of ``decoded`` (or the given ones)."""
    fallback: list[str | None] = []  # computed once, only when some recipient needs it

    def report_author() -> str | None:
        if not fallback:
            fallback.append(normalise(decoded.reporting_mta) or author_in_text(mail) or trace_host(mail))
        return fallback[0]

    transcript: list[str | None] = []  # the whole text's last command, computed once if needed

    def text_command() -> str | None:
        if not transcript:
            transcript.append(textscan.text_command(mail, lay))
        return transcript[0]

    addresses: list[frozenset[str]] = []  # every recipient, lowercase: built once, not per recipient

    def everyone() -> frozenset[str]:
        if not addresses:
            addresses.append(frozenset(r.recipient.lower() for r in decoded.recipients if r.recipient))
        return addresses[0]

    lay = mail.catalog.notices
    for raw in decoded.recipients if recipients is None else recipients:
        remote = normalise(raw.remote_mta) or answering_host(mail, raw.diagnostic)
        raw.remote_mta = remote or normalise(raw.reporting_mta) or report_author()
        if raw.smtp_command is None:
            raw.smtp_command = command_in(lay, raw.diagnostic)
        if raw.smtp_command is None and raw.action not in SUCCESS_ACTIONS and lay is not None:
            # The recipient's own paragraph of the human text (up to another recipient), else
            # the last command of the whole text (a session transcript, m-FILTER's section).
            raw.smtp_command = textscan.paragraph_command(mail, lay, raw.recipient, everyone()) \
                or text_command()
    return decoded


__all__ = ["settle", "answering_host", "author_in_text", "trace_host", "normalise"]
