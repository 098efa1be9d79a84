"""``--exec``: hand one record to a command, bounded in time, at most once per ``record_id``.

The command gets the JSON record on stdin and its ``record_id`` in ``NDR_RECORD_ID`` as well (the
same bounce seen twice has the same id, so a ticketing system can drop repeats). It runs in a
session of its own: on timeout the whole process group is killed, not only the first process.
Its stderr goes to a temporary file, not a pipe, so a child that keeps stderr open after the
command exited 0 cannot turn a success into a timeout.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shlex
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import subprocess


def exec_command(text: str) -> list[str]:
    """The ``--exec`` value split like a shell would (no shell runs it); a usage error when it is
    empty or its quotes do not close."""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"cannot split {text!r}: {exc}") from None
    if not argv:
        raise argparse.ArgumentTypeError("the command is empty")
    return argv


def seconds(text: str) -> float:
    """A positive, finite number of seconds (``-1``, ``0``, ``nan`` and ``inf`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def hand_off(argv: list[str], row: dict[str, Any], timeout: float) -> str | None:
    """Run ``argv`` with ``row`` on its stdin; None when it exited 0, else why it failed."""
    # one JSON line, newline-terminated, so that `tee -a FILE` or `cat >> FILE` builds JSON Lines
    import subprocess  # only --exec starts processes: not imported when ndr parse starts
    import tempfile

    data = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
    env = dict(os.environ, NDR_RECORD_ID=str(row.get("record_id") or ""))
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                       stderr=errors, env=env, start_new_session=True)
        except OSError as exc:
            return f"--exec {argv[0]!r} failed: {exc.strerror or exc}"
        try:
            process.communicate(data, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            return f"--exec {argv[0]!r} took longer than {timeout:g} s; its process group was killed"
        if process.returncode == 0:
            return None
        errors.seek(0)
        tail = errors.read()[-4096:].decode("utf-8", "replace").strip().splitlines()[-1:]
        said = f": {tail[0]}" if tail else f" ({argv[0]} wrote nothing on stderr)"
        return f"--exec exited {process.returncode}{said}"


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    import signal

    try:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the group is the command's
    except OSError:
        process.kill()
    process.wait()
