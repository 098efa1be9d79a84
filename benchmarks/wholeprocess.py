"""What the whole-process benchmarks share: the stdlib floor, the environment a user's shell gives,
and the timing of one process (``bench_startup.py``, ``bench_parse.py --whole``)."""
from __future__ import annotations

import os
import resource
import subprocess
import time

FLOOR = ("import email,sys\n"
         "for name in sys.argv[1:]:\n"
         "    with open(name,'rb') as f: m=email.message_from_bytes(f.read())\n"
         "    for p in m.walk(): p.get_payload(decode=True)\n")
"""The stdlib floor, for ``python -c FLOOR FILE...``: each file read, parsed by ``email``, every
part walked and its payload decoded — the least a Python bounce reader can do."""

# As a user's shell starts them: Python's default output buffering (a harness may set
# PYTHONUNBUFFERED), and bytecode compiled as a wheel install leaves it (a harness may set
# PYTHONDONTWRITEBYTECODE, which would make every run compile ndr's modules again).
USER_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE")}


def process_times(command: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one whole process, its output thrown away."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=False, env=USER_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
