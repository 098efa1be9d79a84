"""Benchmark: reports per second generated and written atomically into a folder.

    .venv/bin/python benchmarks/bench_generate.py [--count N] [--out DIR] [--no-fsync]

Target: at least 2,000 reports per second. Each report has two recipients (a refused smart host
and a 5.1.1), a returned original, and goes through decide → generate → FolderSink (temporary
file, fsync, rename). Prints the figures; it is a script, not a test.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ndr.catalog import load_catalog  # noqa: E402
from ndr.decide import decide  # noqa: E402
from ndr.deliver import FolderSink, write_atomic  # noqa: E402
from ndr.generate import ReportOptions, generate_reports  # noqa: E402
from ndr.queue import Attempt, LocalError, QueuedMessage, QueueRecipient  # noqa: E402

T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
ORIGINAL = (b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: Quarterly numbers\r\n"
            b"Message-ID: <q@example.com>\r\nDate: Wed, 01 May 2024 08:00:00 +0000\r\n\r\n" + b"Numbers.\r\n" * 200)


def messages(count: int) -> list[QueuedMessage]:
    return [QueuedMessage(f"Q{i:07d}", "alice@example.com", T0, (
        QueueRecipient("bob@example.net", attempts=(Attempt(T0, "smarthost.example.net", error=LocalError.REFUSED),)),
        QueueRecipient(f"user{i}@example.org", attempts=(Attempt(T0, "mx.example.org",
                       reply="450 4.2.0 <user@example.org>: Recipient address rejected: Greylisted"),)),
    )) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--out", help="folder to write into (default: a temporary folder)")
    parser.add_argument("--no-fsync", action="store_true", help="plain writes (shows the cost of fsync)")
    args = parser.parse_args()
    catalog = load_catalog()
    options = ReportOptions(reporting_mta="mx.example.com")
    now = T0 + timedelta(days=6)
    queue = messages(args.count)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(args.out or scratch)
        sink = FolderSink(out)
        generate_reports(decide(queue[0], now=now, lifetime=timedelta(days=5)), now=now,
                         original=ORIGINAL, options=options, catalog=catalog)  # warm caches
        started = time.perf_counter()
        rendered = 0.0
        written = 0
        for message in queue:
            t = time.perf_counter()
            reports = generate_reports(decide(message, now=now, lifetime=timedelta(days=5)), now=now,
                                       original=ORIGINAL, options=options, catalog=catalog)
            rendered += time.perf_counter() - t
            for report in reports:
                if args.no_fsync:
                    (out / f"{report.queue_id}.eml").write_bytes(report.data)
                else:
                    sink.put(report)
                written += 1
        sink.close()
        elapsed = time.perf_counter() - started
        size = sum(f.stat().st_size for f in out.iterdir()) / max(1, written)
    print(f"reports:            {written}")
    print(f"elapsed:            {elapsed:.2f} s")
    print(f"reports per second: {written / elapsed:,.0f} (target >= 2,000)")
    print(f"generate only:      {written / rendered:,.0f} per second")
    print(f"average size:       {size:,.0f} bytes; writes: {'plain' if args.no_fsync else 'atomic + fsync'}")


if __name__ == "__main__":
    main()
