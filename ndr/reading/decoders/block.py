"""Reading the lines of a vendor layout's block: recipient lines, their diagnostics, and an SMTP
transcript's replies."""
from __future__ import annotations

from dataclasses import dataclass, field

from .base import RawRecipient
from ..text import find_address
from ...catalog.layouts import Layout, Shape
from ...lazy import regex


_WORD = regex(r"\w")


def _recipient(shapes: tuple[Shape, ...], line: str, lower: str) -> tuple[str, str] | None:
    """(address, rest of the line) when ``line`` is a recipient line."""
    for shape in shapes:
        if shape.after is not None:
            found = lower.find(shape.after)
            if found < 0:
                continue
            tail = line[found + len(shape.after):]
            address = find_address(tail)
            if address:
                # the phrase is half of what the line says ("unable to deliver message to <x>
                # (and other recipients ...)"): the whole line starts the diagnostic
                return address, line.strip()
            continue
        assert shape.regex is not None
        match = shape.regex.match(lower)
        if match:
            begin, end = match.span("address")
            address = line[begin:end].strip(".")
            if address.lower().startswith("mailto:"):
                address = address[7:]
            rest = line[match.end():].strip()
            if "diagnostic" in shape.regex.groupindex and match.group("diagnostic"):
                first, last = match.span("diagnostic")
                rest = f"{line[first:last].strip()} {rest}".strip()
            return address, rest
    return None


_SENT = regex(r"^ ?>>> ?([A-Za-z]+)")
_HEARD = regex(r"^ ?<<< ?(.*)")
_SMTP_VERBS = {"HELO", "EHLO", "MAIL", "RCPT", "DATA"}  # the commands settle names


class _Session:
    """The SMTP exchanges of a transcript block (``diagnostic.transcript``): which recipient
    each failure reply belongs to, and the command it answered."""

    __slots__ = ("verb", "asked", "pending", "answers", "commands")

    def __init__(self) -> None:
        self.verb: str | None = None
        self.asked: tuple[str, str] | None = None  # (key, address) of the last RCPT TO:<x>
        self.pending: list[str] = []  # failure reply lines waiting for the next recipient line
        self.answers: dict[str, tuple[str, list[str]]] = {}  # replies to RCPT TO:<x>, by x
        self.commands: dict[str, str] = {}  # the command each recipient's reply answered

    def read(self, line: str) -> bool:
        """Take ``line`` when it is a command sent (``>>>``) or a reply heard (``<<<``)."""
        if ">>>" not in line and "<<<" not in line:
            return False
        sent = _SENT.match(line)
        if sent is not None:
            verb = sent.group(1).upper()
            self.verb = verb if verb in _SMTP_VERBS else None
            address = find_address(line) if verb == "RCPT" else None
            self.asked = (address.lower(), address) if address else None
            self.pending = []  # a reply nobody's line followed belongs to no one
            return True
        heard = _HEARD.match(line)
        if heard is None:
            return False
        reply = heard.group(1).strip()
        if reply[:1] in ("2", "3") or not reply:
            return True  # a success reply: no one's diagnostic
        if self.asked is not None:
            key, address = self.asked
            self.answers.setdefault(key, (address, []))[1].append(reply)
            if self.verb:
                self.commands.setdefault(key, self.verb)
        else:
            self.pending.append(reply)
        return True

    def settle(self, key: str, lines: list[str]) -> None:
        """A recipient line was read: a failure reply heard before it (not to an RCPT of
        another address) is its."""
        if self.pending:
            lines.extend(self.pending)
            self.pending = []
            if self.verb:
                self.commands.setdefault(key, self.verb)


@dataclass(slots=True)
class Found:
    """What the lines of a layout's block said: recipients in order, each with its lines."""

    found: dict[str, tuple[RawRecipient, list[str]]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    loose: list[str] = field(default_factory=list)
    """Lines that belong to no recipient (the block's own words)."""
    session: _Session | None = None

    def open(self, address: str) -> list[str]:
        """The lines of ``address``'s diagnostic, opened on its first mention."""
        key = address.lower()
        if key not in self.found:
            self.found[key] = (RawRecipient(recipient=address), [])
            self.order.append(key)
        return self.found[key][1]


def read_block(layout: Layout, lines: list[str], lowers: list[str], found_start: int | None) -> Found:
    """One pass over the block's lines: recipient lines open a recipient, the lines after one
    are its diagnostic (until the layout's ``until``), transcript lines go to the session."""
    block = Found(session=_Session() if layout.transcript else None)
    session, loose = block.session, block.loose
    current: list[str] | None = None
    ended = False
    at_lines = layout.at_lines
    for index, (line, low) in enumerate(zip(lines, lowers)):
        if session is not None and session.read(line):
            loose.append(line)
            continue
        # a line without "@" reads no recipient when every shape needs one (Layout.at_lines);
        # both forms are asked, as each shape reads the one it reads
        hit = _recipient(layout.shapes, line, low) if (
            not at_lines or "@" in low or "@" in line) else None
        if hit is not None:
            address, rest = hit
            current = block.open(address)
            ended = layout.until == "line"
            if rest:
                current.append(rest)
            if session is not None:
                session.settle(address.lower(), current)
            continue
        # blank, or a rule of dashes or equals signs; a line opening with a letter or digit
        # (str.isalnum is what \w matches, but "_") holds a word without a search
        if not (line[:1].isalnum() or _WORD.search(line)):
            if current is not None and layout.until == "blank" and not line.strip():
                ended = True
            continue
        if index or found_start is None:  # the start line is a heading, not a diagnostic
            loose.append(line)
        if current is not None and not ended:
            current.append(line)
    if session is not None:
        for address, replies in session.answers.values():
            block.open(address).extend(replies)  # refused at RCPT, with no result line of its own
    return block
