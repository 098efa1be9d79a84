"""What a new user meets in the first hour (issue 16), through a subprocess as they run it: usage
errors that show the subcommand's usage, hints on a terminal, messages without empty parts."""
from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

import ndr

from .conftest import EXAMPLES, ROOT, run_ndr

EXAMPLE = str(EXAMPLES / "postfix-user-unknown.eml")
PLAIN = b"From: a@example.com\nTo: b@example.net\nSubject: lunch?\n\nAt noon?\n"


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _with_terminal(args: list[str], *, stdin_tty: bool = False) -> tuple[int, bytes]:
    """Run ndr with stdout (or stdin) on a pseudo-terminal; returns the exit code and stderr."""
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "ndr", *args], env=_env(), cwd=ROOT,
                                   stdin=slave if stdin_tty else subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL if stdin_tty else slave,
                                   stderr=subprocess.PIPE)
        if stdin_tty:
            os.write(master, b"\x04")  # Ctrl-D at the start of a line: end of input
        _, err = process.communicate(timeout=120)
        return process.returncode, err
    finally:
        os.close(master)
        os.close(slave)


def test_unknown_option_shows_the_subcommands_usage() -> None:
    result = run_ndr("parse", "--bogus")
    assert result.returncode == 2
    assert b"usage: ndr parse" in result.stderr and b"unrecognized arguments: --bogus" in result.stderr
    result = run_ndr("explain", "--bogus", "5.1.1")
    assert result.returncode == 2 and b"usage: ndr explain" in result.stderr


def test_explain_help_says_what_it_accepts() -> None:
    text = run_ndr("explain", "--help").stdout.decode()
    for kind in ("status code (5.1.1)", "reply code", "(550)", "Exchange", "diagnostic text",
                 "several words"):
        assert kind in " ".join(text.split()), kind


def test_explain_refuses_nothing() -> None:
    result = run_ndr("explain", "  ")
    assert result.returncode == 2 and b"nothing to explain" in result.stderr
    with pytest.raises(ValueError, match="nothing to explain"):
        ndr.explain("")


def test_parse_on_a_terminal_says_it_reads_stdin() -> None:
    code, err = _with_terminal(["parse"], stdin_tty=True)
    assert b"reading a message from standard input" in err and b"Ctrl-D" in err
    assert code == 65  # Ctrl-D at once: empty input
    assert b"standard input" not in run_ndr("parse", stdin=PLAIN).stderr  # a pipe: no hint


def test_ordinary_mail_on_a_terminal_says_not_a_bounce(tmp_path: Path) -> None:
    plain = tmp_path / "lunch.eml"
    plain.write_bytes(PLAIN)
    code, err = _with_terminal(["parse", str(plain)])
    assert code == 1 and err.decode().strip() == f"ndr: {plain}: not a bounce"
    piped = run_ndr("parse", str(plain))
    assert piped.returncode == 1 and piped.stderr == b"" and piped.stdout == b""
    code, err = _with_terminal(["parse", str(plain), str(plain)])
    assert code == 1 and b"none of the 2 messages is a bounce" in err


def test_text_records_are_separated_by_a_blank_line() -> None:
    out = run_ndr("parse", "--format", "text", EXAMPLE, EXAMPLE).stdout.decode()
    paragraphs = out.rstrip("\n").split("\n\n")
    assert len(paragraphs) == 2 and paragraphs[0] == paragraphs[1]
    assert paragraphs[0].startswith("bob@example.net: failed") and "\n\n\n" not in out


def test_exec_failure_message_has_no_empty_part() -> None:
    result = run_ndr("parse", "--exec", "false", EXAMPLE)
    line = result.stderr.decode().strip()
    assert result.returncode == 75
    assert line == "ndr: --exec exited 1 (false wrote nothing on stderr)"
    said = run_ndr("parse", "--exec", f"{sys.executable} -c \"import sys; sys.exit('no ticket queue')\"",
                   EXAMPLE)
    assert said.stderr.decode().strip() == "ndr: --exec exited 1: no ticket queue"


def test_maildir_records_name_the_message_file(tmp_path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "Maildir" / sub).mkdir(parents=True)
    (tmp_path / "Maildir" / "cur" / "1234.host:2,S").write_bytes(Path(EXAMPLE).read_bytes())
    result = run_ndr("parse", "--format", "text", "Maildir/", cwd=tmp_path)
    assert "source: Maildir/cur/1234.host:2,S#0" in result.stdout.decode()


LISTING = str(EXAMPLES / "queue" / "listing.yaml")
WHEN = ["--now", "2024-05-01T20:00:00Z", "--lifetime", "24h", "--warn-after", "4h,12h"]


def test_generate_says_what_it_wrote_and_reports_are_group_readable(tmp_path: Path) -> None:
    result = run_ndr("generate", LISTING, *WHEN, "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == \
        f"ndr generate: 3 reports (2 delay warnings, 1 failure report) written to {tmp_path / 'out'}"
    modes = {oct(p.stat().st_mode & 0o777) for p in (tmp_path / "out").iterdir()}
    umask = os.umask(0o022)
    os.umask(umask)
    assert modes == {oct(0o640 & ~umask)}
    quiet = run_ndr("generate", LISTING, *WHEN, "--out", str(tmp_path / "again"), "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == b""


def test_dry_run_runs_the_original_command(tmp_path: Path) -> None:
    listing = tmp_path / "postqueue.jsonl"
    listing.write_text('{"queue_name": "deferred", "queue_id": "4F9D11A2B3", "arrival_time": 1714550400, '
                       '"message_size": 900, "forced_expire": false, "sender": "alice@example.com", '
                       '"recipients": [{"address": "bob@example.net", "delay_reason": '
                       '"connect to mx.example.net[192.0.2.7]:25: Connection refused"}]}\n')
    result = run_ndr("generate", str(listing), *WHEN, "--dry-run",
                     "--original-command", "/nonexistent/sbin/postcat -bhq {queue_id}")
    assert result.returncode == 65
    assert b"/nonexistent/sbin/postcat -bhq 4F9D11A2B3" in result.stderr
    assert b"4F9D11A2B3" in result.stdout  # the table is still printed
    good = run_ndr("generate", str(listing), *WHEN, "--dry-run", "--original-command",
                   f"{sys.executable} -c \"print('Subject: hi')\" {{queue_id}}")
    assert good.returncode == 0, good.stderr


@pytest.mark.parametrize("cls, field, words", [
    (ndr.RecipientResult, "remote_mta", "destination server that refused"),
    (ndr.RecipientResult, "record_id", "Stable id of this event"),
    (ndr.Report, "defects", "What was wrong with the message"),
    (ndr.OriginalMessage, "sender", "envelope sender"),
])
def test_help_shows_each_fields_description(cls: type, field: str, words: str) -> None:
    import pydoc

    page = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    line = next(line for line in page.splitlines() if line.lstrip(" |").startswith(f"{field} ("))
    assert words in line
    # written once, in model.py: the text in help() is the attribute docstring itself
    assert words in " ".join(Path(ndr.model.__file__).read_text().split())


def test_every_field_is_listed_in_help() -> None:
    for cls in (ndr.RecipientResult, ndr.Report, ndr.OriginalMessage):
        doc = cls.__doc__ or ""
        assert all(f"\n    {f} (" in doc for f in cls.__dataclass_fields__), cls


@pytest.mark.parametrize("text", ["bounce.eml", "Maildir/cur/1234.host:2,S", EXAMPLE, " bounces/x "])
def test_parse_refuses_a_file_name_given_as_text(text: str) -> None:
    with pytest.raises(ValueError, match=r"pass pathlib\.Path") as caught:
        ndr.parse(text)
    assert isinstance(caught.value, ndr.FileNameError) and isinstance(caught.value, ndr.InputError)


def test_parse_still_reads_text_and_paths() -> None:
    assert ndr.parse("Subject: hi").kind is ndr.Kind.NONE  # one header line is a message
    assert ndr.parse("just words").kind is ndr.Kind.NONE
    assert ndr.parse(Path(EXAMPLE)).recipients[0].reason == "userunknown"
    assert ndr.parse(Path(EXAMPLE).read_text()).recipients[0].reason == "userunknown"
