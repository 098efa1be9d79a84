#!/usr/bin/env python3
"""Parse speed and memory on the corpus, beside a stdlib baseline measured in the same run.

    python benchmarks/bench_parse.py [--rounds 5] [--corpus ../shared/corpus/sisimai] [--stages]
    python benchmarks/bench_parse.py --whole [--copies 10] [--rounds 5] [--ndr 'python -m ndr'] [--vs CMD]

Baseline: ``email.message_from_bytes`` plus walking every part (and decoding each leaf payload),
on the same bytes. ndr: ``ndr.parse`` with the catalog already compiled (it is compiled once per
process). Prints messages per second for both, the ratio (target: ndr ≤ 1.5× the baseline's
time), and peak memory of the ndr rounds (tracemalloc). A script, not a test: these machines are
shared and noisy, so read the figures, do not assert on them. The two are timed in alternation
(a baseline round, then an ndr round), so load from other processes falls on both alike; the
median and the best round are printed.

``--stages`` adds where ndr's time goes, best round of each: MIME scanning, each decoder in
registry order (with the views of the message it is the first to ask for: text, folded text),
and classification with the record building.

``--whole`` times whole processes instead, as a user runs them: ``ndr parse --all --format jsonl``
over the corpus's files given ``--copies`` times (×10: 4,770 paths), output thrown away, beside
the stdlib floor over the same paths in one process (read each file, ``email`` parse, walk every
part, decode each payload), taking turns; prints median wall and CPU seconds and the median of
the per-round ratios (goal: ndr ≤ 1.3× the floor).
"""
from __future__ import annotations

import argparse
import compileall
import email
import gc
import shlex
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ndr  # noqa: E402
from wholeprocess import FLOOR, process_times  # noqa: E402  (beside this script)
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


def timed(functions, messages: list[bytes], rounds: int) -> list[list[float]]:
    """Seconds of each round of each function, the functions taking turns within a round."""
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(rounds):
        for function, spent in zip(functions, times):
            gc.collect()
            start = time.perf_counter()
            function(messages)
            spent.append(time.perf_counter() - start)
    return times


def stages(messages: list[bytes], rounds: int) -> dict[str, float]:
    """Best-round seconds of each stage of ``parse_bytes`` (the same steps, timed one by one)."""
    from ndr.reading import mime
    from ndr.reading.decoders import decoders
    from ndr.reading.decoders.base import Mail
    from ndr.parse import _result
    from ndr.reading.text import one_line

    catalog = ndr.load_catalog()
    policy = ndr.DEFAULT
    best: dict[str, float] = {}
    clock = time.perf_counter
    for _ in range(rounds):
        spent: dict[str, float] = {}
        gc.collect()
        for data in messages:
            start = clock()
            root = mime.parse(data, policy)
            spent["mime"] = spent.get("mime", 0.0) + clock() - start
            mail = Mail(root, catalog, policy)
            decoded = None
            for decoder in decoders():
                start = clock()
                try:
                    decoded = decoder.decode(mail)
                except Exception:  # counted as in parse_bytes: the next decoder gets its turn
                    decoded = None
                spent[decoder.name] = spent.get(decoder.name, 0.0) + clock() - start
                if decoded is not None and decoded.recipients:
                    break
                decoded = None
            start = clock()
            if decoded is not None:  # as parse_bytes does: the reporting MTA as one line, once
                reporting_line = one_line(decoded.reporting_mta)
                for raw in decoded.recipients:
                    _result(raw, decoded, catalog, policy, frozenset(), "", reporting_line)
            spent["classify+records"] = spent.get("classify+records", 0.0) + clock() - start
        for name, seconds in spent.items():
            best[name] = min(best.get(name, seconds), seconds)
    return best


def whole(files: list[Path], copies: int, rounds: int, ndr_command: str, vs: str | None = None) -> None:
    """Whole-process figures of ``ndr parse`` over the corpus × ``copies`` beside the stdlib floor."""
    paths = [str(f) for f in files] * copies
    compileall.compile_dir(ROOT / "ndr", quiet=1)
    commands = {"stdlib floor": [sys.executable, "-c", FLOOR, *paths],
                "ndr parse --all --format jsonl": [*shlex.split(ndr_command), "parse", "--all",
                                                   "--format", "jsonl", *paths]}
    if vs:  # another ndr (an older checkout) in the same rounds
        commands["--vs ndr parse"] = [*shlex.split(vs), "parse", "--all", "--format", "jsonl", *paths]
    for command in commands.values():  # warm-up: page cache, bytecode, the catalog's disk cache
        process_times(command)
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            figures[name].append(process_times(command))
    floor = figures["stdlib floor"]
    print(f"whole process: {len(paths)} paths ({len(files)} files x {copies}), {rounds} rounds in turn; medians")
    print(f"{'':32s} {'wall s':>8s} {'cpu s':>8s} {'msg/s (cpu)':>12s} {'wall/floor':>11s} {'cpu/floor':>10s}")
    for name, rows in figures.items():
        wall = statistics.median(w for w, _ in rows)
        cpu = statistics.median(c for _, c in rows)
        wall_ratio = statistics.median(w / f for (w, _), (f, _) in zip(rows, floor))
        cpu_ratio = statistics.median(c / f for (_, c), (_, f) in zip(rows, floor))
        print(f"{name:32s} {wall:8.3f} {cpu:8.3f} {len(paths) / cpu:12.0f} {wall_ratio:10.2f}x {cpu_ratio:9.2f}x")
    print("goal: ndr <= 1.3x the floor")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "sisimai")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stages", action="store_true", help="also time each stage of the parse")
    parser.add_argument("--whole", action="store_true", help="time whole processes (see above)")
    parser.add_argument("--copies", type=int, default=10, help="with --whole: each file given this many times")
    parser.add_argument("--ndr", default=f"{shlex.quote(sys.executable)} -m ndr",
                        help="with --whole: how to start ndr (default: this Python's -m ndr)")
    parser.add_argument("--vs", metavar="CMD",
                        help="with --whole: another ndr timed in the same rounds (an older checkout: "
                             "'env PYTHONSAFEPATH=1 PYTHONPATH=/path/to/old python -m ndr')")
    args = parser.parse_args()
    files = sorted(args.corpus.rglob("*.eml"))
    if not files:
        print(f"no .eml files under {args.corpus}", file=sys.stderr)
        return 2
    if args.whole:
        whole(files, args.copies, args.rounds, args.ndr, args.vs)
        return 0
    messages = [f.read_bytes() for f in files]
    size = sum(map(len, messages))
    ndr.load_catalog()  # compile once, outside the timed rounds (as in a long-running process)
    with_ndr(messages[:20])  # warm lazy imports
    base, ours = timed((baseline, with_ndr), messages, args.rounds)
    tracemalloc.start()
    with_ndr(messages)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    b, o = statistics.median(base), statistics.median(ours)
    n = len(messages)
    print(f"corpus: {n} messages, {size / 1e6:.1f} MB, {args.rounds} rounds (median; best)")
    print(f"stdlib baseline : {b:.3f} s  {n / b:8.0f} msg/s   best {min(base):.3f} s")
    print(f"ndr parse       : {o:.3f} s  {n / o:8.0f} msg/s   best {min(ours):.3f} s"
          f"  peak traced memory {peak / 1e6:.1f} MB")
    print(f"ratio ndr/stdlib: {o / b:.2f}x  best/best {min(ours) / min(base):.2f}x  (target <= 1.5x)")
    if args.stages:
        parts = stages(messages, args.rounds)
        total = sum(parts.values())
        print("stages (best round each):")
        for name, seconds in parts.items():
            print(f"  {name:18s} {seconds * 1000:7.1f} ms  {seconds / total:5.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
