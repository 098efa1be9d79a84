"""The decoder contract and the helpers every decoder shares.

A decoder looks at a ``Mail`` and returns ``None`` ("not mine", cheaply) or a ``Decoded``: the
raw per-recipient records it found, before classification. Decoders never classify; they only
say who failed, with what code and text, and where.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ...catalog import Catalog
from ..mime import Headers, Part
from ...model import Kind
from ...errors import Defect, Defects
from ...policy import DEFAULT, Policy
from ...lazy import once
from ..text import fold_blanks, fold_spaces, html_to_text

@dataclass(slots=True, repr=False, eq=False)
class RawRecipient:
    """A recipient as a decoder found it (mutable while the decoder works)."""

    recipient: str | None = None
    original_recipient: str | None = None
    action: str | None = None
    status: str | None = None
    reply_code: str | None = None
    diagnostic: str | None = None
    diagnostic_type: str | None = None
    remote_mta: str | None = None
    reporting_mta: str | None = None
    last_attempt_date: datetime | None = None
    will_retry_until: datetime | None = None
    smtp_command: str | None = None
    feedback_type: str | None = None
    reason: str | None = None
    """Set only where the format itself decides the reason (feedback, vacation, delivered)."""
    extensions: dict[str, str] | None = None
    """Extension fields (``x-…``, names lowercased) of the recipient's delivery-status block:
    a vendor's own verdict such as PowerMTA's ``x-powermta-bouncecategory``."""
    status_source: str | None = None
    """Where ``status`` was stated: ``report`` (a delivery-status field), ``reply`` (the SMTP
    reply or diagnostic), ``text`` (the human-readable part); None when no code was stated and
    the decoder only put a class (``5.0.0``) there — ``ndr.statuses`` then infers one."""
    notice: str | None = None
    """The reporting MTA's own words about this recipient in the human-readable part, when the
    diagnostic is another server's reply (Gmail: "** Address not found ** ... because the address
    couldn't be found" over "550 #5.1.0 Address rejected"). Not output: the classifier reads it
    only when the reply itself names no reason (README, "How ndr decides the reason")."""
    last_error_status: str | None = None
    """Inside an expiry notice: the status of the last real error (``hosts.settle`` fills it)."""
    last_error: str | None = None
    """Inside an expiry notice: the text of the last real error (``lasterror.find``)."""


@dataclass(slots=True, repr=False, eq=False)
class Decoded:
    """What a decoder returns: the kind of message and its raw recipients."""

    decoder: str
    kind: Kind = Kind.BOUNCE
    recipients: list[RawRecipient] = field(default_factory=list)
    reporting_mta: str | None = None
    received_from_mta: str | None = None
    arrival_date: datetime | None = None
    original_envelope_id: str | None = None
    original_headers: Headers | None = None
    """Header of the returned message, where the decoder found it outside a MIME part."""
    defects: list[Defect] = field(default_factory=list)
    """What the decoder worked around (a bounce read from inside a forwarded message ...)."""


class Mail:
    """A parsed message with the views decoders need, computed once on demand."""

    def __init__(self, root: Part, catalog: Catalog, policy: Policy = DEFAULT, depth: int = 0,
                 defects: Defects | None = None) -> None:
        self.root = root
        self.headers = root.headers
        self.catalog = catalog
        self.policy = policy
        """The caller's policy, whole: its limits bound every scan (``max_text_chars``)."""
        self.depth = depth
        """0 for the message itself; 1 for a bounce found inside it (never decoded deeper)."""
        self.defects = defects if defects is not None else Defects(policy.raise_on_defect)
        """What the decoders worked around (a crash, a cut text); shared with an inner message."""
        self.text_cut = False
        """True once ``body_text`` was cut at ``Policy.max_text_chars``."""
        self.recipients_cut = 0
        """How many recipients a decoder left unread (``Policy.max_recipients``)."""

    def defect(self, defect: Defect) -> None:
        """Note a defect (under a strict policy: raise it here)."""
        self.defects.append(defect)

    @once
    def subject(self) -> str:
        """The decoded Subject, whitespace folded."""
        return fold_spaces(self.headers.decoded("subject") or "")

    @once
    def sender(self) -> str:
        """The From header, decoded and lowercased."""
        return (self.headers.decoded("from") or "").lower()

    @once
    def parts(self) -> list[Part]:
        """Every part outside embedded messages, depth first."""
        root = self.root
        return list(root.walk()) if root.parts else [root]  # a third of bounces: no generator

    def first_part(self, *types: str) -> Part | None:
        """The first part (outside embedded messages) of one of ``types``."""
        for part in self.parts:
            if part.content_type in types:
                return part
        return None

    @once
    def original(self) -> Part | None:
        """The returned original message (or its header) from a MIME part, if any."""
        for part in self.parts:
            if part.message is not None:
                return part.message
        return None

    @once
    def body_text(self) -> str:
        """The human-readable text of the message: its text parts outside the returned original,
        HTML reduced to text when there is no plain text, line ends as LF."""
        plain: list[str] = []
        html: list[Part] = []
        limit = self.policy.max_text_chars
        for part in self.parts:
            ctype = part.content_type
            # slices, not startswith (whose arguments are parsed per call): this runs for every part
            if part.message is not None or ctype[:10] == "multipart/":  # Part.is_multipart
                continue
            if ctype == "text/html":
                html.append(part)
            elif ctype[:5] == "text/":
                text = part.text()
                plain.append(text if len(text) <= limit else self._cut(text, limit))
        if plain:
            # The HTML alternative is not read. Only whether its text would have been cut
            # matters (text_cut): a text has at most as many characters as its body has bytes.
            for part in html:
                if len(part.body) > limit:
                    self._cut(part.text(), limit)
            # one text (most bounces) is already cut
            text = plain[0] if len(plain) == 1 else self._cut("\n".join(plain), limit)
        else:
            text = self._cut("\n".join(html_to_text(self._cut(part.text(), limit)) for part in html), limit)
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text

    def _cut(self, text: str, limit: int) -> str:
        if len(text) <= limit:
            return text
        self.text_cut = True
        return text[:limit]

    @once
    def body_folded(self) -> str:
        """``body_text`` with runs of spaces and tabs folded to one space and lines right-stripped
        (line structure kept), the form line-oriented decoders read."""
        # once runs are folded a line ends in at most one space: a plain replace right-strips
        return fold_blanks(self.body_text).replace(" \n", "\n")

    @once
    def body_lower(self) -> str:
        """``body_folded`` lowercased: marker searches; its lines align with ``body_folded``'s."""
        return self.body_folded.lower()


class Decoder(Protocol):
    """One bounce format."""

    name: str

    def decode(self, mail: Mail) -> Decoded | None:
        """The recipients this format reports, or None when the message is not in this format."""
        ...

