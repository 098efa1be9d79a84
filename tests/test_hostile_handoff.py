"""Issue 13: exactly-once hand-off to ``--exec`` and the mailbox-rule edge cases. Each test failed
before its fix."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT, run_ndr

BOUNCE = (EXAMPLES / "postfix-user-unknown.eml").read_bytes()


def _recorder(tmp_path: Path) -> tuple[str, Path]:
    """A --exec command appending the record's id (from the JSON and from the environment)."""
    log = tmp_path / "handed.log"
    script = tmp_path / "ticket.py"
    script.write_text("import json, os, sys\nrow = json.load(sys.stdin)\n"
                      f"open({str(log)!r}, 'a').write(row['record_id'] + ' ' + os.environ['NDR_RECORD_ID'] + '\\n')\n")
    return f"{sys.executable} {script}", log


def _spooled(spool: Path) -> list[Path]:
    return [p for sub in ("new", "cur") for p in (spool / sub).glob("*")]


def test_exec_gets_the_record_id_in_json_and_environment(tmp_path) -> None:
    command, log = _recorder(tmp_path)
    assert run_ndr("parse", "--exec", command, stdin=BOUNCE).returncode == 0
    from_json, from_env = log.read_text().split()
    assert from_json == from_env and len(from_json) == 32


def test_replaying_the_spool_hands_off_once_and_empties_it(tmp_path) -> None:
    spool = tmp_path / "spool"
    run_ndr("parse", "--spool", str(spool), "--keep-all", stdin=BOUNCE)
    run_ndr("parse", "--spool", str(spool), "--keep-all", stdin=BOUNCE)  # an MTA retry: a 2nd copy
    assert len(_spooled(spool)) == 2
    command, log = _recorder(tmp_path)
    first = run_ndr("parse", "--spool", str(spool), "--exec", command, str(spool))
    assert first.returncode == 0, first.stderr
    assert len(log.read_text().splitlines()) == 1  # the same bounce twice: one hand-off
    assert _spooled(spool) == []
    second = run_ndr("parse", "--spool", str(spool), "--exec", command, str(spool))
    assert second.returncode in (0, 1)
    assert len(log.read_text().splitlines()) == 1


def test_an_mta_retry_after_a_failure_hands_off_nothing_twice(tmp_path) -> None:
    spool = tmp_path / "spool"
    command, log = _recorder(tmp_path)
    assert run_ndr("parse", "--spool", str(spool), "--exec", command, stdin=BOUNCE).returncode == 0
    assert run_ndr("parse", "--spool", str(spool), "--exec", command, stdin=BOUNCE).returncode == 0
    assert len(log.read_text().splitlines()) == 1


def test_a_child_holding_stderr_does_not_turn_success_into_a_timeout(tmp_path) -> None:
    command = (f"{sys.executable} -c \"import subprocess, sys; sys.stdin.read(); "
               f"subprocess.Popen(['sleep', '30'])\"")
    result = run_ndr("parse", "--exec", command, "--exec-timeout", "5", stdin=BOUNCE)
    assert result.returncode == 0, result.stderr


def test_on_timeout_the_whole_process_group_is_killed(tmp_path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    command = (f"{sys.executable} -c \"import subprocess, time; "
               f"p = subprocess.Popen(['sleep', '60']); open({str(pidfile)!r}, 'w').write(str(p.pid)); "
               f"time.sleep(60)\"")
    result = run_ndr("parse", "--exec", command, "--exec-timeout", "2", stdin=BOUNCE)
    assert result.returncode == 75 and b"process group was killed" in result.stderr
    pid = int(pidfile.read_text())
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    state = Path(f"/proc/{pid}/stat")
    assert not state.exists() or state.read_text().split()[2] == "Z"


def test_a_closed_stdout_in_mailbox_mode_still_runs_exec(tmp_path) -> None:
    command, log = _recorder(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    read, write = os.pipe()
    os.close(read)  # nobody reads ndr's stdout
    try:
        done = subprocess.run([sys.executable, "-m", "ndr", "parse", "--spool", str(tmp_path / "spool"),
                               "--exec", command], input=BOUNCE, stdout=write, stderr=subprocess.PIPE,
                              env=env, timeout=120)
    finally:
        os.close(write)
    assert done.returncode == 0, done.stderr
    assert len(log.read_text().splitlines()) == 1


@pytest.mark.parametrize("option", [["--exec", ""], ["--exec", "ticket 'unclosed"],
                                    ["--exec", "true", "--exec-timeout", "-1"],
                                    ["--exec", "true", "--exec-timeout", "nan"],
                                    ["--exec", "true", "--exec-timeout", "0"]])
def test_bad_exec_options_are_usage_errors(tmp_path, option) -> None:
    spool = tmp_path / "spool"
    result = run_ndr("parse", "--spool", str(spool), *option, stdin=BOUNCE)
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert not spool.exists() or _spooled(spool) == []


def test_spool_files_are_private(tmp_path) -> None:
    spool = tmp_path / "spool"
    run_ndr("parse", "--spool", str(spool), "--keep-all", stdin=BOUNCE)
    (kept,) = _spooled(spool)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE((spool / "new").stat().st_mode) & 0o077 == 0


def test_a_closed_stdout_descriptor_still_hands_off(tmp_path) -> None:
    """``ndr parse ... >&-``: Python starts without sys.stdout."""
    command, log = _recorder(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    code = (f"import os, subprocess, sys; os.close(1); sys.exit(subprocess.call([sys.executable, '-m', 'ndr', "
            f"'parse', '--spool', {str(tmp_path / 'spool')!r}, '--exec', {command!r}], "
            f"stdin=open({str(EXAMPLES / 'postfix-user-unknown.eml')!r}, 'rb')))")
    done = subprocess.run([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(log.read_text().splitlines()) == 1
