"""An mbox file read whole is split in memory (``split_bytes``) into the very messages the line
reader (``split_stream`` over ``readline``) gives: the same bytes, indexes and flags."""
from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from ndr.reading import mbox
from ndr.reading.mbox import Limits, RawMessage, iter_plain, split_bytes, split_stream
from ndr.reading.sources import iter_path

# Line pieces that meet every rule: separators, quoted and doubly quoted From lines, blank lines
# of each ending, From lines that are not at a line start, bare CRs inside lines.
PIECES = [b"From a@b Mon Jan  1 00:00:00 2024", b"From ", b">From x", b">>From y", b"From:", b"\n",
          b"\r\n", b"\r", b"text", b" ", b"From", b">", b"Subject: s", b"\n\n", b"\r\n\r\n"]


def _by_lines(data: bytes, limits: Limits = mbox.DEFAULT_LIMITS) -> list[RawMessage]:
    """What the line reader gives for ``data``."""
    return list(split_stream(mbox._lines(io.BytesIO(data), None), "s", "m", limits))


@given(st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join))
@settings(max_examples=3000, deadline=None)
def test_split_in_memory_gives_what_the_line_reader_gives(body: bytes) -> None:
    for data in (b"From x\n" + body, b"From x\r\n" + body, body):
        assert list(split_bytes(data, "s", "m")) == _by_lines(data)


def test_a_small_mbox_splits_by_the_rules() -> None:
    data = (b"From a\n" b"one\n\n" b"From b\n" b">From c\n" b"From d\n" b"\r\n"
            b"From e\n" b"\n" b"From f")
    got = list(split_bytes(data, "s", "m"))
    assert got == _by_lines(data)
    assert [(m.index, m.data, m.truncated) for m in got] == [
        (0, b"one\n\n", False), (1, b"From c\nFrom d\n\r\n", False), (2, b"\n", False), (3, b"", False)]


def test_long_lines_cuts_and_bare_crs_keep_the_line_readers_rules(monkeypatch) -> None:
    monkeypatch.setattr(mbox, "MAX_LINE", 8)  # lines longer than 8 bytes come in pieces
    data = b"From a\n" + b"x" * 8 + b"\n" + b"From b\n" + b"y" * 8 + b">From z\n"
    assert list(split_bytes(data, "s", "m")) == _by_lines(data)
    assert [m.data for m in split_bytes(data, "s", "m")] == [b"x" * 8 + b"\n", b"y" * 8 + b"From z\n"]
    small = Limits(max_message_bytes=5)
    assert list(split_bytes(b"From a\nabcdefgh\n", "s", "m", small)) == _by_lines(b"From a\nabcdefgh\n", small)
    assert list(split_bytes(b"From a\rb\r\rFrom c\rd", "s", "m")) == _by_lines(b"From a\rb\r\rFrom c\rd")


def test_an_mbox_file_reads_as_the_stream_reader_reads_it(tmp_path) -> None:
    for i, data in enumerate([b"From a\nx\n\nFrom b\ny\n", b"From a\r\nx\r\n\r\nFrom b\r\n>From y\r\n",
                              b"From a\rx\r\rFrom b\ry\r", b"From a", b"From a\n\nFrom b"]):
        path = tmp_path / f"box{i}"
        path.write_bytes(data)
        assert list(iter_path(str(path))) == list(iter_plain(str(path), str(path)))
    path = tmp_path / "big"
    path.write_bytes(b"From a\n" + b"z" * (mbox.MAX_LINE + 10) + b"\n\nFrom b\nq\n")
    assert list(iter_path(str(path))) == list(iter_plain(str(path), str(path)))
