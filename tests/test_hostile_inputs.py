"""Issue 13: inputs that never end, or end in the wrong place. Each test failed before its fix
(a hang shows up here as the pytest run never finishing: each read now stops by itself)."""
from __future__ import annotations

import io
import json
import os

import pytest

from ndr.cli import main
from ndr.reading.sources import iter_path

BOUNCE = (b"From: MAILER-DAEMON@mx.example.org\nTo: a@example.org\nSubject: Undelivered Mail Returned to Sender\n\n"
          b"<u%d@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 unknown\n")


pytestmark = pytest.mark.usefixtures("no_hang")  # see conftest.py


@pytest.fixture
def fifo_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.eml").write_bytes(BOUNCE % 1)
    os.mkfifo(folder / "b.fifo")
    os.symlink("/dev/zero", folder / "c.eml")
    return folder


def test_fifo_and_device_in_a_folder_are_problems_not_hangs(fifo_folder, capsys) -> None:
    assert main(["parse", str(fifo_folder)]) == 0
    captured = capsys.readouterr()
    assert "u1@example.net" in captured.out and captured.err.count("not a regular file") == 2


def test_analyze_skips_fifo_and_device_with_a_problem(fifo_folder, tmp_path) -> None:
    summary = tmp_path / "s.json"
    assert main(["analyze", "-q", "--jobs", "1", "--summary", str(summary), str(fifo_folder)]) == 3
    value = json.loads(summary.read_text())
    assert value["records"] == 1
    assert sum("not a regular file" in p["error"] for p in value["problem_list"]) == 2


def test_parse_dev_zero_is_refused(capsys) -> None:
    assert main(["parse", "/dev/zero"]) == 65
    assert "not a regular file" in capsys.readouterr().err


def test_stdin_is_read_up_to_the_message_limit() -> None:
    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            buffer[:] = b"\0" * len(buffer)
            return len(buffer)

    items = list(iter_path("-", stdin=io.BufferedReader(Endless()), limits=_limits(4096)))
    assert len(items) == 1 and items[0].truncated and len(items[0].data) == 4096


def _limits(size: int):
    from ndr.reading.archives import Limits

    return Limits(max_message_bytes=size)


def test_cr_only_mbox_over_the_span_threshold_reads_like_parse(tmp_path, capsys) -> None:
    box = tmp_path / "old-mac.mbox"
    padding = b"".join(b"X-Padding-%d: %s\n" % (i, b"x" * 60) for i in range(700))  # few, big messages
    message = (b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n" + padding + BOUNCE + b"\n").replace(b"\n", b"\r")
    count = 4 * 1024 * 1024 // len(message % 0) + 50
    box.write_bytes(b"".join(message % i for i in range(count)))
    records = tmp_path / "r.jsonl"
    assert main(["analyze", "-q", "--jobs", "1", "--records", str(records), str(box)]) == 0
    analyzed = records.read_text().splitlines()
    main(["parse", "--format", "jsonl", str(box)])
    parsed = capsys.readouterr().out.splitlines()
    assert len(analyzed) == len(parsed) == count
    assert {json.loads(r)["recipient"] for r in analyzed} == {json.loads(r)["recipient"] for r in parsed}
