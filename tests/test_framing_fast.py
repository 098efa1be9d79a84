"""One-byte tests by value (``int in bytes``, a memchr, instead of ``bytes in bytes``, which on
Python 3.11 raises and clears a TypeError on every call) answer as the bytes tests did: line ends
unified, framing stripped, ISO-2022-JP guessed, on byte strings built from the bytes that decide.
"""
from __future__ import annotations

from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from ndr.errors import Defect
from ndr.reading.charsets import decode_bytes
from ndr.reading import framing
from ndr.reading.framing import normalise_newlines, strip_framing

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


@given(data)
@settings(max_examples=1000, deadline=None)
def test_framing_is_stripped_as_before(raw: bytes) -> None:
    defects: list[Defect] = []
    expected: list[Defect] = []
    stripped = strip_framing(raw, defects)
    with patch.object(framing, "_FRAMING_STARTS", bytes(range(256))):  # no first-byte shortcut
        assert (stripped, defects) == (strip_framing(raw, expected), expected)


def test_framing_starting_each_way_is_stripped() -> None:
    for raw in (b"\xef\xbb\xbfA: b\n", b"\nA: b\n", b" \nA: b\n", b"\t\nA: b\n", b"From x\nA: b\n"):
        assert strip_framing(raw, []) == b"A: b\n"
    assert strip_framing(b"A: b\n", []) == b"A: b\n" and strip_framing(b"", []) == b""


@given(data, st.sampled_from([None, "us-ascii", "utf-8"]))
@settings(max_examples=500, deadline=None)
def test_iso_2022_jp_is_guessed_as_before(raw: bytes, charset: str | None) -> None:
    text = decode_bytes(raw, charset)
    if charset is None and raw.isascii() and (b"\x1b$" in raw or b"\x1b(" in raw):
        assert text == raw.decode("iso2022_jp", "replace")
    elif charset is None and raw.isascii():
        assert text == raw.decode("ascii")
