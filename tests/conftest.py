"""Shared fixtures: the corpus location (skipped cleanly when ../shared is absent), line-ending
variants, and a helper to run the CLI in a subprocess."""
from __future__ import annotations

import atexit
import json
import re
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "sisimai"
EXAMPLES = ROOT / "examples"

# The compiled catalog's disk cache of test runs (and of the ndr processes they start) stays out
# of the user's own cache folder, and goes when the run ends.
if "NDR_CACHE_DIR" not in os.environ:
    os.environ["NDR_CACHE_DIR"] = tempfile.mkdtemp(prefix="ndr-test-cache-")
    atexit.register(shutil.rmtree, os.environ["NDR_CACHE_DIR"], True)


def corpus_rows() -> list[dict]:
    """truth.jsonl rows, or [] when the corpus is not beside the checkout."""
    truth = CORPUS / "truth.jsonl"
    if not truth.is_file():
        return []
    return [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def no_hang():
    """A test that once never returned (an endless read, a server that never stops talking) fails
    after 120 s instead of hanging the run."""
    def expire(signum, frame):
        raise TimeoutError("still running after 120 s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="session")
def corpus() -> list[dict]:
    rows = corpus_rows()
    if not rows:
        pytest.skip("../shared/corpus is not present")
    return rows


def with_eol(data: bytes, eol: str) -> bytes:
    """The same message with LF, CRLF or CR line ends."""
    data = data.replace(b"\r\n", b"\n")
    return data.replace(b"\n", {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r"}[eol])


def run_ndr(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
            timeout: float = 120, locale: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m ndr ARGS`` in a subprocess, as a user or an MTA pipe would; the locale
    variables are only those in ``locale`` (so a developer's own locale changes no output)."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(locale or {})
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "ndr", *args], input=stdin if stdin is not None else b"",
                          capture_output=True, cwd=cwd or ROOT, env=env, timeout=timeout)


_PSEUDO = re.compile(r"^[245]\.0\.9\d\d$")


def same_status(want: str | None, got: str | None) -> bool:
    """score.py's rule: Sisimai's pseudo codes (X.0.9NN) are compared on their class only."""
    if not want:
        return True
    if not got:
        return False
    return got[0] == want[0] if _PSEUDO.match(want) else got == want


def agreement(rows: list[dict], eol: str = "lf") -> tuple[float, float]:
    """(recipient %, status %) of the expected recipients of ``rows`` that ndr reproduces."""
    import ndr

    expected = found = status = 0
    for row in rows:
        report = ndr.parse(with_eol((CORPUS / row["file"]).read_bytes(), eol))
        got = {(r.recipient or "").lower(): r for r in report.recipients}
        for want in row["recipients"] or []:
            expected += 1
            hit = got.get(want["recipient"].lower())
            if hit is not None:
                found += 1
                status += same_status(want["status"], hit.status)
    if not expected:
        pytest.skip("no corpus rows to compare")
    return 100.0 * found / expected, 100.0 * status / expected


def recipient_fields(message: str | bytes, *names: str) -> list[tuple[object, ...]]:
    """Each recipient ``ndr.parse`` reads from ``message``, as the tuple of the named
    ``RecipientResult`` fields (in the report's order)."""
    import ndr

    report = ndr.parse(message.encode() if isinstance(message, str) else message)
    return [tuple(getattr(r, name) for name in names) for r in report.recipients]


def damage_kept_file(path: Path, head: bytes, damage: str) -> None:
    """Spoil a file a ``diskcache.KeptDict`` wrote (its first line is ``head``): ``garbage`` cuts it
    short, ``foreign`` gives it another Python's first line, ``shared`` lets others write it."""
    if damage == "garbage":
        path.write_bytes(path.read_bytes()[:len(head) + 7])
    elif damage == "foreign":
        path.write_bytes(head.split(b" ", 1)[0] + b" 1 some other python\n" + path.read_bytes().split(b"\n", 1)[1])
    elif damage == "shared":
        path.chmod(0o666)
    else:
        raise ValueError(damage)
