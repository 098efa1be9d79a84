"""One-byte tests by value (``int in bytes``, a memchr, instead of ``bytes in bytes``, which on
Python 3.11 raises and clears a TypeError on every call) answer as the bytes tests did: line ends
unified, framing stripped, ISO-2022-JP guessed, on byte strings built from the bytes that decide.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ndr.errors import Defect, DefectKind
from ndr.reading.charsets import decode_bytes
from ndr.reading.framing import (_BLANK_LINES, _BOM, _FIELD_START, _HEADER_LINE, normalise_newlines,
                                 strip_framing)

PIECES = [b"\r", b"\n", b"\r\n", b"\xef\xbb\xbf", b"\xef", b" ", b"\t", b"From x", b"From: a", b"F",
          b"a", b"\x1b", b"\x1b$B", b"\x1b(B", b"\x1b$", b"$", b"(", b"\xa4\xa2", b"\xff"]
data = st.lists(st.sampled_from(PIECES), max_size=12).map(b"".join)


def _plain_normalise(data: bytes) -> bytes:
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


@given(data)
@settings(max_examples=500, deadline=None)
def test_newlines_are_unified_as_before(raw: bytes) -> None:
    assert normalise_newlines(raw) == _plain_normalise(raw)
    assert b"\r" not in normalise_newlines(raw)


def _plain_strip(data: bytes, defects: list[Defect]) -> bytes:
    """strip_framing without its first-byte test (which only skips what finds nothing)."""
    for _ in range(2):
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


@given(data)
@settings(max_examples=1000, deadline=None)
def test_framing_is_stripped_as_before(raw: bytes) -> None:
    defects: list[Defect] = []
    expected: list[Defect] = []
    assert (strip_framing(raw, defects), defects) == (_plain_strip(raw, expected), expected)


@given(data, st.sampled_from([None, "us-ascii", "utf-8"]))
@settings(max_examples=500, deadline=None)
def test_iso_2022_jp_is_guessed_as_before(raw: bytes, charset: str | None) -> None:
    text = decode_bytes(raw, charset)
    if charset is None and raw.isascii() and (b"\x1b$" in raw or b"\x1b(" in raw):
        assert text == raw.decode("iso2022_jp", "replace")
    elif charset is None and raw.isascii():
        assert text == raw.decode("ascii")
