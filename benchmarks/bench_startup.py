#!/usr/bin/env python3
"""One-bounce latency of whole ``ndr`` processes, beside a stdlib one-file floor in the same run.

    python benchmarks/bench_startup.py [--rounds 20] [--file examples/postfix-user-unknown.eml]
                                       [--ndr 'python -m ndr'] [--vs CMD]

``--vs`` times another ndr's parse in the same rounds, e.g. an older checkout:
``--vs 'env PYTHONSAFEPATH=1 PYTHONPATH=/path/to/old .venv/bin/python -m ndr'`` (PYTHONSAFEPATH
keeps the current folder's ndr from being imported instead).

What a mailbox rule pays for every bounce: a new process that reads one message and prints its
records. Timed, as whole processes:

- floor: ``python -c`` parsing the same file with the standard library (``email`` parse, walk
  every part, decode each payload) — the least a Python bounce reader can do;
- ``ndr parse FILE``;
- ``ndr parse --spool DIR --exec true FILE`` (plus ``true`` alone, to take the command's own
  time out: the goal is 0.08 s plus the command);
- ``ndr explain 4.4.316``.

The commands take turns within each round (floor, parse, spool, explain, true, floor, …), so load
from other processes falls on all alike. Prints the median wall and CPU seconds of each and the
median of the per-round ratios to the floor (goal: parse ≤ 2× the floor). A script, not a test:
read the figures, do not assert on them. The compiled catalog is in its disk cache after the
warm-up rounds, as it is for every bounce after the first one.
"""
from __future__ import annotations

import argparse
import compileall
import os
import shlex
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from wholeprocess import FLOOR, process_times  # noqa: E402  (beside this script)

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--file", type=Path, default=ROOT / "examples" / "postfix-user-unknown.eml")
    parser.add_argument("--ndr", default=f"{shlex.quote(sys.executable)} -m ndr",
                        help="how to start ndr (default: this Python's -m ndr)")
    parser.add_argument("--vs", metavar="CMD",
                        help="another ndr to time in the same rounds (e.g. an older checkout: "
                             "'env PYTHONSAFEPATH=1 PYTHONPATH=/path/to/old python -m ndr'), its parse beside this one's")
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    ndr = shlex.split(args.ndr)
    compileall.compile_dir(ROOT / "ndr", quiet=1)
    message = str(args.file)
    with tempfile.TemporaryDirectory(prefix="ndr-bench-") as spool:
        commands = {
            "floor (stdlib)": [sys.executable, "-c", FLOOR, message],
            "ndr parse": [*ndr, "parse", message],
            "parse --spool --exec true": [*ndr, "parse", "--spool", spool, "--exec", "true", message],
            "ndr explain": [*ndr, "explain", "4.4.316"],
            "true (CMD alone)": ["true"],
        }
        if args.vs:
            commands["--vs parse"] = [*shlex.split(args.vs), "parse", message]
        for _ in range(args.warmup):
            for command in commands.values():
                process_times(command)
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                figures[name].append(process_times(command))
    floor = figures["floor (stdlib)"]
    print(f"{args.rounds} rounds, commands in turn; {message} ({os.path.getsize(message)} bytes); "
          f"medians; ratio = median of the per-round ratios to the floor")
    print(f"{'':28s} {'wall s':>8s} {'cpu s':>8s} {'wall/floor':>11s} {'cpu/floor':>10s}")
    for name, rows in figures.items():
        wall = statistics.median(w for w, _ in rows)
        cpu = statistics.median(c for _, c in rows)
        wall_ratio = statistics.median(w / max(f, 1e-9) for (w, _), (f, _) in zip(rows, floor))
        cpu_ratio = statistics.median(c / max(f, 1e-9) for (_, c), (_, f) in zip(rows, floor))
        print(f"{name:28s} {wall:8.3f} {cpu:8.3f} {wall_ratio:10.2f}x {cpu_ratio:9.2f}x")
    spool_extra = statistics.median(s - t for (s, _), (t, _) in
                                     zip(figures["parse --spool --exec true"], figures["true (CMD alone)"]))
    print(f"--spool --exec: {spool_extra:.3f} s wall beyond CMD's own (goal <= 0.08 s); "
          f"goal for parse: <= 2x the floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
