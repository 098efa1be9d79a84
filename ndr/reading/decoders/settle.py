"""The shared last step of every decoder (``settle``): the one rule for ``remote_mta``, and the
SMTP command a diagnostic says failed (``smtp_command``: CONNECT, HELO, EHLO, MAIL, RCPT or DATA,
from the MTAs' own markers listed in the catalog's ``notices.commands``).

``remote_mta`` is the destination: the server the sending side talked to or tried
(DECISIONS "Fields"). In order:

1. **The server the report says answered**: the Remote-MTA field, a vendor layout's own
   ``remote_mta`` expression, or a host the diagnostic quotes as answering — the catalog's
   ``notices`` section lists these shapes (``host X[ip] said:``, Exim's ``host X [ip]: 550 ...``,
   ``remote host X said``, ``while talking to X:`` ...).
2. **Else the server the text says was tried**, in the diagnostic, then in the recipient's
   paragraphs of the human-readable text: the ``notices`` section's ``destination`` shapes
   (``connect to X[ip]``, ``LastAttemptedServerName=X``, ``{FQDN=X}``, Exim's ``host X [ip]:``,
   Sendmail's ``Connection refused by X``); for a lone recipient, also a server the notice
   names as answering anywhere (Sendmail's ``... while talking to X.:`` above the transcript).
3. **Else nothing** (``None``): the reporting MTA is never a stand-in for the destination.

``reporting_mta`` stays the reporter: the Reporting-MTA field, else the host the text introduces
as its author (``This is the mail system at host X``, ``Generating server: X``), else the first
server that signed the bounce's trace (the ``by`` part of its oldest Received header).

The same pass reads the last real error of an expiry notice (``lasterror.find``).

A decoder sets what its format states (1) and calls ``settle`` last; ``settle`` fills the
rest, normalises host names (lowercase, no brackets or trailing dot), and never overwrites a
value a decoder set.
"""
from __future__ import annotations

from typing import Iterable

from ...catalog import Catalog
from ...catalog.notices import Notices, command_in
from ...model import SUCCESS_ACTIONS
from . import lasterror, textscan
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


def answered_in(catalog: Catalog, text: str | None) -> str | None:
    """The host a text outside a bounce quotes as having answered (``host X[ip] said:``)."""
    lay = catalog.notices
    if not text or lay is None:
        return None
    return normalise(textscan.first_group(lay.remote_mta, text))


def named_host(catalog: Catalog, text: str | None) -> str | None:
    """The destination a text outside a bounce names (``ndr explain``, a queue's last error): a
    server it quotes as answering, else one it says was tried (the ``notices`` section's
    ``remote_mta`` then ``destination`` shapes)."""
    lay = catalog.notices
    if not text or lay is None:
        return None
    return answered_in(catalog, text) or normalise(textscan.first_group(lay.destination, text))


def tried_host(mail: Mail, text: str | None) -> str | None:
    """The host ``text`` says the sender tried to reach, although it never answered."""
    lay = mail.catalog.notices
    if not text or lay is None:
        return None
    return normalise(textscan.first_group(lay.destination, text))


_MENTIONS = 4
"""Paragraphs naming a recipient that are read (a notice names it in its summary, its details
and its history: Exchange's "Remote Server at X returned …" lines sit under the second)."""


def paragraphs_of(mail: Mail, address: str | None, limit: int = 1200) -> str | None:
    """The paragraphs of the human-readable text that name ``address`` (each from the mention
    to its end, at most ``limit`` characters), joined by newlines; None when none does."""
    if not address:
        return None
    lower, folded, needle = mail.body_lower, mail.body_folded, address.lower()
    found: list[str] = []
    at = lower.find(needle, 0, 65536)
    while at >= 0 and len(found) < _MENTIONS:
        end = lower.find("\n\n", at, at + limit)
        stop = end if end >= 0 else at + limit
        found.append(folded[at:stop])
        at = lower.find(needle, stop, 65536)
    return "\n".join(found) if found else None


def trace_host(mail: Mail) -> str | None:
    """The ``by`` host of the oldest Received header (of the bounce, not of its original)."""
    return normalise(textscan.received_by(mail))


class _Paragraphs:
    """A recipient's paragraphs (``paragraphs_of``), read only when a rule needs them."""

    __slots__ = ("_mail", "_address", "_value", "_done")

    def __init__(self, mail: Mail, address: str | None) -> None:
        self._mail, self._address = mail, address
        self._value: str | None = None
        self._done = False

    def __call__(self) -> str | None:
        if not self._done:
            self._value, self._done = paragraphs_of(self._mail, self._address), True
        return self._value


def settle(mail: Mail, decoded: Decoded, recipients: Iterable[RawRecipient] | None = None, *,
           paragraphs_read: bool = False) -> Decoded:
    """Apply the module's rules to the recipients of ``decoded`` (or the given ones).
    ``paragraphs_read``: the decoder found no recipient's SMTP command in its paragraph of the
    text (``textscan.paragraph_command``): only the transcript's is left to read."""
    author: list[str | None] = []  # computed once, only when some recipient needs it

    def report_author() -> str | None:
        # The reporter, where the decoder found none: the author the text introduces, else
        # the first server that signed the bounce's trace. Never a stand-in for remote_mta.
        if not author:
            author.append(author_in_text(mail) or trace_host(mail))
        return author[0]

    transcript: list[str | None] = []  # the whole text's last command, computed once if needed

    def text_command() -> str | None:
        if not transcript:
            transcript.append(textscan.text_command(mail, lay))
        return transcript[0]

    everyone: frozenset[str] | None = None  # every recipient, lowercase: built once if needed
    session: list[str | None] = []

    def session_host() -> str | None:
        # A lone recipient's server may be named once for the whole notice, away from the
        # recipient's own lines (Sendmail's "... while talking to X.:" transcript above them).
        if not session:
            session.append(answering_host(mail, mail.body_folded[:_HEAD * 2]))
        return session[0]

    lay = mail.catalog.notices
    alone = sum(1 for r in decoded.recipients if r.action not in SUCCESS_ACTIONS) == 1
    for raw in decoded.recipients if recipients is None else recipients:
        if raw.action == "delayed" and lay is not None and _gave_up(lay, raw.diagnostic):
            raw.action = "failed"  # DECISIONS "The lab": OpenSMTPD's expiry uses its delay template
        failed = raw.action not in SUCCESS_ACTIONS and raw.reason is None
        paragraph = _Paragraphs(mail, raw.recipient)
        remote = normalise(raw.remote_mta) or answering_host(mail, raw.diagnostic)
        if remote is None and failed:
            remote = tried_host(mail, raw.diagnostic) or tried_host(mail, paragraph()) or (
                session_host() if alone else None)
        raw.remote_mta = remote
        if not raw.reporting_mta and not decoded.reporting_mta:
            raw.reporting_mta = report_author()
        if failed and lay is not None and raw.last_error is None:
            found = lasterror.find(lay, raw, paragraph, mail.subject)
            if found is not None:
                raw.last_error_status, raw.last_error = found
        if raw.smtp_command is None:
            raw.smtp_command = command_in(lay, raw.diagnostic)
        if raw.smtp_command is None and raw.action not in SUCCESS_ACTIONS and lay is not None:
            # The recipient's own paragraph of the human text (up to another recipient), else
            # the last command of the whole text (a session transcript, m-FILTER's section).
            if everyone is None and not paragraphs_read:  # (read: everyone stays None)
                everyone = frozenset(r.recipient.lower() for r in decoded.recipients if r.recipient)
            raw.smtp_command = (None if everyone is None else textscan.paragraph_command(
                mail, lay, raw.recipient, everyone)) or text_command()
    return decoded


def _gave_up(lay: Notices, diagnostic: str | None) -> bool:
    """True when a recipient's own diagnostic says its message was given up (the catalog's
    ``given_up`` wording), although the notice's Action says ``delayed``."""
    return diagnostic is not None and lasterror.gives_up(lay, diagnostic.lower())


__all__ = ["settle", "answering_host", "tried_host", "named_host", "answered_in", "paragraphs_of",
           "author_in_text", "trace_host", "normalise"]
