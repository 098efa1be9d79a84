"""The generic table decoder: runs the catalog's ``vendors`` entries (one layout per format).

A layout says how to recognise a vendor's bounce, where its error block is, and how recipients
and their diagnostics are laid out in it. The decoder works on ``Mail.body_folded`` (the text
parts outside the returned original, LF line ends, runs of blanks folded to one space, lines
right-stripped); phrases are compared with the lowercased text. Every layout is compiled once
per catalog (``Catalog.layouts``); a message costs a few header look-ups per layout, one marker
search over the lowercased body, and one pass over the lines of the winning layout's block.

The layout fields, with what each means, are described once, in docs/catalog.md ("vendors");
``ndr/catalog/layouts.py`` compiles them and ``ndr/catalog/layout_check.py`` checks them.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from ...catalog import codes
from ..mime import parse_headers
from ...model import Action, Kind
from .settle import settle
from .base import Decoded, Mail, RawRecipient
from ...catalog.match import ADDRESS_PATTERN
from ..text import one_line, sole_addressee
from ...catalog.layouts import Layout
from .block import Found, _WORD, read_block
from ...lazy import regex

_BODY_SCAN = 65536  # detection markers sit near the top; never search a huge body to its end
_HEAD_LINES = 40  # the reporting MTA introduces itself in the first lines
_ADDRESSES = regex(ADDRESS_PATTERN)
_CONTENT = regex(r"[^\n]")
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


_MARKERS: dict[str, tuple[bool, tuple[str, ...]]] = {}
"""Each detection marker: (written with single spaces between words only, its words)."""


def _holds(marker: str, scanned: str, folded: list[str]) -> bool:
    """``marker in " ".join(scanned.split())`` (a marker may span a line break), with the fold
    made (into ``folded``) only when ``scanned`` itself cannot tell: a marker of single-spaced
    words that ``scanned`` holds is in the fold too, and one whose word ``scanned`` lacks is not
    (a word lies within one of the fold's runs, which are ``scanned``'s). The caller has found
    the marker's longest word (``layouts.marker_key``) first: most markers are absent, and an
    absent needle costs a search of the whole text; the other words are looked for once the
    marker itself is not there."""
    known = _MARKERS.get(marker)
    if known is None:
        words = tuple(marker.split())
        known = (marker == " ".join(words), words)
        if len(_MARKERS) < 4096:  # a catalog's markers; bounded all the same
            _MARKERS[marker] = known
    plain, words = known
    if plain:
        if marker in scanned:
            return True
        for word in words:
            if word not in scanned:
                return False
    if not folded:
        folded.append(" ".join(scanned.split()))
    return marker in folded[0]


def _any_holds(members: tuple[tuple[str, str], ...], scanned: str, folded: list[str]) -> bool:
    """Whether ``scanned``'s fold holds one of the markers of a group whose gate it holds
    (``layouts.gates``): a marker's key is looked for before the marker."""
    for key, marker in members:  # most markers' key is absent: no call
        if key in scanned and _holds(marker, scanned, folded):
            return True
    return False


def _headers_pass(mail: Mail, header_tests: tuple[tuple[str, Any], ...], headers: dict[str, str | None]) -> bool:
    """Whether every header test of an alternative passes (values kept in ``headers``)."""
    for name, tests in header_tests:
        if name in headers:
            value = headers[name]
        else:
            value = headers[name] = _header_value(mail, name)
        if value is None or (tests is not None and not tests(value)):
            return False
    return True


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


class TableDecoder:
    """Executes the catalog's ``vendors`` layouts; the first layout that detects the message wins."""

    name = "table"

    def decode(self, mail: Mail) -> Decoded | None:
        # What the tests read is computed once per message, and only when a test gets to it:
        # sender, subject, header values, then the body with all whitespace folded.
        subject: str | None = None
        headers: dict[str, str | None] = {}
        scanned: str | None = None
        folded: list[str] = []
        for layout, checks in mail.catalog.detectors:
            for sender, subject_tests, header_tests, body in checks:
                if sender is not None and not sender(mail.sender):
                    continue
                if subject_tests is not None:
                    if subject is None:
                        subject = mail.subject.lower()
                    if not subject_tests(subject):
                        continue
                if header_tests and not _headers_pass(mail, header_tests, headers):
                    continue
                if body:
                    if scanned is None:
                        scanned = mail.body_lower[:_BODY_SCAN]
                    for gate, members in body:  # a gate the text lacks rules out its group
                        if gate in scanned and _any_holds(members, scanned, folded):
                            break
                    else:
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
        block = read_block(layout, lines, lowers, found_start)
        found, order, loose, session = block.found, block.order, block.loose, block.session
        whole = one_line("\n".join(loose)) if layout.block else None
        if not order:
            whole = self.unnamed(layout, mail, block, text, lower, stop)
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
        return settle(mail, decoded)

    def unnamed(self, layout: Layout, mail: Mail, block: Found, text: str, lower: str,
                stop: int) -> str | None:
        """When no line of the block names a recipient: the addresses in the layout's headers,
        else the returned message's sole addressee, each with the whole block as diagnostic."""
        found, order, loose = block.found, block.order, block.loose
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
        for key in order:
            found[key][1].extend(loose)
        return one_line("\n".join(loose))

    @staticmethod
    def fill(layout: Layout, raw: RawRecipient, diagnostic: str | None, lines: list[str]) -> None:
        """Status, reply code, remote MTA and action of one recipient from its diagnostic."""
        raw.diagnostic = diagnostic
        raw.action = layout.action
        if diagnostic:
            raw.status = codes.find_status(diagnostic)
            raw.status_source = "reply" if raw.status else None
            raw.reply_code = _first_group(layout.reply, lines) or codes.find_reply(diagnostic)
            raw.remote_mta = _first_group(layout.remote_mta, lines)  # then settle's rule
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
        # text[newline + 1:].lstrip("\n") up to its first blank line, cut from text itself:
        # no copy of the rest of the message (the original's body)
        content = _CONTENT.search(text, newline + 1)
        begin = content.start() if content is not None else len(text)
        cut = text.find("\n\n", begin)
        headers = parse_headers(text[begin:cut if cut >= 0 else len(text)].encode("utf-8", "replace"))
        return headers if len(headers) else None  # (len: the values need not be unfolded)


# ---------------------------------------------------------------------------------------------
# validation
