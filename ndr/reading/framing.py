"""A whole message's bytes made ready for the MIME scanner (``mime.parse``): line ends unified,
overlong lines cut, and what some writers put before the header dropped. Each repair that
changes the message is a defect."""
from __future__ import annotations

from ..errors import Defect, DefectKind
from ..lazy import regex

# A block's first line is a field or a continuation (not a stray line; mime reads headers with it)
_HEADER_LINE = regex(rb"\A(?:[ \t]|[!-9;-~]+[ \t]*:)")  # \A: linear even under search


# Bytes searched for one byte by its value: ``int in bytes`` is a memchr, while ``bytes in
# bytes`` first tries its needle as an int, and on Python 3.11 that raises (a formatted
# TypeError, then cleared) on every call: about five times the cost.
_CR = ord("\r")


def normalise_newlines(data: bytes) -> bytes:
    """CRLF and bare CR become LF, so all three line-ending styles parse alike."""
    if _CR in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def cut_long_lines(data: bytes, limit: int, defects: list[Defect]) -> bytes:
    """``data`` with every line longer than ``limit`` bytes cut to ``limit`` (one defect).

    Looks only at every ``limit // 2``-th byte window: a line longer than ``limit`` holds a whole
    window without a newline, so a message of short lines costs a few ``bytes.find`` calls.
    """
    if limit <= 0 or len(data) <= limit:
        return data
    step = max(limit // 2, 1)
    kept: list[bytes] = []
    kept_from = position = 0
    cut = 0
    while position + step <= len(data):
        if data.find(b"\n", position, position + step) >= 0:
            position += step
            continue
        start = data.rfind(b"\n", 0, position) + 1
        end = data.find(b"\n", position)
        if end < 0:
            end = len(data)
        if end - start > limit:
            kept.append(data[kept_from: start + limit])
            kept_from = end
            cut += 1
        position = end
    if not cut:
        return data
    defects.append(Defect(DefectKind.LINE_LIMIT, f"{cut} line(s) longer than {limit} bytes were cut"))
    kept.append(data[kept_from:])
    return b"".join(kept)


_BLANK_LINES = regex(rb"(?:[ \t]*\n)+")
_FIELD_START = regex(rb"[!-9;-~]{1,200}[ \t]*:")
_BOM = b"\xef\xbb\xbf"
_FRAMING_STARTS = b"\xef \t\nF"
"""The first bytes of a byte order mark, a blank line and an mbox ``From `` line."""


def strip_framing(data: bytes, defects: list[Defect]) -> bytes:
    """What some writers put before the header: a byte order mark, blank or whitespace-only
    lines (Exchange DSNs saved by some clients begin with a blank line and a line of spaces),
    an mbox ``From `` separator line. Each is dropped with a defect, so the header is read."""
    if not data or data[0] not in _FRAMING_STARTS:  # the first byte of none of them: most messages
        return data
    for _ in range(2):  # a BOM or blank lines may stand before an mbox line, or after it
        if data.startswith(_BOM):
            data = data[len(_BOM):]
            defects.append(Defect(DefectKind.LEADING_BOM, "a byte order mark before the header"))
        blank = _BLANK_LINES.match(data)
        if blank is not None and (_FIELD_START.match(data, blank.end()) or data.startswith(b"From ", blank.end())):
            data = data[blank.end():]
            lines = blank.group().count(b"\n")
            defects.append(Defect(DefectKind.LEADING_BLANK_LINES, f"{lines} blank line(s) before the header"))
        if data.startswith(b"From ") and not _HEADER_LINE.match(data):
            first = data.find(b"\n")
            data = data[first + 1:] if first >= 0 else b""
            defects.append(Defect(DefectKind.MBOX_FROM_LINE, "an mbox 'From ' line before the header"))
    return data
