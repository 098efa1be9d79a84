"""The batch engine: identical records for any --jobs, crashing messages become problems."""
from __future__ import annotations

import json
import os
from datetime import datetime

import pytest

from ndr.reading.archives import DEFAULT_LIMITS, Problem
from ndr.batch import engine, html_report, units, work
from ndr.batch.engine import LocalEngine
from ndr.batch.findings import FindingsBuilder, Thresholds
from ndr.batch.summary import Summary
from ndr.batch.units import Files, Payload, Spans, ZipMembers, plan
from ndr.batch.work import WorkContext
from ndr.cli import main

from .bounces import gz, mbox, mixed, write_maildir, write_tar, write_zip
from .conftest import run_ndr


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """An mbox split by offsets, a Maildir, a folder, a .gz, a tar.gz and a zip."""
    monkeypatch.setattr(units, "SPAN_THRESHOLD", 10_000)  # small files, yet planned by offsets
    monkeypatch.setattr(units, "UNIT_MESSAGES", 7)
    monkeypatch.setattr(units, "MIN_UNIT_BYTES", units.UNIT_BYTES)  # units of 7, also at the end
    monkeypatch.setattr(engine, "BYTES_PER_WORKER", 1)  # a pool even for this small input
    messages = mixed(60)
    (tmp_path / "big.mbox").write_bytes(mbox(messages[:30]))
    write_maildir(tmp_path / "md", messages[30:36])
    folder = tmp_path / "folder"
    folder.mkdir()
    for i, data in enumerate(messages[36:42]):
        (folder / f"{i}.eml").write_bytes(data)
    (folder / "small.mbox.gz").write_bytes(gz(mbox(messages[42:46])))
    write_tar(tmp_path / "x.tar.gz", {f"t{i}.eml": d for i, d in enumerate(messages[46:52])})
    write_zip(tmp_path / "x.zip", {f"z{i}.eml": d for i, d in enumerate(messages[52:60])})
    return [str(tmp_path / n) for n in ("big.mbox", "md", "folder", "x.tar.gz", "x.zip")]


def _run(paths, jobs, context=WorkContext()):
    results = list(LocalEngine(context, jobs).run(plan(paths, DEFAULT_LIMITS)))
    rows = [row for r in results for m in r.messages for row in m.records]
    problems = [p for r in results for p in r.problems]
    return rows, problems, results


def test_plan_uses_offsets_and_member_names(inputs):
    kinds = {type(u) for u in plan(inputs, DEFAULT_LIMITS)}
    assert {Spans, Files, ZipMembers, Payload} <= kinds


def test_two_jobs_give_the_same_records_as_one(inputs):
    one, problems, _ = _run(inputs, 1)
    two, problems2, _ = _run(inputs, 2)
    assert len(one) == 60 and problems == problems2 == []
    assert json.dumps(one) == json.dumps(two)


class _Frozen(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime(2024, 5, 6, 12, 0, tzinfo=tz)


def test_analyze_writes_the_same_for_one_and_two_jobs(inputs, tmp_path, monkeypatch, capsys):
    # The workers fold records, counts and finding groups; the parent merges them in input order.
    pools = []
    real_pool = LocalEngine._pool
    monkeypatch.setattr(html_report, "datetime", _Frozen)  # the report says when it was made
    monkeypatch.setattr(LocalEngine, "_pool", lambda self, units: pools.append(self) or real_pool(self, units))
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        out.mkdir()
        args = ["analyze", *inputs, inputs[0], "--jobs", jobs, "--min-count", "1", "--summary",
                str(out / "s.json"), "--html", str(out / "r.html")]
        assert main([*args, "--records", str(out / "r.jsonl")]) == 0
        assert main([*args, "--all", "--records", str(out / "r.csv"), "-q"]) == 0
        outputs.append([capsys.readouterr().out] + [(out / name).read_bytes()
                                                    for name in ("s.json", "r.html", "r.jsonl", "r.csv")])
    assert [p.workers for p in pools] == [2, 2]
    assert outputs[0] == outputs[1]
    # ... and what adding every record in input order, in one place, gives
    summary, findings = Summary(), FindingsBuilder(Thresholds(min_count=1))
    for result in _run([*inputs, inputs[0]], 1)[2]:
        summary.add(result)
        findings.add_messages(result.messages)
    expected = summary.to_dict() | {"stopped_by_strict": False, "findings": [f.to_dict() for f in findings.findings()]}
    assert json.loads(outputs[0][1]) == json.loads(json.dumps(expected))
    assert expected["messages"] == 90 and outputs[0][3].count(b"\n") == 90


def test_records_equal_ndr_parse(inputs):
    rows, _, _ = _run(inputs[:3], 1)
    parsed = run_ndr("parse", "--format", "jsonl", *inputs[:3])
    assert [json.loads(line) for line in parsed.stdout.splitlines()] == rows
    for jobs in ("1", "2"):  # and analyze writes them byte for byte as parse does
        out = os.path.join(os.path.dirname(inputs[0]), f"records{jobs}.jsonl")
        assert main(["analyze", *inputs[:3], "-q", "--jobs", jobs, "--records", out]) == 0
        with open(out, "rb") as written:
            assert written.read() == parsed.stdout


def test_crashing_message_is_a_problem_and_the_batch_goes_on(inputs, monkeypatch):
    real = work.parse_bytes

    def fragile(data, catalog, policy):
        if b"user9@example.com" in data:
            raise RuntimeError("decoder exploded")
        return real(data, catalog, policy)

    monkeypatch.setattr(work, "parse_bytes", fragile)
    for jobs in (1, 2):  # the pool forks, so workers see the patched parser too
        rows, problems, _ = _run(inputs, jobs)
        assert len(rows) == 59
        (problem,) = problems
        assert problem.source.endswith("big.mbox") and problem.index == 9
        assert "crashed the parser: RuntimeError: decoder exploded" in problem.error


@pytest.mark.skipif(os.name != "posix", reason="needs fork to inject the fault")
def test_dead_worker_loses_only_its_unit(inputs, monkeypatch):
    real = work.parse_bytes

    def deadly(data, catalog, policy):
        if b"user9@example.com" in data:
            os._exit(9)  # as if killed by the OOM killer
        return real(data, catalog, policy)

    monkeypatch.setattr(work, "parse_bytes", deadly)
    rows, problems, _ = _run(inputs, 2)
    assert len(problems) == 1 and "worker died" in problems[0].error
    assert 45 <= len(rows) < 60  # the unit of 7 with the deadly message is lost, nothing else


def test_worker_count_follows_the_input_size(inputs, monkeypatch):
    monkeypatch.setattr(engine, "BYTES_PER_WORKER", 10**9)  # a small input: no pool, any --jobs
    runner = LocalEngine(WorkContext(), 2)
    rows = [row for r in runner.run(plan(inputs, DEFAULT_LIMITS)) for m in r.messages for row in m.records]
    assert runner.workers == 1 and len(rows) == 60
    size = sum(engine._weight(u) for u in plan(inputs, DEFAULT_LIMITS))
    monkeypatch.setattr(engine, "BYTES_PER_WORKER", size // 2)  # enough for two workers, not three
    runner = LocalEngine(WorkContext(), 3)
    assert len([row for r in runner.run(plan(inputs, DEFAULT_LIMITS)) for m in r.messages
                for row in m.records]) == 60
    assert runner.workers == 2


def test_file_sizes_start_the_workers_without_reading_ahead(inputs, monkeypatch):
    """When the PATHs' sizes already call for every worker, no unit is read ahead to weigh them."""
    monkeypatch.setattr(engine, "BYTES_PER_WORKER", 10**9)
    weighed = []
    real = engine.workers_for
    monkeypatch.setattr(engine, "workers_for", lambda units, jobs: weighed.append(jobs) or real(units, jobs))
    runner = LocalEngine(WorkContext(), 2)
    assert len([m for r in runner.run(plan(inputs, DEFAULT_LIMITS), input_bytes=2 * 10**9)
                for m in r.messages]) == 60
    assert runner.workers == 2 and weighed == []
    runner = LocalEngine(WorkContext(), 2)
    assert len([m for r in runner.run(plan(inputs, DEFAULT_LIMITS), input_bytes=10**9 - 1)
                for m in r.messages]) == 60
    assert runner.workers == 1 and weighed == [2]  # too little for two: weighed from the units


def test_results_cross_the_pipe_with_the_records_beside_the_pickle(inputs):
    """A folded unit goes through the pool's own framing: its records out of band, read straight
    into the buffer the parent keeps; what arrives equals what left."""
    import threading

    from ndr.batch import pool
    from ndr.batch.fold import Fold

    unit = next(u for u in plan(inputs, DEFAULT_LIMITS) if isinstance(u, Spans))
    result = Fold("jsonl").apply(work.process_unit(unit, WorkContext()))
    pieces = pool._framed((7, result))
    assert len(pieces) == 3 and bytes(pieces[2]) == result.folded.text  # head, pickle, records
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=pool._write_all, args=(write_end, pieces))
    writer.start()  # the records may be larger than the pipe: written while they are read
    with os.fdopen(read_end, "rb", buffering=0) as handle:
        connection = type("C", (), {"fileno": lambda self: handle.fileno()})()
        number, arrived = pool._receive(connection)
        writer.join()
        os.close(write_end)
        with pytest.raises(EOFError):
            pool._receive(connection)  # the worker's end closed
    assert number == 7 and isinstance(arrived.folded.text, bytearray)
    assert arrived.folded.text == result.folded.text
    assert arrived.folded.summary.to_dict() == result.folded.summary.to_dict()
    assert [f.to_dict() for f in arrived.folded.groups.findings()] == \
        [f.to_dict() for f in result.folded.groups.findings()]


def test_a_summary_travels_as_dicts_and_arrives_with_counters(inputs):
    import pickle
    from collections import Counter, defaultdict

    summary = Summary()
    for result in _run(inputs, 1)[2]:
        summary.add(result)
    arrived = pickle.loads(pickle.dumps(summary, pickle.HIGHEST_PROTOCOL))
    assert arrived.to_dict() == summary.to_dict() and arrived.render_text() == summary.render_text()
    assert type(arrived.by_reason) is Counter and type(arrived.by_day_reason) is defaultdict
    assert all(type(c) is Counter for c in arrived.by_day_reason.values())
    arrived.merge(summary)  # counters that add up, and a day not seen yet gets its own counter
    arrived.by_day_reason["2001-01-01"]["x"] += 1
    assert arrived.records == 2 * summary.records and arrived.by_day_reason["2001-01-01"] == {"x": 1}


def test_known_digests_are_skipped(inputs):
    _, _, first = _run(inputs, 1)
    known = frozenset(m.digest for r in first for m in r.messages)
    rows, _, again = _run(inputs, 2, WorkContext(known=known))
    assert rows == [] and sum(r.skipped for r in again) == 60


def test_unreadable_input_is_a_problem_record(tmp_path):
    (tmp_path / "junk.zip").write_bytes(b"garbage")
    (tmp_path / "empty.eml").write_bytes(b"")
    (tmp_path / "text.txt").write_bytes(b"\x00\x01 just bytes, no headers")
    rows, problems, _ = _run([str(tmp_path), str(tmp_path / "missing.mbox")], 1)
    assert rows == []
    assert all(isinstance(p, Problem) for p in problems)
    assert {os.path.basename(p.source) for p in problems} == {"junk.zip", "empty.eml", "text.txt", "missing.mbox"}


def test_dask_local_cluster_equals_local(inputs):
    distributed = pytest.importorskip("distributed")
    from ndr.batch.dask_engine import DaskEngine

    local, _, _ = _run(inputs, 1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        results = list(DaskEngine(WorkContext(), cluster.scheduler_address).run(plan(inputs, DEFAULT_LIMITS)))
    rows = [row for r in results for m in r.messages for row in m.records]
    assert json.dumps(rows) == json.dumps(local)


def test_units_shrink_near_the_end_so_workers_finish_together(tmp_path):
    assert units.unit_size(100 * units.UNIT_BYTES) == (units.UNIT_BYTES, units.UNIT_MESSAGES)
    assert units.unit_size(units.UNIT_BYTES) == (units.UNIT_BYTES // units.TAIL_SHARE, units.UNIT_MESSAGES)
    assert units.unit_size(1000) == (units.MIN_UNIT_BYTES, units.UNIT_MESSAGES)
    box = tmp_path / "big.mbox"
    box.write_bytes(mbox(mixed(60)) * 600)  # 36,000 small messages, about 31 MB
    planned = list(plan([str(box)], DEFAULT_LIMITS))
    counts = [len(u.spans) for u in planned]
    assert counts[0] == units.UNIT_MESSAGES and sum(counts) == 36_000
    assert max(u.nbytes for u in planned) <= units.UNIT_BYTES
    assert units.MIN_UNIT_BYTES <= planned[-2].nbytes <= units.MIN_UNIT_BYTES + 2000 < planned[0].nbytes / 1.2


def test_findings_groups_travel_with_their_samples_unread(inputs):
    """A worker's groups go to the parent pickled, their samples in one pickle read only for a
    finding: the findings are those of the groups that never left the process."""
    import pickle

    builder = FindingsBuilder(Thresholds(min_count=1))
    for unit in plan(inputs, DEFAULT_LIMITS):
        result = work.process_unit(unit, WorkContext())
        builder.add_messages(result.messages)
    assert builder.groups
    travelled = pickle.loads(pickle.dumps(builder, pickle.HIGHEST_PROTOCOL))
    holders = {id(group.sample[0]) for group in travelled.groups.values()}
    assert len(holders) == 1 and next(iter(travelled.groups.values())).sample[0].rows is None
    merged = FindingsBuilder(Thresholds(min_count=1))
    merged.merge(travelled)
    assert merged.findings() == builder.findings()
    again = pickle.loads(pickle.dumps(travelled, pickle.HIGHEST_PROTOCOL))  # read samples, pickled again
    assert again.findings() == builder.findings()
