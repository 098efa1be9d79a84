"""``ndr analyze`` and ``ndr suppressions`` through a subprocess: outputs and exit codes."""
from __future__ import annotations

import csv
import io
import json

from ndr.reading.records import FIELDS

from .bounces import dsn, mbox, mixed, write_zip
from .conftest import run_ndr


def test_analyze_writes_records_summary_html_and_ledger(tmp_path):
    box = tmp_path / "box.mbox"
    box.write_bytes(mbox(mixed(30)))
    out = run_ndr("analyze", str(box), "-j", "2", "--records", str(tmp_path / "r.csv"),
                  "--summary", str(tmp_path / "s.json"), "--html", str(tmp_path / "r.html"),
                  "--db", str(tmp_path / "l.db"))
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert "30 message(s) analysed" in text and "findings:" in text
    assert out.stderr == b""  # no progress bar when stderr is not a terminal
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert len(rows) == 30 and tuple(rows[0]) == FIELDS
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["records"] == 30 and summary["by_reason"]["userunknown"] == 10
    assert summary["findings"] and summary["problem_list"] == []
    assert "<svg" in (tmp_path / "r.html").read_text()
    again = run_ndr("analyze", str(box), "--db", str(tmp_path / "l.db"), "--records", "-")
    assert again.returncode == 0 and again.stdout == b""
    assert b"0 message(s) analysed" in again.stderr and b"30 skipped" in again.stderr
    listed = run_ndr("suppressions", "--db", str(tmp_path / "l.db"))
    assert listed.returncode == 0
    assert listed.stdout.decode().split() == sorted(f"user{i}@example.com" for i in range(0, 30, 3))
    soft = run_ndr("suppressions", "--db", str(tmp_path / "l.db"), "--format", "csv",
                   "--soft-count", "2", "--soft-days", "30")
    assert b"full1@example.net,\"2 soft bounces within 30 day(s)" in soft.stdout


def test_exit_codes(tmp_path):
    good = tmp_path / "good.eml"
    good.write_bytes(dsn("a@example.com"))
    broken = write_zip(tmp_path / "b.zip", {"m.eml": dsn("b@example.com")})
    broken.write_bytes(broken.read_bytes()[:40])
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_ndr("analyze", "-q", str(good)).returncode == 0
    with_problem = run_ndr("analyze", str(good), str(broken), "--summary", str(tmp_path / "s.json"))
    assert with_problem.returncode == 3
    assert b"problems:" in with_problem.stdout and b"b.zip" in with_problem.stdout
    (problem,) = json.loads((tmp_path / "s.json").read_text())["problem_list"]
    assert problem["file"] == str(broken) and set(problem) == {"file", "member", "index", "error"}
    assert run_ndr("analyze", "-q", str(broken)).returncode == 65
    assert run_ndr("analyze", "-q", str(empty)).returncode == 1
    assert run_ndr("analyze", "-q", str(tmp_path / "nope")).returncode == 65
    assert run_ndr("analyze", "--engine", "dask", str(good)).returncode == 2
    assert run_ndr("analyze", "--jobs", "0", str(good)).returncode == 2
    assert run_ndr("suppressions", "--db", str(tmp_path / "none.db")).returncode == 65
    for out in (with_problem,):
        assert b"Traceback" not in out.stderr


def test_strict_stops_at_the_first_problem(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.eml").write_bytes(b"")
    for i in range(3):
        (folder / f"b{i}.eml").write_bytes(dsn(f"x{i}@example.com", serial=i))
    out = run_ndr("analyze", "--strict", "-j", "1", str(folder), "--records", str(tmp_path / "r.jsonl"))
    assert out.returncode == 3
    assert b"stopped at the first problem (--strict)" in out.stderr and b"empty message" in out.stderr
    lenient = run_ndr("analyze", "-q", str(folder), "--records", str(tmp_path / "r.jsonl"))
    assert lenient.returncode == 3 and len((tmp_path / "r.jsonl").read_text().splitlines()) == 3
