#!/usr/bin/env python3
"""Parse speed and memory on the corpus, beside a stdlib baseline measured in the same run.

    python benchmarks/bench_parse.py [--rounds 5] [--corpus ../shared/corpus/sisimai]

Baseline: ``email.message_from_bytes`` plus walking every part (and decoding each leaf payload),
on the same bytes. ndr: ``ndr.parse`` with the catalog already compiled (it is compiled once per
process). Prints messages per second for both, the ratio (target: ndr ≤ 1.5× the baseline's
time), and peak memory of the ndr rounds (tracemalloc). A script, not a test: these machines are
shared and noisy, so read the figures, do not assert on them.
"""
from __future__ import annotations

import argparse
import email
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ndr  # noqa: E402
from ndr.parse import parse_bytes  # noqa: E402


def baseline(messages: list[bytes]) -> None:
    for data in messages:
        message = email.message_from_bytes(data)
        for part in message.walk():
            part.get_payload(decode=True)


def with_ndr(messages: list[bytes]) -> None:
    catalog = ndr.load_catalog()
    policy = ndr.DEFAULT
    for data in messages:
        parse_bytes(data, catalog, policy)


def timed(function, messages: list[bytes], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        function(messages)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "sisimai")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    files = sorted(args.corpus.rglob("*.eml"))
    if not files:
        print(f"no .eml files under {args.corpus}", file=sys.stderr)
        return 2
    messages = [f.read_bytes() for f in files]
    size = sum(map(len, messages))
    ndr.load_catalog()  # compile once, outside the timed rounds (as in a long-running process)
    with_ndr(messages[:20])  # warm lazy imports
    base = timed(baseline, messages, args.rounds)
    ours = timed(with_ndr, messages, args.rounds)
    tracemalloc.start()
    with_ndr(messages)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    b, o = statistics.median(base), statistics.median(ours)
    n = len(messages)
    print(f"corpus: {n} messages, {size / 1e6:.1f} MB, {args.rounds} rounds (median)")
    print(f"stdlib baseline : {b:.3f} s  {n / b:8.0f} msg/s")
    print(f"ndr parse       : {o:.3f} s  {n / o:8.0f} msg/s  peak traced memory {peak / 1e6:.1f} MB")
    print(f"ratio ndr/stdlib: {o / b:.2f}x  (target <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
