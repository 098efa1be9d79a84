"""Issue 13: ``kill -9`` of ``ndr analyze --jobs 2`` leaves no worker behind. Failed before its fix
(the workers waited on the pool's queue forever)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT

BOUNCE = (EXAMPLES / "postfix-user-unknown.eml").read_bytes()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_kill_9_of_analyze_leaves_no_workers(tmp_path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    # enough input (12 MB) that analyze starts both workers (a small input runs in one process)
    padded = BOUNCE + b"\n" + b"x" * 76 * 50 + b"\n"
    for number in range(3000):
        (folder / f"{number:05d}.eml").write_bytes(padded)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "ndr", "analyze", "-q", "--jobs", "2", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
        workers |= _children(process.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the pool did not start"
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:  # do not leave them to the rest of the run
        os.kill(pid, signal.SIGKILL)
    assert not left
