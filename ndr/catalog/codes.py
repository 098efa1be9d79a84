"""RFC 3463 enhanced status codes and RFC 5321 reply codes: finding them in text, checking them.

Pure functions, no catalog: the catalog says what a code means, this module only says where a
code is and whether it is well formed.
"""
from __future__ import annotations

import functools
import re

from ..lazy import regex
from .search import literal_search

# class.subject.detail; not part of an IP address or a version number (5.1.1.3, v2.4.6).
_STATUS = regex(r"([245])(?<![\w.][245])\.([0-7])\.(\d{1,3})(?![\w]|\.\d)")
# A reply code where one is expected: at the start, or right before an enhanced status code.
_REPLY_AT_START = regex(r"\s*[(\[<\"']?([245][0-5]\d)(?:[\s\-:)\]]|$)")
# (The lookbehind after the first digit: a pattern that opens with a class is searched for in C.)
_REPLY_BEFORE_STATUS = regex(r"([245](?<![\w.#][245])[0-5]\d)[\s\-]+[(\[]?#?[245]\.[0-7]\.\d{1,3}")
_REPLY_AFTER_MARKER = regex(
    r"(?:said:|returned|response:|reply:|error:|<<<|\bsmtp;|\bsmtp error)\s*[\"'(\[<]{0,4}([245][0-5]\d)(?=[\s\-:]|$)",
    re.IGNORECASE,
)
STATUS_SHAPE = regex(r"^[245X]\.\d{1,3}\.\d{1,3}$")
STATUS_RANGE_SHAPE = regex(r"^[245X]\.\d{1,3}\.\d{1,3}-\d{1,3}$")
REPLY_SHAPE = regex(r"^[245]\d\d$")


_MEMO_TEXT = 512
"""Longest text whose codes are remembered: decoders, settling and classification ask about the
same reply line several times per message (half the calls on the corpus), and archives repeat
the same MTAs' replies; a long text is not kept alive for a memo."""


def find_status(text: str) -> str | None:
    """The first RFC 3463 enhanced status code in ``text`` (``5.1.1``), or None."""
    return _status_in(text) if len(text) <= _MEMO_TEXT else _status_in.__wrapped__(text)


@functools.lru_cache(maxsize=4096)
def _status_in(text: str) -> str | None:
    match = _STATUS.search(text)
    if match is None:
        return None
    klass, subject, detail = match.group(1, 2, 3)
    return f"{klass}.{int(subject)}.{int(detail)}"


def find_reply(text: str) -> str | None:
    """The RFC 5321 reply code ``text`` answers with (``550``), or None when it names none."""
    return _reply_in(text) if len(text) <= _MEMO_TEXT else _reply_in.__wrapped__(text)


@functools.lru_cache(maxsize=4096)
def _reply_in(text: str) -> str | None:
    match = _REPLY_AT_START.match(text)
    if match is None and _REPLY_DIGITS.search(text) is not None:  # each form holds one
        match = _REPLY_BEFORE_STATUS.search(text)
        if match is None:
            # its alternation of markers, tried at every character, cost most of reading a
            # reply: tried only where a marker stands
            match = literal_search(_REPLY_AFTER_MARKER, text)
    return match.group(1) if match else None


_REPLY_DIGITS = regex(r"[245][0-5]\d")


# What stands before a reply code that answers, when it does not open the line.
_REPLY_MARKS = ("said:", "returned was:", "<<<", "out:")
_MARKS = "|".join(re.escape(mark) for mark in _REPLY_MARKS)
# A reply code opening a line or after a marker: a line that answers.
REPLY_LINE = regex(rf"(?:^|{_MARKS}) ?[\"'(\[]?[45][0-5]\d(?:[ \-:]|$)", re.I)
# Where REPLY_LINE can match: its reply code (a class search, fast in C; the alternation
# above is tried at every character). reply_line checks what must stand before one.
_REPLY_CODE = regex(r"[45][0-5]\d(?=[ \-:]|$)")
# What opens a status code or a reply code (a superset): where code_line starts reading lines.
_CODE_DIGITS = regex(r"[245](?:\.[0-7]\.\d|[0-5]\d)")
# A marker ending a 13-character window, for a text whose lowercase is not aligned with it
# (an ASCII text's is: there, its lowercase ends with one of _REPLY_MARKS)
_REPLY_MARK_END = regex(rf"(?:{_MARKS})\Z", re.I)


def reply_line(text: str) -> bool:
    """True when ``text`` answers: a reply code opening it or after a marker (``said:``,
    ``<<<`` ...): ``bool(REPLY_LINE.search(text))``, found from its reply codes."""
    if "4" not in text and "5" not in text:  # a code opens with one (most paragraphs hold none)
        return False
    plain = text.isascii()  # (re.I also matches "ſ" with "s": only ASCII lowercases alike)
    for code in _REPLY_CODE.finditer(text):
        ends = [code.start()]  # where the marker may end: before an optional quote and space
        if ends[0] and text[ends[0] - 1] in "\"'([":
            ends.append(ends[0] - 1)
        for end in list(ends):
            if end and text[end - 1] == " ":
                ends.append(end - 1)
        for end in ends:
            if end == 0 or (text[max(0, end - 13):end].lower().endswith(_REPLY_MARKS) if plain
                            else _REPLY_MARK_END.search(text, max(0, end - 13), end)):
                return True
    return False


def code_line(text: str) -> str | None:
    """The first line of ``text`` holding a status code or answering (``reply_line``), stripped;
    None when none does."""
    # Lines before the first code's digits hold neither form (a status opens with [245]. and a
    # reply with [45][0-5]; neither spans a newline): the loop starts at that line, and a text
    # holding none (most that get here) is not split at all.
    first = _CODE_DIGITS.search(text)
    if first is None:
        return None
    for line in text[text.rfind("\n", 0, first.start()) + 1:].split("\n"):
        if find_status(line) or reply_line(line.strip()):
            return line.strip()
    return None


def normalise_status(value: str | None) -> str | None:
    """``value`` as a canonical ``C.S.D`` string if it contains one, else None."""
    if not value:
        return None
    return find_status(value.strip())


def is_class_only(status: str | None) -> bool:
    """True for codes that carry only a class (``5.0.0``, ``4.0.0``): the text may say more."""
    return status is None or status.endswith(".0.0")


def agree(reply: str | None, status: str | None) -> bool:
    """True when a reply code and an enhanced status code do not contradict each other."""
    return not reply or not status or reply[0] == status[0] or status[0] == "X"


def class_of(status: str | None, reply: str | None = None) -> str | None:
    """The class digit ('2', '4', '5') from the status code, else from the reply code."""
    if status and status[0] in "245":
        return status[0]
    if reply and reply[0] in "245":
        return reply[0]
    return None
