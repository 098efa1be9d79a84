"""The generic table decoder: runs the catalog's ``vendors`` entries (one layout per format).

A layout says how to recognise a vendor's bounce, where its error block is, and how recipients
and their diagnostics are laid out in it. The decoder works on ``Mail.body_folded`` (the text
parts outside the returned original, LF line ends, runs of blanks folded to one space, lines
right-stripped); phrases are compared with the lowercased text. Every layout is compiled once
per catalog (``catalog.cache``); a message costs a few header look-ups per layout, one marker
search over the lowercased body, and one pass over the lines of the winning layout's block.

Layout fields (``id`` and ``source`` are checked by the catalog itself)::

    - id: qmail
      name: qmail                       # display name (optional)
      decoder: table                    # optional; entries for a code decoder name it instead
      source: "qmail-send.c: bounce text"
      detect:                           # alternatives; the layout applies when one matches
        - from: [mailer-daemon]         #   all keys given in an alternative must match;
          subject: [{prefix: failure notice}]   # within a key, any test may match
          body: ["this is the qmail-send program at"]
        - headers: {x-failed-recipients: ""}
      start: ["i'm afraid i wasn't able to deliver"]   # the block starts AT the first line
                                        #   holding one of these phrases (else at text start)
      end: ["--- below this line is a copy of the message"]  # and ends BEFORE the first line
                                        #   after the start holding one (default: text end)
      original: ["--- below this line is a copy of the message"]  # the returned message's
                                        #   header starts on the line after one of these
      recipient:                        # recipient line shapes, tried in order on every line
        - address                       #   a line holding only an address (<>, ":" allowed)
        - address-text                  #   an address (<>, ":" allowed), then text on the line
        - {after: "delivering your mail to"}    # the first address after this phrase (the
                                        #   whole line starts the diagnostic)
        - {regex: '^unknown user: {address}'}   # anchored; {address} marks the recipient; a
                                        #   group (?P<diagnostic>...) adds its text to the
                                        #   diagnostic (the rest of the line always does)
      diagnostic:                       # optional, how a recipient's diagnostic is gathered
        until: blank                    #   following lines end at a blank line (after some
                                        #   text) or at the next recipient line ("recipient",
                                        #   the default) or at the block end ("end"); "line":
                                        #   only the rest of the recipient line
        block: false                    #   true: all non-recipient text of the block is every
                                        #   recipient's diagnostic
        transcript: false               #   true: the block holds an SMTP session transcript
                                        #   (">>> RCPT To:<x>" sent, "<<< 550 ..." heard): a
                                        #   failure reply to RCPT TO:<x> is x's diagnostic
                                        #   wherever x's line is; a failure reply to another
                                        #   command is the next recipient line's. Either way the
                                        #   recipient's smtp_command is the command answered
        section: ["because:"]           #   lines after this phrase (to a blank line) are the
                                        #   diagnostic of recipients that have none of their own
      recipient_headers: [x-failed-recipients]   # when no line of the block is a recipient
                                        #   line: the addresses in these headers, each with the
                                        #   block's text as diagnostic
      remote_mta: [{regex: '\\bhost {host} \\['}]   # {host} marks the host; searched per line
                                        #   of the diagnostic, before the shared rule of hosts.py
      reporting_mta: [{regex: '^hi\\. this is the qmail-send program at {host}'}]
                                        #   searched in the first 40 lines of the text
      reply: [{regex: '...'}]           # one group: where a reply code sits when the shared
                                        #   finder cannot see it
      when:                             # the first phrase found in a recipient's diagnostic
        - {phrase: retry timeout exceeded, status: "4.4.7"}  # sets the status when the text
        - {phrase: has not yet been delivered, action: delayed}  # has none, and/or the action
      defaults: {action: failed, status: "5.0.0"}   # action (default failed) and the status
                                        #   used when the text has none (class only: 5.0.0)

Tests in ``detect``: a lowercase string means "contains"; ``{prefix: s}`` and ``{equals: s}``
compare the start or the whole (lowercased, blanks folded) value. ``headers`` maps a header name
to a test or a list of tests; ``""`` means "present". ``body`` lists phrases only. Header tests
(from, subject, headers) run first; the body is only searched when they pass, with all its
whitespace folded (a body phrase may span lines; ``start``, ``end``, ``original`` and ``when``
phrases must sit within one line). Regexes are
matched against the lowercased line for ``recipient`` shapes (the address is taken from the
original line) and against the original line elsewhere, with ``re.IGNORECASE``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from .. import codes
from ..catalog import Catalog
from ..match import regex_problem
from ..mime import parse_headers
from ..model import Action, Kind
from . import hosts
from .base import ADDRESS_PATTERN, Decoded, Mail, RawRecipient, find_address, one_line, sole_addressee

_CACHE_KEY = "decoders.table"
_BODY_SCAN = 65536  # detection markers sit near the top; never search a huge body to its end
_HEAD_LINES = 40  # the reporting MTA introduces itself in the first lines
_ADDRESS_GROUP = f"(?P<address>{ADDRESS_PATTERN})"
_ADDRESSES = re.compile(ADDRESS_PATTERN)
# "{address}" right after a literal "=" in a shape (X.400's "dda:SMTP=user@host;"): the shape's
# own literal fixes where the address starts, so the free-text pattern's rule (an address starts
# only after a delimiter) is not needed there, and the local part holds no "=".
_ADDRESS_AFTER_EQUALS = r"(?P<address>[^\s<>()\[\]\"',;:@=]+@[^\s<>()\[\]\"',;:@]+\.[A-Za-z0-9-]+)"
_WORD = re.compile(r"\w")
_ADDRESS_ONLY = re.compile(rf"^ ?[<\[(]?(?:mailto:)?{_ADDRESS_GROUP}[>\])]?:?$", re.I)
_ADDRESS_TEXT = re.compile(rf"^ ?[<\[(]?(?:mailto:)?{_ADDRESS_GROUP}[>\])]?:?(?: |$)", re.I)
# Each alternative starts only where a host name (an IPv6 literal) can start, not inside one: a
# search stays linear on "a.a.a.a..." (from every word boundary it would rescan the rest).
_HOST_GROUP = r"\[?(?P<host>(?<![a-z0-9.-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+|(?<![0-9a-f:.])[0-9a-f]*:[0-9a-f:.]+)\]?"
_FIELDS = {"id", "name", "decoder", "source", "detect", "start", "end", "original", "recipient",
           "recipient_headers", "diagnostic", "remote_mta", "reporting_mta", "reply", "when",
           "defaults", "__line__"}
_DETECT_KEYS = {"from", "subject", "headers", "body"}
_DIAGNOSTIC_KEYS = {"until", "block", "section", "transcript"}
_UNTIL = ("recipient", "blank", "end", "line")
_SHAPES = ("address", "address-text")


@dataclass(frozen=True, slots=True)
class Test:
    """One header test: ``kind`` is contains, prefix or equals."""

    kind: str
    value: str

    def check(self, text: str) -> bool:
        if self.kind == "prefix":
            return text.startswith(self.value)
        if self.kind == "equals":
            return text == self.value
        return self.value in text


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way of recognising a layout: every given test group must pass."""

    sender: tuple[Test, ...]
    subject: tuple[Test, ...]
    headers: tuple[tuple[str, tuple[Test, ...]], ...]
    body: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Shape:
    """A recipient line shape: a compiled expression with an ``address`` group, or a phrase."""

    regex: re.Pattern[str] | None = None
    after: str | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """A compiled ``vendors`` entry."""

    id: str
    alternatives: tuple[Alternative, ...]
    start: tuple[str, ...]
    end: tuple[str, ...]
    original: tuple[str, ...]
    shapes: tuple[Shape, ...]
    until: str
    block: bool
    transcript: bool
    section: tuple[str, ...]
    remote_mta: tuple[re.Pattern[str], ...]
    reporting_mta: tuple[re.Pattern[str], ...]
    reply: tuple[re.Pattern[str], ...]
    headers: tuple[str, ...]
    when: tuple[tuple[str, str | None, str | None], ...]
    """(phrase, status, action) rules."""
    action: str
    status: str | None


# ---------------------------------------------------------------------------------------------
# compiling

def _test(raw: Any) -> Test:
    if isinstance(raw, dict):
        kind = "prefix" if "prefix" in raw else "equals"
        return Test(kind, str(raw[kind]))
    return Test("contains", str(raw))


def _tests(raw: Any) -> tuple[Test, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    return tuple(_test(item) for item in items)


def _phrases(raw: Any) -> tuple[str, ...]:
    return tuple(raw or ())


def _regexes(raw: Any) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(item["regex"].replace("{host}", _HOST_GROUP), re.I) for item in raw or ())


def _shape(raw: Any) -> Shape:
    if raw == "address":
        return Shape(regex=_ADDRESS_ONLY)
    if raw == "address-text":
        return Shape(regex=_ADDRESS_TEXT)
    if "after" in raw:
        return Shape(after=raw["after"])
    expression = raw["regex"].replace("={address}", "=" + _ADDRESS_AFTER_EQUALS)
    return Shape(regex=re.compile(expression.replace("{address}", _ADDRESS_GROUP), re.I))


def compile_layout(item: dict[str, Any]) -> Layout:
    """Compile one validated ``vendors`` entry."""
    alternatives = tuple(
        Alternative(
            sender=_tests(alt.get("from")), subject=_tests(alt.get("subject")),
            headers=tuple((name.lower(), _tests(tests)) for name, tests in (alt.get("headers") or {}).items()
                          if name != "__line__"),
            body=_phrases(alt.get("body")),
        )
        for alt in item["detect"]
    )
    diagnostic = item.get("diagnostic") or {}
    defaults = item.get("defaults") or {}
    return Layout(
        id=item["id"], alternatives=alternatives, start=_phrases(item.get("start")),
        end=_phrases(item.get("end")), original=_phrases(item.get("original")),
        shapes=tuple(_shape(raw) for raw in item["recipient"]),
        until=diagnostic.get("until", "recipient"), block=bool(diagnostic.get("block", False)),
        transcript=bool(diagnostic.get("transcript", False)),
        section=_phrases(diagnostic.get("section")),
        remote_mta=_regexes(item.get("remote_mta")), reporting_mta=_regexes(item.get("reporting_mta")),
        reply=_regexes(item.get("reply")),
        headers=tuple(name.lower() for name in item.get("recipient_headers") or ()),
        when=tuple((rule["phrase"], rule.get("status"), rule.get("action")) for rule in item.get("when") or ()),
        action=defaults.get("action", Action.FAILED.value),
        status=defaults.get("status"),
    )


def layouts(catalog: Catalog) -> tuple[Layout, ...]:
    """The catalog's table layouts, compiled once and kept in ``catalog.cache``."""
    cached = catalog.cache.get(_CACHE_KEY)
    if cached is None:
        cached = tuple(compile_layout(dict(item)) for item in catalog.vendors
                       if item.get("decoder", "table") == "table")
        catalog.cache[_CACHE_KEY] = cached
    return cached


@dataclass(frozen=True, slots=True)
class _Group:
    """A list of header tests compiled for one check: it passes when any test passes."""

    contains: tuple[str, ...]
    prefixes: tuple[str, ...]
    equals: frozenset[str]

    def check(self, text: str) -> bool:
        if self.prefixes and text.startswith(self.prefixes):
            return True
        if text in self.equals:
            return True
        for value in self.contains:
            if value in text:
                return True
        return False


def _group(tests: tuple[Test, ...]) -> _Group | None:
    if not tests:
        return None
    return _Group(contains=tuple(t.value for t in tests if t.kind == "contains"),
                  prefixes=tuple(t.value for t in tests if t.kind == "prefix"),
                  equals=frozenset(t.value for t in tests if t.kind == "equals"))


_Check = tuple[_Group | None, _Group | None, tuple[tuple[str, _Group | None], ...], tuple[str, ...]]
_DETECT_KEY = "decoders.table.detect"


def _detectors(catalog: Catalog) -> tuple[tuple[Layout, tuple[_Check, ...]], ...]:
    """Every layout with its alternatives as (sender, subject, headers, body) checks, built once
    per catalog: detection runs for every message no standard decoder claimed."""
    cached = catalog.cache.get(_DETECT_KEY)
    if cached is None:
        cached = tuple(
            (layout, tuple((_group(alt.sender), _group(alt.subject),
                            tuple((name, _group(tests)) for name, tests in alt.headers), alt.body)
                           for alt in layout.alternatives))
            for layout in layouts(catalog))
        catalog.cache[_DETECT_KEY] = cached
    return cached


# ---------------------------------------------------------------------------------------------
# matching

def _header_value(mail: Mail, name: str) -> str | None:
    value = mail.headers.decoded(name)
    return " ".join(value.split()).lower() if value is not None else None


def _find_line(lower: str, phrases: Iterable[str], start: int = 0) -> int | None:
    """Offset of the start of the first line at or after ``start`` holding one of ``phrases``."""
    best: int | None = None
    for phrase in phrases:
        found = lower.find(phrase, start)
        if found >= 0 and (best is None or found < best):
            best = found
    if best is None:
        return None
    return lower.rfind("\n", 0, best) + 1


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


def _first_group(expressions: tuple[re.Pattern[str], ...], lines: Iterable[str]) -> str | None:
    if not expressions:
        return None
    for line in lines:
        for expression in expressions:
            match = expression.search(line)
            if match:
                return match.group(match.re.groups and 1)
    return None


def _section(layout: Layout, lines: list[str], lowers: list[str]) -> str | None:
    for index, lower in enumerate(lowers):
        if any(phrase in lower for phrase in layout.section):
            collected: list[str] = []
            for line in lines[index + 1:]:
                if not _WORD.search(line):
                    if collected:
                        break
                    continue
                collected.append(line)
            return one_line("\n".join(collected))
    return None


_SENT = re.compile(r"^ ?>>> ?([A-Za-z]+)")
_HEARD = re.compile(r"^ ?<<< ?(.*)")
_SMTP_VERBS = {"HELO", "EHLO", "MAIL", "RCPT", "DATA"}  # the commands hosts.settle names


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


class TableDecoder:
    """Executes the catalog's ``vendors`` layouts; the first layout that detects the message wins."""

    name = "table"

    def decode(self, mail: Mail) -> Decoded | None:
        # What the tests read is computed once per message, and only when a test gets to it:
        # sender, subject, header values, then the body with all whitespace folded.
        subject: str | None = None
        headers: dict[str, str | None] = {}
        flat: str | None = None
        for layout, checks in _detectors(mail.catalog):
            for sender, subject_tests, header_tests, body in checks:
                if sender is not None and not sender.check(mail.sender):
                    continue
                if subject_tests is not None:
                    if subject is None:
                        subject = mail.subject.lower()
                    if not subject_tests.check(subject):
                        continue
                passed = True
                for name, tests in header_tests:
                    if name in headers:
                        value = headers[name]
                    else:
                        value = headers[name] = _header_value(mail, name)
                    if value is None or (tests is not None and not tests.check(value)):
                        passed = False
                        break
                if not passed:
                    continue
                if body:
                    if flat is None:
                        flat = " ".join(mail.body_lower[:_BODY_SCAN].split())
                    if not any(marker in flat for marker in body):
                        continue
                break  # this alternative detects the layout
            else:
                continue
            decoded = self.run(layout, mail)
            if decoded is not None:
                return decoded
        return None

    def run(self, layout: Layout, mail: Mail) -> Decoded | None:
        """Read ``mail``'s text with ``layout``; None when it yields no recipient."""
        text, lower = mail.body_folded, mail.body_lower
        found_start = _find_line(lower, layout.start) if layout.start else None
        begin = found_start or 0
        end = _find_line(lower, layout.end, begin + 1) if layout.end else None
        stop = len(lower) if end is None or end <= begin else end
        lines = text[begin:stop].split("\n")
        lowers = lower[begin:stop].split("\n")
        found: dict[str, tuple[RawRecipient, list[str]]] = {}
        order: list[str] = []
        loose: list[str] = []
        current: list[str] | None = None
        ended = False
        session = _Session() if layout.transcript else None
        for index, (line, low) in enumerate(zip(lines, lowers)):
            if session is not None and session.read(line):
                loose.append(line)
                continue
            hit = _recipient(layout.shapes, line, low)
            if hit is not None:
                address, rest = hit
                key = address.lower()
                if key not in found:
                    found[key] = (RawRecipient(recipient=address), [])
                    order.append(key)
                current = found[key][1]
                ended = layout.until == "line"
                if rest:
                    current.append(rest)
                if session is not None:
                    session.settle(key, current)
                continue
            if not _WORD.search(line):  # blank, or a rule of dashes or equals signs
                if current is not None and layout.until == "blank" and not line.strip():
                    ended = True
                continue
            if index or found_start is None:  # the start line is a heading, not a diagnostic
                loose.append(line)
            if current is not None and not ended:
                current.append(line)
        if session is not None:
            for key, (address, replies) in session.answers.items():
                if key not in found:  # refused at RCPT, with no result line of its own
                    found[key] = (RawRecipient(recipient=address), [])
                    order.append(key)
                found[key][1].extend(replies)
        whole = one_line("\n".join(loose)) if layout.block else None
        if not order:
            for name in layout.headers:
                for value in mail.headers.get_all(name):
                    for address in _ADDRESSES.findall(value):
                        if address.lower() not in found:
                            found[address.lower()] = (RawRecipient(recipient=address), [])
                            order.append(address.lower())
            if not order:
                # the notice names nobody (Sendmail V5's "example.com (smtp)... Deferred"): the
                # failure is the returned message's, when it was addressed to one recipient
                sole = sole_addressee(mail.original.headers if mail.original is not None
                                      else self.original(layout, text, lower, stop) if layout.original
                                      else None)
                if sole:
                    found[sole.lower()] = (RawRecipient(recipient=sole), [])
                    order.append(sole.lower())
            whole = one_line("\n".join(loose))
            for key in order:
                found[key][1].extend(loose)
        if not order:
            return None
        shared = _section(layout, lines, lowers) if layout.section else None
        reporting = (_first_group(layout.reporting_mta, text[:_BODY_SCAN].split("\n", _HEAD_LINES)[:_HEAD_LINES])
                     if layout.reporting_mta else None)
        recipients: list[RawRecipient] = []
        for key in order:
            raw, diagnostic_lines = found[key]
            # a recipient the block says nothing particular about gets the block's own words
            diagnostic = whole or one_line("\n".join(diagnostic_lines)) or shared or one_line("\n".join(loose))
            self.fill(layout, raw, diagnostic, diagnostic_lines)
            if session is not None:
                raw.smtp_command = raw.smtp_command or session.commands.get(key)
            raw.reporting_mta = reporting
            recipients.append(raw)
        decoded = Decoded(decoder=f"{self.name}:{layout.id}", kind=Kind.BOUNCE, recipients=recipients,
                          reporting_mta=reporting)
        if layout.original and mail.original is None:
            decoded.original_headers = self.original(layout, text, lower, stop)
        return hosts.settle(mail, decoded)

    @staticmethod
    def fill(layout: Layout, raw: RawRecipient, diagnostic: str | None, lines: list[str]) -> None:
        """Status, reply code, remote MTA and action of one recipient from its diagnostic."""
        raw.diagnostic = diagnostic
        raw.action = layout.action
        if diagnostic:
            raw.status = codes.find_status(diagnostic)
            raw.status_source = "reply" if raw.status else None
            raw.reply_code = _first_group(layout.reply, lines) or codes.find_reply(diagnostic)
            raw.remote_mta = _first_group(layout.remote_mta, lines)  # then hosts.settle's rule
            if layout.when:
                lower = diagnostic.lower()
                for phrase, status, action in layout.when:
                    if phrase in lower:
                        if raw.status is None and status is not None:
                            raw.status, raw.status_source = status, "text"
                        raw.action = action or raw.action
                        break
        if raw.status is None and layout.status:
            # the default never contradicts the reply code, and a delay is never permanent
            klass = codes.class_of(None, raw.reply_code) or ("4" if raw.action == Action.DELAYED.value else None)
            raw.status = layout.status if klass in (None, layout.status[0]) else f"{klass}.0.0"

    @staticmethod
    def original(layout: Layout, text: str, lower: str, start: int) -> Any:
        """The returned message's header after the ``original`` marker line, if any."""
        at = _find_line(lower, layout.original, max(0, start - 1))
        if at is None:
            at = _find_line(lower, layout.original)
        if at is None:
            return None
        newline = text.find("\n", at)
        if newline < 0:
            return None
        block = text[newline + 1:].lstrip("\n")
        cut = block.find("\n\n")
        headers = parse_headers((block if cut < 0 else block[:cut]).encode("utf-8", "replace"))
        return headers if headers.fields else None


# ---------------------------------------------------------------------------------------------
# validation

def _string_list(value: Any, name: str, problems: list[str], lowercase: bool = True) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not value:
        problems.append(f"{name} must be a non-empty list of phrases")
        return
    for phrase in value:
        if not isinstance(phrase, str) or not phrase.strip():
            problems.append(f"{name}: {phrase!r} is not a phrase")
        elif lowercase and phrase != phrase.lower():
            problems.append(f"{name}: phrase {phrase!r} is not lowercase")
        elif phrase != phrase.strip() or "  " in phrase or "\t" in phrase:
            problems.append(f"{name}: phrase {phrase!r} has leading, trailing or repeated blanks")


def _test_problems(value: Any, name: str, problems: list[str]) -> None:
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        problems.append(f"{name}: empty list of tests")
    for test in items:
        if isinstance(test, dict):
            keys = set(test) - {"__line__"}
            if len(keys) != 1 or not keys <= {"prefix", "equals"}:
                problems.append(f"{name}: a test is a phrase, {{prefix: ...}} or {{equals: ...}}, not {test!r}")
                continue
            test = test[keys.pop()]
        if not isinstance(test, str):
            problems.append(f"{name}: test {test!r} is not a string")
        elif test != test.lower():
            problems.append(f"{name}: test {test!r} is not lowercase")


def _when_problems(value: Any, problems: list[str]) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not value:
        problems.append("when must be a non-empty list of {phrase, status?, action?}")
        return
    for index, rule in enumerate(value):
        where = f"when[{index}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("phrase"), str):
            problems.append(f"{where}: must be a mapping with a phrase")
            continue
        _string_list([rule["phrase"]], f"{where}.phrase", problems)
        for key in sorted(set(rule) - {"phrase", "status", "action", "__line__"}):
            problems.append(f"{where}: unknown key {key!r}")
        if "status" not in rule and "action" not in rule:
            problems.append(f"{where}: needs status or action")
        _action_status(rule, where, problems)


def _action_status(item: dict[str, Any], where: str, problems: list[str]) -> None:
    if "action" in item and item["action"] not in {a.value for a in Action}:
        problems.append(f"{where}.action {item['action']!r} is not a DSN action")
    status = item.get("status")
    if status is not None and (not isinstance(status, str) or not codes.STATUS_SHAPE.match(status)
                               or status[0] == "X"):
        problems.append(f"{where}.status {status!r} is not a status code C.S.D")


def _regex_list(value: Any, name: str, problems: list[str], groups: int, placeholder: str = "") -> None:
    if value is None:
        return
    if not isinstance(value, list) or not value:
        problems.append(f"{name} must be a non-empty list of {{regex: ...}}")
        return
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("regex"), str):
            problems.append(f"{name}: {item!r} is not {{regex: ...}}")
            continue
        expression = item["regex"]
        if placeholder:
            if expression.count(placeholder) != 1:
                problems.append(f"{name}: regex must contain {placeholder} exactly once: {expression!r}")
                continue
            expression = expression.replace(placeholder, "x")
        problem = regex_problem(expression)
        if problem:
            problems.append(f"{name}: {problem}: {item['regex']!r}")
        elif re.compile(expression).groups != groups:
            problems.append(f"{name}: regex {item['regex']!r} must have exactly {groups} capturing "
                            f"group{'s' if groups != 1 else ''}")


def _detect_problems(value: Any, problems: list[str]) -> None:
    if not isinstance(value, list) or not value:
        problems.append("detect must be a non-empty list of alternatives")
        return
    for index, alt in enumerate(value):
        where = f"detect[{index}]"
        if not isinstance(alt, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        keys = set(alt) - {"__line__"}
        if not keys:
            problems.append(f"{where}: needs at least one of {', '.join(sorted(_DETECT_KEYS))}")
        for key in sorted(keys - _DETECT_KEYS):
            problems.append(f"{where}: unknown key {key!r} (known: {', '.join(sorted(_DETECT_KEYS))})")
        for key in ("from", "subject"):
            if key in alt:
                _test_problems(alt[key], f"{where}.{key}", problems)
        if "headers" in alt:
            headers = alt["headers"]
            if not isinstance(headers, dict) or not set(headers) - {"__line__"}:
                problems.append(f"{where}.headers must map header names to tests")
            else:
                for name, tests in headers.items():
                    if name != "__line__":
                        _test_problems(tests, f"{where}.headers.{name}", problems)
        if "body" in alt:
            _string_list(alt["body"], f"{where}.body", problems)
        if keys == {"from"}:
            problems.append(f"{where}: a From test alone is too broad; add subject, headers or body")


def _shape_problems(value: Any, problems: list[str]) -> None:
    if not isinstance(value, list) or not value:
        problems.append("recipient must be a non-empty list of line shapes")
        return
    for index, shape in enumerate(value):
        where = f"recipient[{index}]"
        if isinstance(shape, str):
            if shape not in _SHAPES:
                problems.append(f"{where}: unknown shape {shape!r} (known: {', '.join(_SHAPES)}, "
                                "{after: ...}, {regex: ...})")
            continue
        keys = set(shape) - {"__line__"} if isinstance(shape, dict) else set()
        if keys == {"after"}:
            _string_list([shape["after"]], f"{where}.after", problems)
        elif keys == {"regex"} and isinstance(shape["regex"], str):
            expression = shape["regex"]
            if expression.count("{address}") != 1:
                problems.append(f"{where}: regex must contain {{address}} exactly once: {expression!r}")
                continue
            problem = regex_problem(expression.replace("{address}", "x"))
            if problem:
                problems.append(f"{where}: {problem}: {expression!r}")
        else:
            problems.append(f"{where}: a shape is {', '.join(_SHAPES)}, {{after: ...}} or {{regex: ...}}, "
                            f"not {shape!r}")


def vendor_problems(item: dict[str, Any], reason_ids: set[str]) -> list[str]:
    """Problems in one table layout (the caller adds the entry's location)."""
    problems: list[str] = []
    for key in sorted(set(item) - _FIELDS):
        problems.append(f"unknown field {key!r}")
    _detect_problems(item.get("detect"), problems)
    for key in ("start", "end", "original"):
        _string_list(item.get(key), key, problems)
    _shape_problems(item.get("recipient"), problems)
    diagnostic = item.get("diagnostic")
    if diagnostic is not None:
        if not isinstance(diagnostic, dict):
            problems.append("diagnostic must be a mapping")
        else:
            for key in sorted(set(diagnostic) - _DIAGNOSTIC_KEYS - {"__line__"}):
                problems.append(f"diagnostic: unknown key {key!r}")
            if diagnostic.get("until", "recipient") not in _UNTIL:
                problems.append(f"diagnostic.until must be one of {', '.join(_UNTIL)}")
            for flag in ("block", "transcript"):
                if not isinstance(diagnostic.get(flag, False), bool):
                    problems.append(f"diagnostic.{flag} must be true or false")
            _string_list(diagnostic.get("section"), "diagnostic.section", problems)
    for key in ("remote_mta", "reporting_mta"):
        _regex_list(item.get(key), key, problems, groups=0, placeholder="{host}")
    _regex_list(item.get("reply"), "reply", problems, groups=1)
    _string_list(item.get("recipient_headers"), "recipient_headers", problems)
    _when_problems(item.get("when"), problems)
    defaults = item.get("defaults")
    if defaults is not None:
        if not isinstance(defaults, dict):
            problems.append("defaults must be a mapping")
        else:
            for key in sorted(set(defaults) - {"action", "status", "__line__"}):
                problems.append(f"defaults: unknown key {key!r}")
            _action_status(defaults, "defaults", problems)
    return problems
