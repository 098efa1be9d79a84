"""Reading the human-readable part of a bounce: who failed, and the text said about each.

Shared by the generic fallback (formats nobody described) and the RFC 3464 decoder (which fills
what its delivery-status part leaves out). The shapes it knows are data: the catalog's ``vendors``
entry with ``decoder: fallback`` (see ``fallback.py`` for the fields). A scan works on
``Mail.body_folded`` (LF line ends, blanks folded, lines right-stripped):

1. the text ends before the returned original (an ``ends`` phrase, or a line that opens the
   returned header: ``Received:``, ``Return-Path:`` ...);
2. every line is tried against the ``recipients`` shapes (``<x>: host y said: ...``, an address
   alone or leading a line, ``RCPT TO:<x>`` in a transcript, ``Recipient address: x`` ...); a
   match opens that recipient's block, and the lines after it belong to it until a blank line
   (once it holds text), a separator line or the next recipient;
3. the first paragraph holding a reply or status code is kept as the message-wide diagnostic,
   for recipients whose block says nothing of their own.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Collection, Iterable, Iterator

from ...catalog import codes
from .base import Mail
from ...catalog.search import first_search, literal_search
from ..text import find_address
from ...catalog.notices import Notices, Patterns, command_in
from ...lazy import regex

_SEPARATOR = regex(r"^ ?[-=_#*|]{5,}")
_WORD = regex(r"\w")
SUMMARY_LIMIT = 1000
_QUOTE = regex(r"^(?:> ?)+(?!>)")
# A success reply in a transcript (250 Ok, 354 go ahead): not a diagnostic.
_SUCCESS_LINE = regex(r"^ ?(?:out: ?|<<< ?|>>> ?)?[23]\d\d(?:[ \-]|$)", re.I)
# The characters a line matching _SEPARATOR or _SUCCESS_LINE can start with (re.I folds no
# other character to "o").
_SEPARATOR_STARTS = frozenset(" -=_#*|")
_SUCCESS_STARTS = frozenset(" oO<>23")
_RECEIVED_BY = regex(r"\bby\s+\[?([A-Za-z0-9][A-Za-z0-9.:\-]*)", re.I)
@dataclass(slots=True, repr=False, eq=False)
class Block:
    """What the text says about one recipient."""

    address: str
    lines: list[str] = field(default_factory=list)
    head: str = ""
    """The line that opened the block (``>>> RCPT To:<x>``, ``<x>: host y said: ...``)."""

    @property
    def text(self) -> str:
        return " ".join(line.strip() for line in self.lines if line.strip())

    def command(self, lay: "Notices") -> str | None:
        """The SMTP command this block says failed (its opening line included)."""
        return command_in(lay, f"{self.head} {self.text}")


@dataclass(slots=True, repr=False, eq=False)
class Scan:
    """The result of reading the human-readable text of one message."""

    text: str
    """The human-readable text, cut before the returned original."""
    lower: str
    blocks: dict[str, Block]
    """Recipient blocks by lowercased address, in order of first mention."""
    diagnostic: str | None
    """The first paragraph holding a reply or status code (message-wide)."""
    lay: Notices
    _summary: list[str | None] = field(default_factory=list, repr=False, compare=False)
    _reporting: list[str | None] = field(default_factory=list, repr=False, compare=False)

    @property
    def reporting_mta(self) -> str | None:
        """The host the text introduces as the notice's author (``This is the mail system at
        host X``), found when first asked: the fallback decoder asks, the RFC 3464 one never."""
        if not self._reporting:
            lower = self.lower if self.text.isascii() else None  # (an ASCII lowercase is aligned)
            self._reporting.append(_group(first_search(self.lay.reporting_mta, self.text, lower)))
        return self._reporting[0]

    @property
    def summary(self) -> str | None:
        """The notice's own words on one line (rules of dashes dropped, at most ``SUMMARY_LIMIT``
        characters): the diagnostic of last resort, for notices that carry no code and no
        recipient block (Google Groups, "Address not found" pages) — the classifier reads it.
        Computed once: every recipient asks, and each time it read the whole text (quadratic)."""
        if not self._summary:
            self._summary.append(summary(self.text))
        return self._summary[0]


def summary(text: str) -> str | None:
    """The words of ``text`` on one line, rules of dashes dropped, at most ``SUMMARY_LIMIT``
    characters (cut at a space); None when it has none."""
    if len(text) < SUMMARY_LIMIT:  # (most) its kept lines, a space after each, fit: none is cut
        return " ".join(_words(text.split("\n"))) or None
    kept: list[str] = []
    size = 0
    for words in _words(text.split("\n")):
        kept.append(words)
        size += len(words) + 1
        if size > SUMMARY_LIMIT:  # the rest would be cut off
            break
    joined = " ".join(kept)
    if len(joined) > SUMMARY_LIMIT:
        joined = joined[:SUMMARY_LIMIT].rsplit(" ", 1)[0]
    return joined or None


def _words(lines: Iterable[str]) -> Iterator[str]:
    """The lines that hold a word and are no rule, stripped. Most open with a letter or a digit
    (never a rule's character): those are kept without a search, blank ones dropped at once."""
    return (line.strip() for line in lines if line and (
        line[0].isalnum() or (_WORD.search(line) and not (line[0] in _SEPARATOR_STARTS and _SEPARATOR.match(line)))))


def paragraph_command(mail: Mail, lay: Notices | None, address: str | None,
                      others: Collection[str] = ()) -> str | None:
    """The SMTP command the paragraph naming ``address`` says failed (Postfix writes
    "(in reply to RCPT TO command)" in the human part only), read up to the next mention of
    another recipient (``others``, lowercase) so that no recipient takes its neighbour's."""
    paragraph = paragraph_of(mail, address)
    if not paragraph:
        return None
    end = len(paragraph)
    own = (address or "").lower()
    # Only another recipient's mention ends the paragraph early: none when ``others`` names
    # only this one (a notice about one recipient), nor when no "@" follows (a token found
    # from ``len(own)`` on holds one after its first character).
    lower = paragraph.lower() if others and (len(others) > 1 or own not in others) else ""
    if lower.find("@", len(own) + 1) >= 0:
        # The addresses the (short) paragraph holds, each looked up in ``others``: linear in
        # the recipients, where a search of the paragraph for every other one was quadratic.
        for match in _ADDRESS_TOKEN.finditer(lower, len(own)):
            token = match.group(0).rstrip(".")
            if token != own and token in others:
                end = match.start()
                break
    return command_in(lay, paragraph[:end])


# Starts only after a delimiter (the lookbehind), so "aaaa..." without "@" is scanned once.
_ADDRESS_TOKEN = regex(r"(?<![^\s<>()\[\]\"',;:@])[^\s<>()\[\]\"',;:@]+@[^\s<>()\[\]\"',;:@]+")

TRANSCRIPT_LIMIT = 8192
"""Characters of a session transcript searched for its last command."""
_TRANSCRIPT_MARKS = ("\n>>> ", "smtp command\n")


def text_command(mail: Mail, lay: Notices | None) -> str | None:
    """The last SMTP command a session transcript in the notice names (Sendmail's ``>>> DATA``
    followed by ``<<< 550 ...``, m-FILTER's ``SMTP command`` section): what the session had
    reached when it failed, for recipients whose own text names none. None without one."""
    if lay is None or lay.commands is None:
        return None
    text = mail.body_lower
    for mark in _TRANSCRIPT_MARKS:
        start = text.find(mark, 0, 65536)
        if start >= 0:
            return command_in(lay, text[start:start + TRANSCRIPT_LIMIT].replace("\n", " "))
    return None


def looks_like_bounce(mail: Mail, lay: Notices, intros: bool = True) -> bool:
    """True when the envelope says "bounce": a mail-system sender, a bounce subject, a report;
    else (with ``intros``) when the text opens like an MTA's notice."""
    sender = mail.sender
    if any(s in sender for s in lay.senders):
        return True
    subject = mail.subject.lower()
    if any(s in subject for s in lay.subjects):
        return True
    if mail.root.content_type == "multipart/report":
        return True
    if intros and lay.intros:
        head = " ".join(mail.body_text[:_INTRO_SPAN].lower().split())
        return any(p in head for p in lay.intros)
    return False


_INTRO_SPAN = 4096
"""Characters of the text searched for a notice's opening sentence."""


def human_text(mail: Mail, lay: Notices) -> tuple[str, str]:
    """The text before the returned original: (folded text, its lowercase)."""
    text, lower = mail.body_folded, mail.body_lower
    end = len(lower)
    # The text ends at the first line that opens the returned header or holds an ``ends``
    # phrase, whichever comes first. The header is looked for first (tried where a header name
    # stands, not at every character: ``literal_search``), so that the phrases are looked for
    # only above it (they hold no newline: one found before ``end`` lies before it whole).
    if lay.headers_end is not None:
        match = literal_search(lay.headers_end, lower)
        if match:
            end = match.start()
    for core, phrases in lay.end_groups:
        # a phrase stands where its core does, ``offset`` characters on (a text that lacks the
        # core lacks every phrase of its group): the first core a phrase stands around is on
        # the group's first line with a phrase
        at = lower.find(core, 0, end)
        while at >= 0:
            if _stands_at(lower, at, phrases):
                end = lower.rfind("\n", 0, at) + 1
                break
            at = lower.find(core, at + 1, end)
    return text[:end], lower[:end]


def _stands_at(lower: str, at: int, phrases: tuple[tuple[str, int], ...]) -> bool:
    """True when one of ``phrases`` holds the core found at ``at`` (at its ``offset``)."""
    for phrase, offset in phrases:
        if at >= offset and lower.startswith(phrase, at - offset):
            return True
    return False


def paragraph_of(mail: Mail, address: str | None, limit: int = 600) -> str | None:
    """The text from the first mention of ``address`` in the human-readable part to the end of
    its paragraph (at most ``limit`` characters), or None when the text does not name it."""
    if not address:
        return None
    lower = mail.body_lower
    at = lower.find(address.lower(), 0, 65536)
    if at < 0:
        return None
    end = lower.find("\n\n", at, at + limit)
    return mail.body_folded[at:end if end >= 0 else at + limit]


def received_by(mail: Mail) -> str | None:
    """The first server that signed this message's trace: the ``by`` host of its oldest Received
    header (written by the host it names, unlike the ``from`` part)."""
    for value in reversed(mail.headers.get_all("received")):
        if value.lstrip().startswith("(") and " invoked " in value:  # qmail's "(qmail 1 invoked by
            continue  # uid 910)" notes a local program, not a hop
        match = _received_by(value)
        if match:
            host = match.group(1).rstrip(".-")
            if host.count(":") < 2:  # an IPv6 literal may end in "::"; a name never ends in ":"
                host = host.rstrip(":")
            return host.lower() or None
    return None


def _received_by(value: str) -> re.Match[str] | None:
    """``_RECEIVED_BY.search(value)``, tried only where "by" stands (in any case) in an ASCII
    value: its search tries every position (``\b`` first, under re.I); ``match`` there still
    sees the character before, for ``\b``."""
    if not value.isascii():  # (re.I matches "ſ"-like letters no lowercase finds)
        return _RECEIVED_BY.search(value)
    lower = value.lower()
    at = lower.find("by")
    while at >= 0:
        match = _RECEIVED_BY.match(value, at)
        if match is not None:
            return match
        at = lower.find("by", at + 1)
    return None


def first_group(expressions: Iterable[re.Pattern[str]], text: str) -> str | None:
    """The first group of the first expression that matches a line of ``text``."""
    if type(expressions) is Patterns and len(text) <= _MEMO_TEXT:
        return _remembered_group(expressions, text)
    return _remembered_group.__wrapped__(expressions, text)


_MEMO_TEXT = 4096


# A catalog field's expressions (hashed by identity) over a diagnostic or a paragraph: archives
# repeat the same MTAs' texts, and settle asks about a text more than once (a sixth of the calls
# in one pass over the corpus). A long text is not kept alive for a memo; 1024 short ones are at
# most 4 MB. Not sized to the benchmark's corpus: its ten copies of each file would make every
# entry a hit, which real archives do not.
@functools.lru_cache(maxsize=1024)
def _remembered_group(expressions: Iterable[re.Pattern[str]], text: str) -> str | None:
    return _group(first_search(expressions, text))


def _group(match: re.Match[str] | None) -> str | None:
    return match.group(1).strip("[]").rstrip(".").lower() if match else None


def scan(mail: Mail, lay: Notices) -> Scan:
    """Read the human-readable text of ``mail`` (see the module docstring)."""
    text, lower = human_text(mail, lay)
    own: set[str] | None = None  # the message's own addresses: read at the first recipient line
    blocks: dict[str, Block] = {}
    current: Block | None = None
    paragraph: list[str] = []
    diagnostic: str | None = None
    quotes = text.startswith(">") or "\n>" in text  # (most texts quote nothing)
    for line in text.split("\n"):
        if quotes and line.startswith(">"):
            line = _QUOTE.sub("", line)
        stripped = line.strip()
        if not stripped:
            if paragraph and diagnostic is None:  # (as _first_reply tests: no call per blank)
                diagnostic = _first_reply(diagnostic, paragraph)
                paragraph = []
            if current is not None and current.text:
                current = None
            continue
        first = line[0]  # the line regexes below can only match lines starting so
        if first in _SEPARATOR_STARTS and _SEPARATOR.match(line):
            # a rule or a heading ("----- Transcript of session follows -----") closes the
            # paragraph above it: the reply under it opens a paragraph of its own
            diagnostic = _first_reply(diagnostic, paragraph)
            paragraph = []
            current = None
            continue
        if diagnostic is None:  # (only read until the diagnostic is found)
            paragraph.append(stripped)
        if "@" not in line:  # no recipient shape matches, it quotes no reply: only a block takes it
            if current is not None and not (first in _SUCCESS_STARTS and _SUCCESS_LINE.match(line)):
                current.lines.append(stripped)
            continue
        quoted = lay.quoted_fields and stripped.lower().startswith(lay.quoted_fields)
        match = None if quoted else first_search(lay.recipients, line)
        if match:
            if own is None:
                own = {a.lower() for a in (find_address(mail.headers.get("from")),
                                           find_address(mail.headers.get("to"))) if a}
            current = _opened(blocks, own, line, stripped, match)
            continue
        if first in _SUCCESS_STARTS and _SUCCESS_LINE.match(line):
            continue
        if current is not None:
            current.lines.append(stripped)
        elif blocks and (codes.find_status(line) or codes.reply_line(stripped)):
            # a reply quoting a recipient named earlier (Sendmail's transcript): its text too
            address = find_address(stripped)
            block = blocks.get(address.lower()) if address else None
            if block is not None:
                block.lines.append(stripped)
    diagnostic = _first_reply(diagnostic, paragraph)
    if diagnostic is None and not blocks:
        diagnostic = codes.code_line(text)
    return Scan(text=text, lower=lower, blocks=blocks, diagnostic=diagnostic, lay=lay)


def _opened(blocks: dict[str, Block], own: set[str], line: str, stripped: str,
            match: re.Match[str]) -> Block | None:
    """The block a recipient line opens, or adds its text to; None for the message's own
    addresses (its From and To)."""
    address = match.group("address").strip(".")
    key = address.lower()
    if key in own:
        return None
    block = blocks.get(key)
    rest = _rest(line, match.end(), stripped if block is not None else None)
    if block is None:
        block = blocks[key] = Block(address, head=stripped)
    if rest:
        block.lines.append(rest)
    return block


def _first_reply(diagnostic: str | None, paragraph: list[str]) -> str | None:
    """The message-wide diagnostic: the first paragraph that holds a reply."""
    if diagnostic is None and paragraph and codes.reply_line(" ".join(paragraph)):
        return " ".join(paragraph)
    return diagnostic


def _rest(line: str, end: int, again: str | None) -> str:
    """What a recipient line says after its address. A line naming a recipient ``again`` that is
    a transcript's command line ("Recipient: <x>", then ">>> RCPT TO:<x>") is kept whole: it says
    which command the reply below it answered."""
    if again is not None and "rcpt to" in again.lower():
        return again
    return line[end:].lstrip(">").strip(" :")


def addresses_in_replies(text: str, own: set[str]) -> list[str]:
    """Addresses quoted in reply lines (``550 5.1.1 <x>... User unknown``), in order."""
    found: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not (codes.find_status(stripped) or codes.reply_line(stripped)):
            continue
        address = find_address(stripped)
        if address and address.lower() not in own and address.lower() not in (a.lower() for a in found):
            found.append(address)
    return found
