#!/usr/bin/env python3
"""Hostile inputs parse in bounded time: prints seconds per case (goal ≤ 0.5 s per 10 MB).

    python benchmarks/bench_hostile.py [--mb 10]

Cases: a single 10 MB line; 100,000 address-like fragments; deep MIME nesting; a million
headers; a bounce whose diagnostic is one huge line; nested quantifier bait for regexes. Each case
is also wrapped as a bounce (From MAILER-DAEMON, bounce subject) so that every decoder, the
fallback included, gets to look at it. A script, not a test: read the figures.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ndr  # noqa: E402

BOUNCE_HEAD = (b"From: MAILER-DAEMON@mx.example.org\nTo: a@example.org\n"
               b"Subject: Undelivered Mail Returned to Sender\n")


def cases(mb: int) -> dict[str, bytes]:
    size = mb * 1024 * 1024
    line = b"x" * size
    addresses = b" ".join(b"<user%d@host%d.example>:" % (i, i) for i in range(100_000))
    nested = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(2000))
    headers = b"".join(b"X-H%d: v\n" % i for i in range(1_000_000))
    diag = (b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\n'
            b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; a\n\n"
            b"Final-Recipient: rfc822; u@example.net\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 "
            + b"a" * size + b"\n--B--\n")
    bait = (b"550 5.1.1 " + b"user unknown " * 10 + b"@" * (size // 2) + b"<" * (size // 4) + b"\n")
    return {
        f"{mb} MB single line": b"Subject: x\n\n" + line,
        f"{mb} MB single line, as a bounce": BOUNCE_HEAD + b"\n" + line,
        "100,000 address fragments, as a bounce": BOUNCE_HEAD + b"\n" + addresses,
        "2,000 nested multiparts": BOUNCE_HEAD + nested,
        "1,000,000 headers": headers + b"\nbody\n",
        f"{mb} MB diagnostic line in a DSN": BOUNCE_HEAD + diag,
        "quantifier bait, as a bounce": BOUNCE_HEAD + b"\n" + bait,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=10)
    args = parser.parse_args()
    ndr.load_catalog()
    ndr.parse(BOUNCE_HEAD + b"\n<a@example.net>: 550 5.1.1 user unknown\n")  # compile lazy layouts
    worst = 0.0
    for name, data in cases(args.mb).items():
        start = time.perf_counter()
        report = ndr.parse(data)
        took = time.perf_counter() - start
        per_10mb = took / max(len(data) / (10 * 1024 * 1024), 1.0)
        worst = max(worst, per_10mb)
        print(f"{name:45s} {len(data) / 1e6:7.1f} MB  {took:6.3f} s  ({per_10mb:.3f} s per 10 MB)  "
              f"{len(report.recipients)} recipients, {len(report.defects)} defects")
    print(f"worst: {worst:.3f} s per 10 MB (goal <= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
