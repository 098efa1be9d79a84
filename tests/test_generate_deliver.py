"""FolderSink durability modes: group commit (``end``) and per-file fsync (``each``)."""
from __future__ import annotations

import json
import os
import re
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ndr.writing import deliver
from ndr.cli import main
from ndr.writing.deliver import FolderSink, report_filename
from ndr.generate import ReportOptions, generate
from ndr.writing.queue import Attempt, LocalError, QueuedMessage, QueueRecipient

T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "queue"


def _report(queue_id: str):
    message = QueuedMessage(queue_id, "alice@example.com", T0, (QueueRecipient("bob@example.net", attempts=(
        Attempt(T0, "smarthost.example.net", error=LocalError.REFUSED),)),))
    return generate(message, "failed", now=T0, options=ReportOptions(reporting_mta="mx.example.com"))


def _names(folder: Path) -> tuple[list[str], list[str]]:
    names = sorted(p.name for p in folder.iterdir())
    return [n for n in names if not n.startswith(".")], [n for n in names if n.startswith(".")]


def test_end_mode_puts_files_in_place_only_once_they_are_durable(tmp_path, monkeypatch):
    flushed: list[list[str]] = []
    real_flush = deliver._flush

    def spy(paths, folder):
        flushed.append([Path(p).name for p in paths])
        real_flush(paths, folder)

    monkeypatch.setattr(deliver, "_flush", spy)
    sink = FolderSink(tmp_path, group=2)
    reports = [_report(f"Q{i}") for i in range(3)]
    paths = [sink.put(r) for r in reports]
    visible, hidden = _names(tmp_path)
    assert visible == sorted(report_filename(r) for r in reports[:2]) and len(hidden) == 1  # one group committed
    assert len(flushed) == 1 and len(flushed[0]) == 2 and all(n.startswith(".ndr-") for n in flushed[0])
    sink.close()
    visible, hidden = _names(tmp_path)
    assert len(visible) == 3 and hidden == [] and len(flushed) == 2
    for path, report in zip(paths, reports):
        assert Path(path).read_bytes() == report.data
        # the delivery agent reads as the folder's group; others never (reports carry the original)
        assert stat.S_IMODE(os.stat(path).st_mode) == deliver.REPORT_MODE & ~deliver._umask()
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o007 == 0


def test_each_mode_writes_every_file_at_once(tmp_path):
    sink = FolderSink(tmp_path, fsync="each")
    path = sink.put(_report("Q1"))
    assert Path(path).exists() and _names(tmp_path)[1] == []
    sink.close()


def test_a_failed_flush_leaves_no_partial_or_unflushed_report(tmp_path, monkeypatch):
    def broken(paths, folder):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(deliver, "_flush", broken)
    sink = FolderSink(tmp_path)
    sink.put(_report("Q1"))
    with pytest.raises(OSError):
        sink.close()
    assert list(tmp_path.iterdir()) == []


def test_flush_without_syncfs_fsyncs_each_file(tmp_path, monkeypatch):
    monkeypatch.setattr(deliver, "_libc_syncfs", lambda: None)
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    sink = FolderSink(tmp_path)
    for i in range(3):
        sink.put(_report(f"Q{i}"))
    sink.close()
    assert len(synced) >= 3 and len(_names(tmp_path)[0]) == 3


def test_unknown_mode_is_refused(tmp_path):
    with pytest.raises(ValueError):
        FolderSink(tmp_path, fsync="never")


@pytest.mark.parametrize("mode", ["end", "each"])
def test_cli_fsync_modes_write_the_same_reports(tmp_path, mode):
    out = tmp_path / mode
    code = main(["generate", str(EXAMPLES / "listing.yaml"), "--now", "2024-05-02T12:00:00Z", "--lifetime", "24h",
                 "--warn-after", "4h,12h", "--reporting-mta", "mx.example.com", "--out", str(out), "--fsync", mode])
    assert code == 0
    visible, hidden = _names(out)
    assert len(visible) == 2 and hidden == []


def _listing(path: Path, count: int, bad: int | None = None) -> Path:
    records = []
    for i in range(count):
        attempt = {"time": "2024-05-01T09:00:00Z", "remote_mta": "mx.example.net"}
        attempt.update({"error": "refused"} if i % 3 == 0 else {"reply": f"550 5.1.1 <r{i}@example.net>: User unknown"})
        records.append({"id": f"M{i:03d}", "sender": f"s{i}@example.com", "arrival": "2024-05-01T08:00:00Z",
                        "recipients": [{"address": f"r{i}@example.net", "attempts": [attempt]}],
                        "original": {"inline": f"Subject: note {i}\r\nMessage-ID: <m{i}@example.com>\r\n\r\nHi.\r\n"}})
    if bad is not None:
        records[bad]["original"] = {"path": str(path.parent / "missing.eml")}
    path.write_text(json.dumps(records))
    return path


def test_jobs_write_the_same_reports_in_the_same_order(tmp_path, capsys):
    listing = _listing(tmp_path / "big.json", 80, bad=41)
    common = ["generate", str(listing), "--now", "2024-05-03T12:00:00Z", "--lifetime", "24h",
              "--reporting-mta", "mx.example.com"]
    one, two = tmp_path / "one", tmp_path / "two"
    assert main([*common, "--out", str(one)]) == 65
    err_one = capsys.readouterr().err
    assert main([*common, "--out", str(two), "--jobs", "2"]) == 65
    err_two = capsys.readouterr().err
    assert "record 42 id=M041" in err_one and "original.path" in err_one and err_one == err_two
    names = sorted(p.name for p in one.iterdir())
    assert len(names) == 79 and names == sorted(p.name for p in two.iterdir())
    assert all((one / n).read_bytes() == (two / n).read_bytes() for n in names)
    mbox_one, mbox_two = tmp_path / "one.mbox", tmp_path / "two.mbox"
    main([*common, "--mbox", str(mbox_one)])
    main([*common, "--mbox", str(mbox_two), "--jobs", "3"])
    strip = re.compile(rb"(?m)^From MAILER-DAEMON .*$")  # the mbox separator carries the current time
    assert strip.sub(b"", mbox_one.read_bytes()) == strip.sub(b"", mbox_two.read_bytes())


def test_jobs_must_be_positive(tmp_path):
    assert main(["generate", str(EXAMPLES / "listing.yaml"), "--out", str(tmp_path), "--jobs", "0"]) == 2
