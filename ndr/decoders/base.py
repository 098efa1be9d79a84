"""The decoder contract and the helpers every decoder shares.

A decoder looks at a ``Mail`` and returns ``None`` ("not mine", cheaply) or a ``Decoded``: the
raw per-recipient records it found, before classification. Decoders never classify; they only
say who failed, with what code and text, and where.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Generic, Protocol, TypeVar, overload

from ..catalog import Catalog
from ..errors import Defect
from ..match import literal_prefix
from ..mime import Headers, Part
from ..model import Kind
from ..policy import DEFAULT

_TAGS = re.compile(r"<[^<>]*>")  # not [^>]*: each "<" must not rescan to the next ">"
_SCRIPT_OPEN = re.compile(r"<(script|style)\b")
_CONTROLS = dict.fromkeys([*range(0x20), 0x7F], " ")
_SPACE_RUN = re.compile("  +")
# Local part and domain hold no "@" and start only after a delimiter or an "@", so a search
# tries each stretch of text a bounded number of times: linear even on "@@@@..." or a megabyte
# without a delimiter (the unrestricted form backtracks cubically there).
ADDRESS_PATTERN = (r"(?<![^\s<>()\[\]\"',;:@])[^\s<>()\[\]\"',;:@]+@[^\s<>()\[\]\"',;:@]+\.[A-Za-z0-9-]+"
                   r"|(?<![^\s<>()\[\]\"',;:@])[^\s<>()\[\]\"',;:@]+@\[[0-9.:a-fA-F]+\]")
"""An e-mail address in free text (no group), for decoders that build their own expressions."""
_ADDRESS = re.compile(ADDRESS_PATTERN)
_HOST_SAID = re.compile(r"\bhost\s+([A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z0-9\-]+|\[[0-9.:a-fA-F]+\])\s*\[[^\]]{0,100}\]\s*said:", re.I)
_HOST_NAMED = re.compile(
    r"(?:remote server returned|generating server:|remote host said:|(?:connect|connection) to|conversation with|"
    r"lost connection with|by host|from host|mx host|remote mta)\s*[:'\"]?\s*"
    r"([A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)+)",
    re.I,
)


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
    status_source: str | None = None
    """Where ``status`` was stated: ``report`` (a delivery-status field), ``reply`` (the SMTP
    reply or diagnostic), ``text`` (the human-readable part); None when no code was stated and
    the decoder only put a class (``5.0.0``) there — ``ndr.statuses`` then infers one."""
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
    defects: list[Defect] = field(default_factory=list)
    """What the decoder worked around (a bounce read from inside a forwarded message ...)."""


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
                 text_limit: int = DEFAULT.max_text_chars) -> None:
        self.root = root
        self.headers = root.headers
        self.catalog = catalog
        self.depth = depth
        """0 for the message itself; 1 for a bounce found inside it (never decoded deeper)."""
        self.text_limit = text_limit
        """Most characters of ``body_text`` (``Policy.max_text_chars``): bounds every scan."""
        self.text_cut = False
        """True once ``body_text`` was cut at ``text_limit``."""

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


def fold_blanks(text: str) -> str:
    """Runs of spaces, tabs and no-break spaces folded to one space; newlines kept.

    Tabs and no-break spaces become spaces first (``str.replace``), then only runs of two or
    more spaces are matched: a character-class regex over the whole text costs ten times more,
    and this runs on every message's text."""
    if "\t" in text:
        text = text.replace("\t", " ")
    if "\u00a0" in text:
        text = text.replace("\u00a0", " ")
    return _SPACE_RUN.sub(" ", text) if "  " in text else text


def fold_spaces(text: str) -> str:
    """Fold runs of spaces and tabs and strip; keep newlines."""
    return fold_blanks(text).strip()


def one_line(text: str | None) -> str | None:
    """Whitespace of every kind, and control characters (NUL ...), folded to single spaces;
    None for empty text."""
    if not text:
        return None
    if text.isprintable():
        # the only blank a printable text holds is " ": already one line unless doubled or
        # at an end (most fields of most records; this runs for every field of every record)
        if "  " not in text and text[0] != " " and text[-1] != " ":
            return text
    else:
        text = text.translate(_CONTROLS)
    folded = " ".join(text.split())
    return folded or None


def html_to_text(html: str) -> str:
    """Tags removed, common entities decoded, block ends kept as line breaks."""
    import html as html_module

    html = _drop_scripts(html)
    html = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|h\d)>", "\n", html)
    return html_module.unescape(_TAGS.sub(" ", html))


def _drop_scripts(html: str) -> str:
    """``<script>`` and ``<style>`` elements replaced by a space, in linear time (a lazy regex
    rescans to the end of the text from every unclosed opening tag)."""
    lower = html.lower()
    kept: list[str] = []
    position = 0
    unclosed: set[str] = set()
    for opening in _SCRIPT_OPEN.finditer(lower):
        name = opening.group(1)
        if opening.start() < position or name in unclosed:
            continue
        close = lower.find(f"</{name}>", opening.end())
        if close < 0:  # no later element of this name closes either
            unclosed.add(name)
            continue
        kept += [html[position:opening.start()], " "]
        position = close + len(name) + 3
    if not kept:
        return html
    kept.append(html[position:])
    return "".join(kept)


_LITERALS: dict[int, tuple[re.Pattern[str], str, bool]] = {}
"""(pattern, literal prefix, ignores case) by ``id`` of the pattern (hashing a Pattern hashes
its whole code; ``flags & re.I`` goes through the RegexFlag enum's Python ``__and__``)."""


def literal_search(pattern: re.Pattern[str], text: str, lower: str | None = None) -> re.Match[str] | None:
    """``pattern.search(text)``, found by ``str.find`` of the literal every match starts with.

    A regex that starts with ``\\b`` (or is compiled with ``re.I``) is tried by ``search`` at
    every position of the text; over a whole notice that costs about 20 ns a character per
    expression. Where every match must start with a literal (``\\bhost (...)`` starts with
    ``host ``; ``match.literal_prefix``), only the positions holding it are tried, with
    ``match`` (which still sees the character before, for ``\\b`` and ``^``): the same first
    match. ``lower``: ``aligned_lower(text)``, when the caller has it.
    """
    known = _LITERALS.get(id(pattern))
    if known is None or known[0] is not pattern:
        known = (pattern, *_literal_of(pattern))
        if len(_LITERALS) < 4096:  # catalogs are compiled once; bounded all the same
            _LITERALS[id(pattern)] = known  # holding the pattern keeps its id
    _, literal, ignores_case = known
    if not literal:
        return pattern.search(text)
    if ignores_case:
        haystack = lower if lower is not None else aligned_lower(text)
        if haystack is None:
            return pattern.search(text)
    else:
        haystack = text
    at = haystack.find(literal)
    while at >= 0:
        match = pattern.match(text, at)
        if match is not None:
            return match
        at = haystack.find(literal, at + 1)
    return None


_UNALIGNED = ("\u0130", "\u0131", "\u017f")
"""The characters that lower to two characters (İ) or that ``re.I`` matches with an ASCII
letter they do not lower to (ı, ſ); none other, checked over all of Unicode."""


def aligned_lower(text: str) -> str | None:
    """``text.lower()`` when its characters sit where ``text``'s do and an ASCII literal found
    in it is exactly where ``re.I`` would match it in ``text``; else None."""
    if not text.isascii() and any(char in text for char in _UNALIGNED):
        return None
    return text.lower()


def _literal_of(pattern: re.Pattern[str]) -> tuple[str, bool]:
    ignores_case = bool(pattern.flags & re.IGNORECASE)
    if not isinstance(pattern.pattern, str) or pattern.flags & re.VERBOSE:
        return "", ignores_case
    literal = literal_prefix(pattern.pattern)
    if ignores_case:
        literal = literal.lower()
    # an ASCII literal only: under re.I a non-ASCII letter may match an ASCII one (K and the
    # Kelvin sign), which a plain find would miss
    return (literal if literal.isascii() else ""), ignores_case


def find_address(text: str | None) -> str | None:
    """The first plausible e-mail address in ``text``, without brackets or a trailing dot."""
    if not text:
        return None
    match = _ADDRESS.search(text)
    if not match:
        return None
    address = match.group(0).strip(".")
    if address.lower().startswith("mailto:"):
        address = address[7:]
    return address


def clean_address(value: str | None) -> str | None:
    """An address field value (``rfc822; <user@example.com>``) reduced to the address."""
    if not value:
        return None
    if ";" in value:
        kind, _, rest = value.partition(";")
        if " " not in kind.strip():
            value = rest
    value = value.strip().strip("<>").strip()
    found = find_address(value)
    if found:
        return found
    return value or None


def sole_addressee(headers: Headers | None) -> str | None:
    """The one recipient of a returned message (its To and Cc name exactly one address), else None.

    The last resort of a decoder whose notice names nobody: the failure can only be that
    recipient's."""
    if headers is None:
        return None
    found: set[str] = set()
    first: str | None = None
    for name in ("to", "cc"):
        for value in headers.get_all(name):
            for address in _ADDRESS.findall(value):
                address = address.strip(".")
                if first is None:
                    first = address
                found.add(address.lower())
    return first if len(found) == 1 else None


def mta_name(value: str | None) -> str | None:
    """An MTA field value (``dns; mx.example.com [192.0.2.1]``) reduced to the host name."""
    if not value:
        return None
    if ";" in value:
        value = value.split(";", 1)[1]
    value = value.strip()
    if not value:
        return None
    name = value.split()[0].strip("[]()<>,;'\"").rstrip(".")
    if "[" in name:  # mx.example.com[192.0.2.1]
        name = name.split("[", 1)[0] or name.strip("[]")
    return name.lower() or None


def host_in_text(text: str | None) -> str | None:
    """The destination server a diagnostic names (``host mx[ip] said``, ``connect to mx``)."""
    if not text:
        return None
    match = _HOST_SAID.search(text) or _HOST_NAMED.search(text)
    if not match:
        return None
    return match.group(1).strip("[]").rstrip(".").lower()


def parse_date(value: str | None) -> datetime | None:
    """An RFC 5322 date, or None when it does not parse."""
    if not value:
        return None
    if ";" in value:  # "Last-Attempt-Date: dns; ..." never; but Arrival-Date sometimes has a type
        value = value.rsplit(";", 1)[-1]
    try:
        return parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
