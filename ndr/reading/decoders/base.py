"""The decoder contract and the helpers every decoder shares.

A decoder looks at a ``Mail`` and returns ``None`` ("not mine", cheaply) or a ``Decoded``: the
raw per-recipient records it found, before classification. Decoders never classify; they only
say who failed, with what code and text, and where.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Generic, Protocol, TypeVar, overload

from ...catalog import Catalog
from ..mime import Headers, Part
from ...model import Kind
from ...policy import DEFAULT
from ..text import fold_blanks, fold_spaces, html_to_text

@dataclass(slots=True)
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
    notice: str | None = None
    """The reporting MTA's own words about this recipient in the human-readable part, when the
    diagnostic is another server's reply (Gmail: "** Address not found ** ... because the address
    couldn't be found" over "550 #5.1.0 Address rejected"). Not output: the classifier reads it
    only when the reply itself names no reason (README, "How ndr decides the reason")."""


@dataclass(slots=True)
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


_T = TypeVar("_T")


class cached_property(Generic[_T]):
    """``functools.cached_property`` without its per-class lock (Python 3.11 takes it on every
    first access; a Mail is used by one thread): the value lands in the instance dict, so later
    reads do not come here at all."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[_T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> cached_property[_T] | _T:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


class Mail:
    """A parsed message with the views decoders need, computed once on demand."""

    def __init__(self, root: Part, catalog: Catalog, depth: int = 0,
                 text_limit: int = DEFAULT.max_text_chars,
                 recipient_limit: int = DEFAULT.max_recipients) -> None:
        self.root = root
        self.headers = root.headers
        self.catalog = catalog
        self.depth = depth
        """0 for the message itself; 1 for a bounce found inside it (never decoded deeper)."""
        self.text_limit = text_limit
        """Most characters of ``body_text`` (``Policy.max_text_chars``): bounds every scan."""
        self.text_cut = False
        """True once ``body_text`` was cut at ``text_limit``."""
        self.recipient_limit = recipient_limit
        """Most recipients a decoder reads (``Policy.max_recipients``)."""
        self.recipients_cut = 0
        """How many recipients a decoder left unread because of ``recipient_limit``."""

    @cached_property
    def subject(self) -> str:
        """The decoded Subject, whitespace folded."""
        return fold_spaces(self.headers.decoded("subject") or "")

    @cached_property
    def sender(self) -> str:
        """The From header, decoded and lowercased."""
        return (self.headers.decoded("from") or "").lower()

    @cached_property
    def parts(self) -> list[Part]:
        """Every part outside embedded messages, depth first."""
        return list(self.root.walk())

    def first_part(self, *types: str) -> Part | None:
        """The first part (outside embedded messages) of one of ``types``."""
        for part in self.parts:
            if part.content_type in types:
                return part
        return None

    @cached_property
    def original(self) -> Part | None:
        """The returned original message (or its header) from a MIME part, if any."""
        for part in self.parts:
            if part.message is not None:
                return part.message
        return None

    @cached_property
    def body_text(self) -> str:
        """The human-readable text of the message: its text parts outside the returned original,
        HTML reduced to text when there is no plain text, line ends as LF."""
        plain: list[str] = []
        html: list[Part] = []
        limit = self.text_limit
        for part in self.parts:
            ctype = part.content_type
            if part.is_multipart or part.message is not None:
                continue
            if ctype == "text/html":
                html.append(part)
            elif ctype.startswith("text/"):
                plain.append(self._cut(part.text(), limit))
        if plain:
            # The HTML alternative is not read. Only whether its text would have been cut
            # matters (text_cut): a text has at most as many characters as its body has bytes.
            for part in html:
                if len(part.body) > limit:
                    self._cut(part.text(), limit)
            text = self._cut("\n".join(plain), limit)
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

    @cached_property
    def body_folded(self) -> str:
        """``body_text`` with runs of spaces and tabs folded to one space and lines right-stripped
        (line structure kept), the form line-oriented decoders read."""
        # once runs are folded a line ends in at most one space: a plain replace right-strips
        return fold_blanks(self.body_text).replace(" \n", "\n")

    @cached_property
    def body_lower(self) -> str:
        """``body_folded`` lowercased: marker searches; its lines align with ``body_folded``'s."""
        return self.body_folded.lower()


class Decoder(Protocol):
    """One bounce format."""

    name: str

    def decode(self, mail: Mail) -> Decoded | None:
        """The recipients this format reports, or None when the message is not in this format."""
        ...

