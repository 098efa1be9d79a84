"""Benchmark of ``ndr analyze`` (a script, not a test). Prints, against the targets of issues 5
and 14:

1. one worker against ``ndr parse`` on the same messages (target: within 10%);
2. ``--jobs 2`` against ``--jobs 1`` on ~10,000 messages (target: >= 1.8x faster) and on ~500
   (target: not slower), runs taking turns; with the CPU split of each run: the main process's
   own CPU (start-up, planning, merging the workers' shares) against the workers', and the total
   CPU of two jobs against one (what parallelism costs). The machine is shared, so the CPU
   figures also give what two idle cores would show: one job's CPU over (main + workers / 2);
3. peak memory (the whole process tree) while analysing a large mbox (target: < 300 MB for 1 GB);
4. a re-run with ``--db`` on the unchanged mbox against the first run (target: >= 10x faster).

Messages come from ../shared/corpus/sisimai/eml, each copy made unique by an added header (so the
ledger does not dedup copies). Usage:

    .venv/bin/python benchmarks/bench_batch.py [--messages 20000] [--large-mb 1024] [--keep DIR]
    .venv/bin/python benchmarks/bench_batch.py --skip parse,memory,db --runs 5   # the jobs part

Use ``--large-mb 100`` for a quick run. Linux only (memory is read from /proc).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "sisimai" / "eml"
NDR = [sys.executable, "-m", "ndr"]


def corpus_messages() -> list[bytes]:
    files = sorted(CORPUS.glob("*.eml"))
    if not files:
        sys.exit(f"corpus not found at {CORPUS}")
    return [f.read_bytes().replace(b"\r\n", b"\n") for f in files]


def build_mbox(path: Path, messages: list[bytes], count: int | None = None, size: int | None = None) -> int:
    """Write an mbox of ``count`` messages (or of at least ``size`` bytes); returns the count."""
    written = total = 0
    with open(path, "wb") as out:
        while (count is not None and written < count) or (size is not None and total < size):
            data = messages[written % len(messages)]
            body = b"\n".join(b">" + line if line.startswith(b"From ") else line for line in data.split(b"\n"))
            chunk = (b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024\nX-Bench-Copy: %d\n" % written
                     + body.rstrip(b"\n") + b"\n\n")
            out.write(chunk)
            written += 1
            total += len(chunk)
    return written


def best(args: list[str], runs: int) -> tuple[float, float]:
    """Best wall time and best CPU time (the process and its workers) over ``runs`` runs: the
    machine is shared, so the fastest run is the one least disturbed by others."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        walls.append(timed(args)[0])
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(walls), min(cpus)


def timed(args: list[str], sample_memory: bool = False) -> tuple[float, int]:
    """Wall time of a command, and the peak RSS (bytes) of its process tree when asked."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = [0]
    if sample_memory:
        thread = threading.Thread(target=_sample, args=(process, peak), daemon=True)
        thread.start()
    _, err = process.communicate()
    elapsed = time.perf_counter() - start
    if process.returncode not in (0, 3):
        sys.exit(f"{' '.join(args)} failed ({process.returncode}): {err.decode()[-500:]}")
    return elapsed, peak[0]


def _sample(process: subprocess.Popen[bytes], peak: list[int]) -> None:
    while process.poll() is None:
        peak[0] = max(peak[0], _tree_rss(process.pid))
        time.sleep(0.1)


def _tree_rss(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


_PROBE = """
import resource, sys
from ndr.cli import main
code = main(sys.argv[1:])
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print("cpu-split", own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime, file=sys.stderr)
sys.exit(code)
"""
"""``python -m ndr`` that also prints its own CPU and its workers' (children are waited for)."""


def split_run(args: list[str]) -> tuple[float, float, float]:
    """Wall time, the main process's CPU and its workers' CPU, of one ``ndr`` run."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    process = subprocess.run([sys.executable, "-c", _PROBE, *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env, check=False)
    elapsed = time.perf_counter() - start
    lines = [line for line in process.stderr.decode().splitlines() if line.startswith("cpu-split ")]
    if process.returncode not in (0, 3) or not lines:
        sys.exit(f"{' '.join(args)} failed ({process.returncode}): {process.stderr.decode()[-500:]}")
    _, own, kids = lines[-1].split()
    return elapsed, float(own), float(kids)


def jobs_part(mbox: Path, runs: int, target: float) -> None:
    """``--jobs 1`` and ``--jobs 2`` on one mbox, in turn; the best wall of each and the median
    CPU split."""
    command = ["analyze", str(mbox), "-q", "--records", os.devnull]
    figures: dict[int, list[tuple[float, float, float]]] = {1: [], 2: []}
    for _ in range(runs):
        for jobs in (1, 2):
            figures[jobs].append(split_run(command + ["--jobs", str(jobs)]))
    wall = {jobs: min(f[0] for f in runs_) for jobs, runs_ in figures.items()}
    own = {jobs: statistics.median(f[1] for f in runs_) for jobs, runs_ in figures.items()}
    kids = {jobs: statistics.median(f[2] for f in runs_) for jobs, runs_ in figures.items()}
    name = f"{count_messages(mbox):,} messages"
    report(f"{name}: --jobs 2 vs --jobs 1, best wall (s)",
           f"{wall[2]:.2f} vs {wall[1]:.2f} ({wall[1] / wall[2]:.2f}x)", f">= {target}x",
           wall[1] / wall[2] >= target)
    cpu1, cpu2 = own[1] + kids[1], own[2] + kids[2]
    print(f"    CPU (s, medians): --jobs 1 {cpu1:.2f} (main {own[1]:.2f}, workers {kids[1]:.2f}); "
          f"--jobs 2 {cpu2:.2f} (main {own[2]:.2f}, workers {kids[2]:.2f}); 2 jobs / 1 job CPU "
          f"{cpu2 / cpu1:.2f}; on two idle cores about {cpu1 / (own[2] + kids[2] / 2):.2f}x", flush=True)


def count_messages(mbox: Path) -> int:
    with open(mbox, "rb") as handle:
        return sum(1 for line in handle if line.startswith(b"From MAILER-DAEMON "))


def report(label: str, value: str, target: str, ok: bool) -> None:
    print(f"{label:<58} {value:>22}   target {target:<12} {'MET' if ok else 'NOT MET'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--large-mb", type=int, default=1024)
    parser.add_argument("--jobs-messages", type=int, default=10000,
                        help="messages of the large mbox of the jobs part (its small one has 500)")
    parser.add_argument("--runs", type=int, default=2, help="runs per timing; the best counts")
    parser.add_argument("--keep", metavar="DIR", help="build inputs here and keep them")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: parse,jobs,memory,db")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    messages = corpus_messages()
    work = Path(args.keep or tempfile.mkdtemp(prefix="ndr-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    mbox = work / "bench.mbox"
    if not mbox.exists() and not {"parse", "db"} <= skip:
        build_mbox(mbox, messages, count=args.messages)
        print(f"# {args.messages} messages, {mbox.stat().st_size / 1e6:.0f} MB", flush=True)
    print(f"# {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (shared machine)", flush=True)
    analyze = NDR + ["analyze", str(mbox), "-q", "--records", os.devnull]

    runs = args.runs
    if "parse" not in skip:
        one, one_cpu = best(analyze + ["--jobs", "1"], runs)
        parse, parse_cpu = best(NDR + ["parse", "--format", "jsonl", str(mbox)], runs)
        report("1 worker vs ndr parse, wall (s)", f"{one:.1f} vs {parse:.1f} ({one / parse - 1:+.0%})",
               "<= +10%", one <= parse * 1.10)
        report("1 worker vs ndr parse, CPU (s)",
               f"{one_cpu:.1f} vs {parse_cpu:.1f} ({one_cpu / parse_cpu - 1:+.0%})", "<= +10%",
               one_cpu <= parse_cpu * 1.10)
    if "jobs" not in skip:
        for count, target in ((args.jobs_messages, 1.8), (500, 1.0)):
            box = work / f"jobs-{count}.mbox"
            if not box.exists():
                build_mbox(box, messages, count=count)
            jobs_part(box, runs, target)
    if "db" not in skip:
        db = work / "bench.db"
        db.unlink(missing_ok=True)
        first, _ = timed(analyze + ["--db", str(db)])
        again, _ = best(analyze + ["--db", str(db)], runs)
        report("re-run with --db vs first run, wall (s)",
               f"{again:.1f} vs {first:.1f} ({first / again:.1f}x)", ">= 10x", first / again >= 10)
    if "memory" not in skip:
        large = work / f"large-{args.large_mb}mb.mbox"
        if not large.exists():
            build_mbox(large, messages, size=args.large_mb * 1024 * 1024)
        elapsed, peak = timed(NDR + ["analyze", str(large), "-q", "--records", os.devnull,
                                     "--summary", str(work / "large.json")], sample_memory=True)
        report(f"peak RSS, {args.large_mb} MB mbox, all processes (MB)",
               f"{peak / 1e6:.0f} ({elapsed:.0f} s)", "< 300 MB", peak < 300e6)
    if not args.keep:
        for path in work.iterdir():
            path.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
