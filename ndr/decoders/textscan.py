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

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import codes
from ..catalog import Catalog
from ..match import has_top_level_alternation, regex_problem
from .base import ADDRESS_PATTERN, Mail, aligned_lower, find_address, literal_search

CACHE_KEY = "decoders.fallback"
DECODER = "fallback"
_ADDRESS_GROUP = f"(?P<address>{ADDRESS_PATTERN})"
_SEPARATOR = re.compile(r"^ ?[-=_#*|]{5,}")
_WORD = re.compile(r"\w")
SUMMARY_LIMIT = 1000
_QUOTE = re.compile(r"^(?:> ?)+(?!>)")
# A status code anywhere, or a reply code opening a line or after a marker: a line that answers.
_REPLY_LINE = re.compile(r"(?:^|said:|returned was:|<<<|out:) ?[\"'(\[]?[45][0-5]\d(?:[ \-:]|$)", re.I)
# Where _REPLY_LINE can match: its reply code (a class search, fast in C; the alternation
# above is tried at every character). _reply_line checks what must stand before one.
_REPLY_CODE = re.compile(r"[45][0-5]\d(?=[ \-:]|$)")
_REPLY_MARK_END = re.compile(r"(?:said:|returned was:|<<<|out:)\Z", re.I)  # in a 13-character window


def _reply_line(text: str) -> bool:
    """``bool(_REPLY_LINE.search(text))``, found from its reply codes."""
    for code in _REPLY_CODE.finditer(text):
        ends = [code.start()]  # where the marker may end: before an optional quote and space
        if ends[0] and text[ends[0] - 1] in "\"'([":
            ends.append(ends[0] - 1)
        for end in list(ends):
            if end and text[end - 1] == " ":
                ends.append(end - 1)
        for end in ends:
            if end == 0 or _REPLY_MARK_END.search(text, max(0, end - 13), end):
                return True
    return False
# A success reply in a transcript (250 Ok, 354 go ahead): not a diagnostic.
_SUCCESS_LINE = re.compile(r"^ ?(?:out: ?|<<< ?|>>> ?)?[23]\d\d(?:[ \-]|$)", re.I)
# The characters a line matching _SEPARATOR or _SUCCESS_LINE can start with (re.I folds no
# other character to "o").
_SEPARATOR_STARTS = frozenset(" -=_#*|")
_SUCCESS_STARTS = frozenset(" oO<>23")
_RECEIVED_BY = re.compile(r"\bby\s+\[?([A-Za-z0-9][A-Za-z0-9.:\-]*)", re.I)
FIELDS = {"id", "name", "decoder", "source", "senders", "subjects", "ends", "headers_end",
          "recipients", "remote_mta", "reporting_mta", "reply", "delayed", "permanent", "temporary",
          "commands", "lookalikes", "intros", "quoted_fields", "__line__"}
COMMANDS = ("CONNECT", "HELO", "EHLO", "MAIL", "RCPT", "DATA")
"""The SMTP commands a ``commands`` entry may name (CONNECT: the greeting, before any command)."""
_PHRASE_FIELDS = ("senders", "subjects", "ends", "delayed", "permanent", "temporary", "lookalikes",
                  "intros", "quoted_fields")
_REGEX_FIELDS = ("headers_end", "recipients", "remote_mta", "reporting_mta", "reply")


@dataclass(frozen=True, slots=True)
class Layout:
    """The compiled ``fallback`` catalog entry."""

    senders: tuple[str, ...]
    subjects: tuple[str, ...]
    ends: tuple[str, ...]
    headers_end: re.Pattern[str] | None
    recipients: tuple[re.Pattern[str], ...]
    remote_mta: tuple[re.Pattern[str], ...]
    reporting_mta: tuple[re.Pattern[str], ...]
    reply: tuple[re.Pattern[str], ...]
    delayed: tuple[str, ...]
    permanent: tuple[str, ...]
    temporary: tuple[str, ...]
    commands: re.Pattern[str] | None = None
    """One alternation, a named group per SMTP command: which command a diagnostic says failed."""
    command_keys: tuple[str, ...] | None = None
    """Literal words every ``commands`` expression starts with: a text holding none of them is
    not searched (None: some expression has no literal start, always search)."""
    command_anchored: bool = False
    """True when every match of ``commands`` starts with one of ``command_keys`` (no expression
    has an alternation outside a group): only the positions of the keys need trying."""
    intros: tuple[str, ...] = ()
    """Opening sentences of notices (MTAs' templates, localized labels): near the top of the
    text they say "bounce" when neither the sender nor the Subject does."""
    quoted_fields: tuple[str, ...] = ()
    """Header field names (``message-id:``) whose lines, quoted in a notice's text, never name
    a failed recipient ("Message-id: <x@host>" looks like an address line)."""
    lookalikes: tuple[str, ...] = ()
    """Phrases of notices that look like bounces but report no failure (challenge-response
    requests, quarantine and recall notices): without an SMTP code in the text, no record."""


@dataclass(slots=True)
class Block:
    """What the text says about one recipient."""

    address: str
    lines: list[str] = field(default_factory=list)
    head: str = ""
    """The line that opened the block (``>>> RCPT To:<x>``, ``<x>: host y said: ...``)."""

    @property
    def text(self) -> str:
        return " ".join(line.strip() for line in self.lines if line.strip())

    def command(self, lay: "Layout") -> str | None:
        """The SMTP command this block says failed (its opening line included)."""
        return command_in(lay, f"{self.head} {self.text}")


@dataclass(slots=True)
class Scan:
    """The result of reading the human-readable text of one message."""

    text: str
    """The human-readable text, cut before the returned original."""
    lower: str
    blocks: dict[str, Block]
    """Recipient blocks by lowercased address, in order of first mention."""
    diagnostic: str | None
    """The first paragraph holding a reply or status code (message-wide)."""
    reporting_mta: str | None

    @property
    def summary(self) -> str | None:
        """The notice's own words on one line (rules of dashes dropped, at most ``SUMMARY_LIMIT``
        characters): the diagnostic of last resort, for notices that carry no code and no
        recipient block (Google Groups, "Address not found" pages) — the classifier reads it."""
        return summary(self.text)


def summary(text: str) -> str | None:
    """The words of ``text`` on one line, rules of dashes dropped, at most ``SUMMARY_LIMIT``
    characters (cut at a space); None when it has none."""
    kept: list[str] = []
    size = 0
    for line in text.split("\n"):
        if _WORD.search(line) and not _SEPARATOR.match(line):
            kept.append(line.strip())
            size += len(kept[-1]) + 1
            if size > SUMMARY_LIMIT:  # the rest would be cut off
                break
    words = " ".join(kept)
    if len(words) > SUMMARY_LIMIT:
        words = words[:SUMMARY_LIMIT].rsplit(" ", 1)[0]
    return words or None


def _expand(expression: str) -> str:
    return expression.replace("{address}", _ADDRESS_GROUP)


def compile_layout(item: dict[str, Any]) -> Layout:
    """Compile a validated ``fallback`` entry."""
    def phrases(name: str) -> tuple[str, ...]:
        return tuple(item.get(name) or ())

    def regexes(name: str, flags: int = 0) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(_expand(r), re.I | flags) for r in item.get(name) or ())

    heads = item.get("headers_end") or ()
    return Layout(
        senders=phrases("senders"), subjects=phrases("subjects"), ends=phrases("ends"),
        headers_end=re.compile("|".join(f"(?:{h})" for h in heads), re.I | re.M) if heads else None,
        recipients=regexes("recipients"), remote_mta=regexes("remote_mta"),
        reporting_mta=regexes("reporting_mta", re.M), reply=regexes("reply"), delayed=phrases("delayed"),
        permanent=phrases("permanent"), temporary=phrases("temporary"),
        commands=_commands(item.get("commands")), command_keys=_command_keys(item.get("commands")),
        command_anchored=_command_anchored(item.get("commands")), lookalikes=phrases("lookalikes"),
        intros=phrases("intros"), quoted_fields=phrases("quoted_fields"),
    )


def _commands(raw: dict[str, list[str]] | None) -> re.Pattern[str] | None:
    if not raw:
        return None
    groups = [f"(?P<{name}>{'|'.join(f'(?:{r})' for r in raw[name])})" for name in COMMANDS if raw.get(name)]
    return re.compile("|".join(groups))  # matched against lowercased text


_LITERAL = re.compile(r"[a-z0-9 :_<>'-]*")


def _command_keys(raw: dict[str, list[str]] | None) -> tuple[str, ...] | None:
    keys: list[str] = []
    for name in COMMANDS:
        for expression in (raw or {}).get(name) or ():
            body = expression[2:] if expression.startswith("\\b") else expression.lstrip("^")
            prefix = _LITERAL.match(body)  # always matches (``*``), perhaps empty
            literal = prefix.group(0) if prefix is not None else ""
            if body[len(literal):len(literal) + 1] in ("?", "*", "{"):
                literal = literal[:-1]  # the last character is optional
            if len(literal.strip()) < 3:
                return None
            keys.append(literal)
    return tuple(keys)


def _command_anchored(raw: dict[str, list[str]] | None) -> bool:
    return all(not has_top_level_alternation(expression)
               for name in COMMANDS for expression in (raw or {}).get(name) or ())




def command_in(lay: Layout | None, text: str | None) -> str | None:
    """The SMTP command ``text`` says failed (the last one it names: in a transcript, the command
    the error answered comes last), as one of ``COMMANDS``; None when it names none."""
    if lay is None or lay.commands is None or not text:
        return None
    # Decoders and hosts.settle ask about the same diagnostic or paragraph several times per
    # message (a quarter of the calls on the corpus): remember the last few answers.
    if len(text) > _MEMO_TEXT:  # a long text is not kept alive for a memo
        return _command_in(lay, text.lower())
    known = _COMMAND_MEMO.get(text)
    if known is not None and known[0] is lay:
        return known[1]
    if len(_COMMAND_MEMO) >= 64:
        _COMMAND_MEMO.clear()
    found = _command_in(lay, text.lower())
    _COMMAND_MEMO[text] = (lay, found)
    return found


_COMMAND_MEMO: dict[str, tuple[Layout, str | None]] = {}
_MEMO_TEXT = 4096


def _command_in(lay: Layout, text: str) -> str | None:
    if lay.commands is None:
        return None
    if lay.command_keys is not None and lay.command_anchored:
        # Every match starts where a key stands: try those positions in order, as finditer
        # would meet them (the alternation, tried at every character, costs ~30 ns each).
        starts: list[int] = []
        for key in lay.command_keys:
            at = text.find(key)
            while at >= 0:
                starts.append(at)
                at = text.find(key, at + 1)
        found = None
        position = 0
        for at in sorted(starts):
            if at >= position:
                match = lay.commands.match(text, at)
                if match is not None:
                    found, position = match, match.end()
        return found.lastgroup if found is not None else None
    if lay.command_keys is not None and not any(key in text for key in lay.command_keys):
        return None
    last = None
    for last in lay.commands.finditer(text):
        pass
    return last.lastgroup if last is not None else None


def paragraph_command(mail: Mail, lay: Layout | None, address: str | None,
                      others: tuple[str, ...] = ()) -> str | None:
    """The SMTP command the paragraph naming ``address`` says failed (Postfix writes
    "(in reply to RCPT TO command)" in the human part only), read up to the next mention of
    another recipient (``others``, lowercase) so that no recipient takes its neighbour's."""
    paragraph = paragraph_of(mail, address)
    if not paragraph:
        return None
    lower = paragraph.lower()
    skip = len(address or "")
    ends = [at for at in (lower.find(other, skip) for other in others if other) if at >= 0]
    return command_in(lay, paragraph[:min(ends)] if ends else paragraph)


TRANSCRIPT_LIMIT = 8192
"""Characters of a session transcript searched for its last command."""
_TRANSCRIPT_MARKS = ("\n>>> ", "smtp command\n")


def text_command(mail: Mail, lay: Layout | None) -> str | None:
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


def layout(catalog: Catalog) -> Layout | None:
    """The catalog's fallback layout, compiled once per catalog; None when it has none."""
    cached: Layout | None | Literal[False] = catalog.cache.get(CACHE_KEY, False)
    if cached is False:
        item = next((v for v in catalog.vendors if v.get("decoder") == DECODER), None)
        cached = compile_layout(dict(item)) if item is not None else None
        catalog.cache[CACHE_KEY] = cached
    return cached


def problems(item: dict[str, Any]) -> list[str]:
    """Problems in a ``fallback`` entry (the caller adds its location)."""
    found: list[str] = []
    for key in sorted(set(item) - FIELDS):
        found.append(f"unknown field {key!r}")
    for name in _PHRASE_FIELDS:
        value = item.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            found.append(f"{name} must be a list of phrases")
        elif any(v != v.lower() or v != " ".join(v.split()) for v in value):
            found.append(f"{name}: phrases are lowercase, single-spaced")
    for name in _REGEX_FIELDS:
        value = item.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            found.append(f"{name} must be a list of regexes")
            continue
        for expression in value:
            problem = regex_problem(_expand(expression))
            if problem:
                found.append(f"{name}: {expression!r}: {problem}")
            elif name == "recipients" and "{address}" not in expression:
                found.append(f"recipients: {expression!r} has no {{address}}")
            elif name in ("remote_mta", "reporting_mta", "reply") and re.compile(expression).groups != 1:
                found.append(f"{name}: {expression!r} needs exactly one group")
    commands = item.get("commands")
    if commands is not None:
        if not isinstance(commands, dict):
            found.append("commands must map SMTP commands to lists of regexes")
        else:
            for name, value in commands.items():
                if name == "__line__":
                    continue
                if name not in COMMANDS:
                    found.append(f"commands: {name!r} is not one of {', '.join(COMMANDS)}")
                elif not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                    found.append(f"commands.{name} must be a list of regexes")
                else:
                    for expression in value:
                        problem = regex_problem(expression)
                        if problem:
                            found.append(f"commands.{name}: {expression!r}: {problem}")
                        elif re.compile(expression).groups:
                            found.append(f"commands.{name}: {expression!r} must have no group")
    if not item.get("recipients"):
        found.append("recipients: at least one line shape is needed")
    return found


def looks_like_bounce(mail: Mail, lay: Layout, intros: bool = True) -> bool:
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


def human_text(mail: Mail, lay: Layout) -> tuple[str, str]:
    """The text before the returned original: (folded text, its lowercase)."""
    text, lower = mail.body_folded, mail.body_lower
    end = len(lower)
    for phrase in lay.ends:
        found = lower.find(phrase, 0, end)
        if found >= 0:
            end = lower.rfind("\n", 0, found) + 1
    if lay.headers_end is not None:
        match = lay.headers_end.search(lower, 0, end)
        if match:
            end = match.start()
    return text[:end], lower[:end]


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
        match = _RECEIVED_BY.search(value)
        if match:
            host = match.group(1).rstrip(".-")
            if host.count(":") < 2:  # an IPv6 literal may end in "::"; a name never ends in ":"
                host = host.rstrip(":")
            return host.lower() or None
    return None


def first_group(expressions: tuple[re.Pattern[str], ...], text: str) -> str | None:
    """The first group of the first expression that matches a line of ``text``."""
    lower = aligned_lower(text)
    for expression in expressions:
        match = literal_search(expression, text, lower)
        if match:
            return match.group(1).strip("[]").rstrip(".").lower()
    return None


def scan(mail: Mail, lay: Layout) -> Scan:
    """Read the human-readable text of ``mail`` (see the module docstring)."""
    text, lower = human_text(mail, lay)
    own = {a for a in (find_address(mail.headers.get("from")), find_address(mail.headers.get("to"))) if a}
    own = {a.lower() for a in own}
    blocks: dict[str, Block] = {}
    current: Block | None = None
    paragraph: list[str] = []
    diagnostic: str | None = None
    for raw_line in text.split("\n"):
        line = _QUOTE.sub("", raw_line) if raw_line.startswith(">") else raw_line
        stripped = line.strip()
        if not stripped:
            if diagnostic is None and paragraph and _reply_line(" ".join(paragraph)):
                diagnostic = " ".join(paragraph)
            paragraph = []
            if current is not None and current.text:
                current = None
            continue
        first = line[0]  # the line regexes below can only match lines starting so
        if first in _SEPARATOR_STARTS and _SEPARATOR.match(line):
            # a rule or a heading ("----- Transcript of session follows -----") closes the
            # paragraph above it: the reply under it opens a paragraph of its own
            if diagnostic is None and paragraph and _reply_line(" ".join(paragraph)):
                diagnostic = " ".join(paragraph)
            paragraph = []
            current = None
            continue
        paragraph.append(stripped)
        match = None
        if "@" in line and not (lay.quoted_fields and stripped.lower().startswith(lay.quoted_fields)):
            # every shape names an address: most lines need no regex at all
            for shape in lay.recipients:
                match = shape.search(line)
                if match:
                    break
        if match:
            address = match.group("address").strip(".")
            key = address.lower()
            if key in own:
                current = None
                continue
            block = blocks.get(key)
            rest = _rest(line, match.end(), stripped if block is not None else None)
            if block is None:
                block = blocks[key] = Block(address, head=stripped)
            if rest:
                block.lines.append(rest)
            current = block
            continue
        if first in _SUCCESS_STARTS and _SUCCESS_LINE.match(line):
            continue
        if current is not None:
            current.lines.append(stripped)
        elif "@" in line and blocks and (codes.find_status(line) or _reply_line(stripped)):
            # a reply quoting a recipient named earlier (Sendmail's transcript): its text too
            address = find_address(stripped)
            block = blocks.get(address.lower()) if address else None
            if block is not None:
                block.lines.append(stripped)
    if diagnostic is None and paragraph and _reply_line(" ".join(paragraph)):
        diagnostic = " ".join(paragraph)
    if diagnostic is None and not blocks:
        diagnostic = _code_line(text)
    return Scan(text=text, lower=lower, blocks=blocks, diagnostic=diagnostic,
                reporting_mta=first_group(lay.reporting_mta, text))


def _rest(line: str, end: int, again: str | None) -> str:
    """What a recipient line says after its address. A line naming a recipient ``again`` that is
    a transcript's command line ("Recipient: <x>", then ">>> RCPT TO:<x>") is kept whole: it says
    which command the reply below it answered."""
    if again is not None and "rcpt to" in again.lower():
        return again
    return line[end:].lstrip(">").strip(" :")


def _code_line(text: str) -> str | None:
    for line in text.split("\n"):
        if codes.find_status(line) or _reply_line(line.strip()):
            return line.strip()
    return None


def addresses_in_replies(text: str, own: set[str]) -> list[str]:
    """Addresses quoted in reply lines (``550 5.1.1 <x>... User unknown``), in order."""
    found: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not (codes.find_status(stripped) or _reply_line(stripped)):
            continue
        address = find_address(stripped)
        if address and address.lower() not in own and address.lower() not in (a.lower() for a in found):
            found.append(address)
    return found
