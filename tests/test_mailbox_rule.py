"""The mailbox-rule mode: a bounce handed to ``ndr parse`` on stdin is never lost.

Fault injection as an MTA would see it: a failing --exec command, a full disk (a small file-size
limit), kill -9 in the middle of the work. In each case the message is in the spool, or ndr
exited 75 so the MTA keeps it and retries.
"""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import EXAMPLES, ROOT, run_ndr

BOUNCE = (EXAMPLES / "postfix-user-unknown.eml").read_bytes()


def spooled(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((folder / "new").glob("*"))]


def test_success_leaves_the_spool_empty(tmp_path: Path) -> None:
    out = tmp_path / "records"
    result = run_ndr("parse", "--spool", str(tmp_path / "spool"), "--exec",
                     f"{sys.executable} -c \"import sys; open({str(out)!r}, 'ab').write(sys.stdin.buffer.read())\"",
                     stdin=BOUNCE)
    assert result.returncode == 0, result.stderr
    assert b'"reason": "userunknown"' in out.read_bytes()
    assert spooled(tmp_path / "spool") == []
    assert not list((tmp_path / "spool" / "tmp").iterdir())


def test_keep_all_keeps_every_input(tmp_path: Path) -> None:
    result = run_ndr("parse", "--spool", str(tmp_path / "spool"), "--keep-all", stdin=BOUNCE)
    assert result.returncode == 0
    assert spooled(tmp_path / "spool") == [BOUNCE]


def test_failing_exec_exits_75_and_keeps_the_message(tmp_path: Path) -> None:
    result = run_ndr("parse", "--spool", str(tmp_path / "spool"), "--exec", "false", stdin=BOUNCE)
    assert result.returncode == 75
    assert b"--exec exited 1" in result.stderr
    assert spooled(tmp_path / "spool") == [BOUNCE]
    missing = run_ndr("parse", "--exec", "/nonexistent/ticket-cli", stdin=BOUNCE)
    assert missing.returncode == 75 and b"Traceback" not in missing.stderr


def test_unreadable_input_is_kept(tmp_path: Path) -> None:
    result = run_ndr("parse", "--spool", str(tmp_path / "spool"), stdin=b"\x00\x01 not mail")
    assert result.returncode == 65
    assert spooled(tmp_path / "spool") == [b"\x00\x01 not mail"]


def test_full_disk_exits_75(tmp_path: Path) -> None:
    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "ndr", "parse", "--spool", str(tmp_path / "spool")],
                            input=BOUNCE, capture_output=True, env=env, preexec_fn=small_files, timeout=60)
    assert result.returncode == 75
    assert b"cannot write to spool" in result.stderr and b"Traceback" not in result.stderr


def test_kill_9_in_the_middle_loses_nothing(tmp_path: Path) -> None:
    started = tmp_path / "started"
    slow = f"{sys.executable} -c \"import time; open({str(started)!r}, 'w').close(); time.sleep(60)\""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "ndr", "parse", "--spool", str(tmp_path / "spool"),
                                "--exec", slow], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    process.stdin.write(BOUNCE)  # type: ignore[union-attr]
    process.stdin.close()  # type: ignore[union-attr]
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL  # an MTA treats this as a temporary failure
    assert spooled(tmp_path / "spool") == [BOUNCE]


def test_spool_can_be_reprocessed(tmp_path: Path) -> None:
    run_ndr("parse", "--spool", str(tmp_path / "spool"), "--keep-all", stdin=BOUNCE)
    result = run_ndr("parse", str(tmp_path / "spool"))
    assert result.returncode == 0 and b"bob@example.net" in result.stdout


def test_broken_catalog_makes_the_mta_retry(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("reasons: [\n")
    result = run_ndr("parse", "--catalog", str(broken), stdin=BOUNCE)
    assert result.returncode == 75 and b"invalid YAML" in result.stderr
