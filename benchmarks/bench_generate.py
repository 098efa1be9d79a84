"""Benchmark: reports per second generated and written atomically into a folder.

    .venv/bin/python benchmarks/bench_generate.py [--count N] [--out DIR] [--fsync end|each]
                                                  [--jobs N] [--runs R]

Target: at least 2,000 reports per second. Each report has two recipients (a refused smart host
and a greylisting 4.2.0), a returned original, and goes through decide → generate → FolderSink
(temporary file, made durable, renamed; ``--fsync end`` commits in groups, ``each`` fsyncs every
file). Generation goes through ``ndr.writing.pool.generate_all`` like ``ndr generate``;
``--jobs N`` uses N worker processes. With
``--runs R`` the whole run is repeated R times and the median is printed, because a shared
machine is noisy. Prints the figures; it is a script, not a test.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ndr.catalog import load_catalog  # noqa: E402
from ndr.writing.decide import decide  # noqa: E402
from ndr.writing.deliver import FSYNC_MODES, FolderSink  # noqa: E402
from ndr.generate import ReportOptions, generate_reports  # noqa: E402
from ndr.writing.pool import generate_all  # noqa: E402
from ndr.writing.queue import Attempt, LocalError, Original, QueuedMessage, QueueRecipient  # noqa: E402

T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=6)
LIFETIME = timedelta(days=5)
ORIGINAL = (b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: Quarterly numbers\r\n"
            b"Message-ID: <q@example.com>\r\nDate: Wed, 01 May 2024 08:00:00 +0000\r\n\r\n" + b"Numbers.\r\n" * 200)
OPTIONS = ReportOptions(reporting_mta="mx.example.com")


def messages(count: int) -> list[QueuedMessage]:
    return [QueuedMessage(f"Q{i:07d}", "alice@example.com", T0, (
        QueueRecipient("bob@example.net", attempts=(Attempt(T0, "smarthost.example.net", error=LocalError.REFUSED),)),
        QueueRecipient(f"user{i}@example.org", attempts=(Attempt(T0, "mx.example.org",
                       reply="450 4.2.0 <user@example.org>: Recipient address rejected: Greylisted"),)),
    ), original=Original(inline=ORIGINAL)) for i in range(count)]


def _generate(message: QueuedMessage) -> list:  # type: ignore[type-arg]
    return generate_reports(decide(message, now=NOW, lifetime=LIFETIME), now=NOW, original=ORIGINAL,
                            options=OPTIONS, catalog=load_catalog())


def one_run(queue: list[QueuedMessage], out: Path, fsync: str, jobs: int) -> tuple[int, float, float, float, float]:
    """(reports, seconds in all, seconds generating, seconds writing, CPU seconds of this process)
    for one pass over ``queue``, through the same ``generate_all`` as ``ndr generate``."""
    sink = FolderSink(out, fsync=fsync)
    rendered = stored = 0.0
    written = 0
    started = time.perf_counter()
    cpu = time.process_time()
    decisions = [decide(message, now=NOW, lifetime=LIFETIME) for message in queue]
    t = time.perf_counter()
    for _, outcome in generate_all(decisions, now=NOW, options=OPTIONS, catalog=load_catalog(), jobs=jobs):
        t2 = time.perf_counter()
        rendered += t2 - t
        assert isinstance(outcome, list), outcome
        for report in outcome:
            sink.put(report)
            written += 1
        t = time.perf_counter()
        stored += t - t2
    t = time.perf_counter()
    sink.close()
    stored += time.perf_counter() - t
    return written, time.perf_counter() - started, rendered, stored, time.process_time() - cpu


def file_system_alone(out: Path, count: int, size: int) -> float:
    """Files per second for creating, writing and renaming ``count`` files of ``size`` bytes, with
    no report generation: the ceiling the folder's file system sets for any writer."""
    data = b"x" * size
    started = time.perf_counter()
    for i in range(count):
        temporary = out / f".bare-{i}.tmp"
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(handle, data)
        os.close(handle)
        os.replace(temporary, out / f"bare-{i}.eml")
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--out", help="folder to write into (default: a temporary folder)")
    parser.add_argument("--fsync", choices=FSYNC_MODES, default="end")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    queue = messages(args.count)
    _generate(queue[0])  # warm caches: catalog, templates
    results = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(dir=args.out) as scratch:
            results.append(one_run(queue, Path(scratch), args.fsync, args.jobs))
            size = sum(f.stat().st_size for f in Path(scratch).iterdir()) / max(1, results[-1][0])
    written = results[0][0]
    rates = [n / elapsed for n, elapsed, *_ in results]
    per_generate = statistics.median(r[2] / r[0] for r in results) * 1e6
    per_write = statistics.median(r[3] / r[0] for r in results) * 1e6
    per_cpu = statistics.median(r[4] / r[0] for r in results) * 1e6
    print(f"reports:            {written} x {args.runs} run(s); --fsync {args.fsync}, --jobs {args.jobs}")
    print(f"reports per second: {statistics.median(rates):,.0f} median "
          f"(min {min(rates):,.0f}, max {max(rates):,.0f}; target >= 2,000)")
    print(f"per report:         {per_generate:,.0f} us generating{' (waiting for workers)' if args.jobs > 1 else ''}, "
          f"{per_write:,.0f} us writing (wall clock); {per_cpu:,.0f} us CPU in this process")
    with tempfile.TemporaryDirectory(dir=args.out) as scratch:
        ceiling = file_system_alone(Path(scratch), written, int(size))
    print(f"average size:       {size:,.0f} bytes")
    print(f"file system alone:  {ceiling:,.0f} files per second (create, write, rename; no generation, no sync)")


if __name__ == "__main__":
    main()
