"""Streaming archive readers: mbox, compressed files, tar and zip; bomb limits; corrupt members."""
from __future__ import annotations

import bz2
import lzma
import zipfile

import pytest

from ndr.reading.archives import Limits, Problem, RawMessage, iter_messages, mbox_spans, read_span
from ndr.reading.sources import iter_path

from .bounces import gz, mbox, mixed, write_maildir, write_tar, write_zip

MESSAGES = mixed(6)


def _data(items: list) -> list[bytes]:
    return [i.data for i in items if isinstance(i, RawMessage)]


def test_mbox_splits_and_unquotes(tmp_path):
    path = tmp_path / "box.mbox"
    path.write_bytes(mbox(MESSAGES))
    found = list(iter_messages(str(path)))
    assert [m.index for m in found] == list(range(6))
    assert all(isinstance(m, RawMessage) and m.member is None for m in found)
    assert found[0].data.rstrip(b"\n") == MESSAGES[0].rstrip(b"\n")  # ">From " lost its ">"
    assert b"\nFrom the archive" in found[0].data and b">From" not in found[0].data


def test_offsets_give_the_same_messages_as_the_stream(tmp_path):
    path = tmp_path / "box.mbox"
    path.write_bytes(mbox(MESSAGES) + b"From x\n\nFrom y\nbody\n")
    streamed = _data(list(iter_messages(str(path))))
    with open(path, "rb") as handle:
        by_offset = [read_span(handle, s, e)[0] for s, e in mbox_spans(path)]
    assert by_offset == streamed and len(streamed) == 8


@pytest.mark.parametrize("suffix,compress", [(".gz", gz), (".bz2", bz2.compress), (".xz", lzma.compress)])
def test_compressed_mbox(tmp_path, suffix, compress):
    plain = tmp_path / "box.mbox"
    plain.write_bytes(mbox(MESSAGES))
    packed = tmp_path / f"box.mbox{suffix}"
    packed.write_bytes(compress(plain.read_bytes()))
    assert _data(list(iter_messages(str(packed)))) == _data(list(iter_messages(str(plain))))


def test_tar_and_zip_members(tmp_path):
    members = {"a/one.eml": MESSAGES[0], "a/two.eml.gz": gz(MESSAGES[1]), "box.mbox": mbox(MESSAGES[2:5])}
    for path in (write_tar(tmp_path / "x.tar.gz", members), write_tar(tmp_path / "x.tar", members, "w"),
                 write_zip(tmp_path / "x.zip", members)):
        found = list(iter_messages(str(path)))
        assert [(m.member, m.index) for m in found] == [
            ("a/one.eml", 0), ("a/two.eml.gz", 0), ("box.mbox", 0), ("box.mbox", 1), ("box.mbox", 2)], path
        assert found[1].data == MESSAGES[1]
        assert found[3].label == f"{path}!box.mbox"


def test_corrupt_zip_member_is_a_problem_and_the_rest_is_read(tmp_path):
    path = write_zip(tmp_path / "x.zip", {"good1.eml": MESSAGES[0], "bad.eml": MESSAGES[1] * 40,
                                         "good2.eml": MESSAGES[2]})
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("bad.eml")
    start = info.header_offset + 30 + len("bad.eml") + 10  # inside the deflated data
    raw[start:start + 40] = b"\xff" * 40
    path.write_bytes(bytes(raw))
    found = list(iter_messages(str(path)))
    problems = [p for p in found if isinstance(p, Problem)]
    assert len(problems) == 1 and problems[0].member == "bad.eml" and problems[0].source == str(path)
    assert [m.member for m in found if isinstance(m, RawMessage)] == ["good1.eml", "good2.eml"]


def test_zip_bomb_is_refused_by_ratio(tmp_path):
    path = write_zip(tmp_path / "bomb.zip", {"ok.eml": MESSAGES[0], "zeros.eml": b"\0" * (20 * 1024 * 1024)})
    found = list(iter_messages(str(path)))
    problems = [p for p in found if isinstance(p, Problem)]
    assert len(problems) == 1 and "ratio" in problems[0].error and problems[0].member == "zeros.eml"
    assert [m.member for m in found if isinstance(m, RawMessage)] == ["ok.eml"]


def test_gzip_bomb_stops_at_the_limit(tmp_path):
    path = tmp_path / "bomb.mbox.gz"
    path.write_bytes(gz(b"From x\n" + b"A" * (40 * 1024 * 1024)))
    found = list(iter_messages(str(path)))
    assert isinstance(found[-1], Problem) and "ratio" in found[-1].error
    small = list(iter_messages(str(path), limits=Limits(max_decompressed_bytes=2 * 1024 * 1024, max_ratio=1e9)))
    assert isinstance(small[-1], Problem) and "decompressed size" in small[-1].error


def test_tar_bomb_member_and_limits_are_configurable(tmp_path):
    path = write_tar(tmp_path / "x.tar.gz", {"big.eml": b"B" * (12 * 1024 * 1024)})
    assert isinstance(list(iter_messages(str(path)))[-1], Problem)
    relaxed = list(iter_messages(str(path), limits=Limits(max_ratio=1e6)))
    assert len(relaxed) == 1 and isinstance(relaxed[0], RawMessage)


def test_truncated_gzip_keeps_what_was_read(tmp_path):
    packed = gz(mbox(mixed(40)))
    path = tmp_path / "cut.mbox.gz"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    found = list(iter_messages(str(path)))
    assert isinstance(found[-1], Problem) and "cannot read" in found[-1].error
    assert len(_data(found)) > 5


def test_long_message_is_capped(tmp_path):
    path = tmp_path / "big.eml"
    path.write_bytes(MESSAGES[0] + b"x" * 5000 + b"\n")
    (only,) = iter_messages(str(path), limits=Limits(max_message_bytes=1000))
    assert isinstance(only, RawMessage) and only.truncated and len(only.data) == 1000


def test_missing_and_garbage_files_are_problems(tmp_path):
    (tmp_path / "junk.zip").write_bytes(b"not a zip at all")
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar either")
    for name in ("missing.eml", "junk.zip", "junk.tar.gz"):
        found = list(iter_messages(str(tmp_path / name)))
        assert len(found) == 1 and isinstance(found[0], Problem), name


def test_sources_reads_maildir_and_archives(tmp_path):
    maildir = write_maildir(tmp_path / "md", MESSAGES[:3])
    expected = [(str(p), 0) for p in sorted((maildir / "cur").iterdir()) + sorted((maildir / "new").iterdir())]
    assert [(m.source, m.index) for m in iter_path(str(maildir))] == expected
    zipped = write_zip(tmp_path / "x.zip", {"m.eml": MESSAGES[0]})
    assert [m.member for m in iter_path(str(zipped))] == ["m.eml"]


def test_offsets_match_the_stream_on_random_mboxes(tmp_path):
    import random

    pieces = [b"From a\n", b"From b\r\n", b"\n", b"\r\n", b"text\n", b">From c\n", b"From ", b"x", b"\r",
              b"\r\n\r\nFrom z\r\n"]
    rng = random.Random(7)
    path = tmp_path / "r.mbox"
    for _ in range(300):
        data = b"From 0\n" + b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        path.write_bytes(data)
        streamed = _data(list(iter_messages(str(path))))
        for chunk in (1, 2, 3, 8, 1 << 20):  # separators straddling chunks, and the kept context
            with open(path, "rb") as handle:
                spans = [read_span(handle, s, e)[0] for s, e in mbox_spans(path, chunk)]
            assert spans == streamed, (data, chunk)
