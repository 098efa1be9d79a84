"""`ndr parse` imports --exec's and --spool's modules only for a run that uses them, and their
options still check their values as before."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ndr.cli import main
from tests.conftest import EXAMPLES, ROOT


def test_a_plain_parse_imports_neither_handoff_nor_spool() -> None:
    probe = ("import sys; from ndr.__main__ import entry; entry(sys.argv[1:]); "
             "print(sorted(m for m in ('shlex', 'ndr.commands.handoff', 'ndr.reading.spool') if m in sys.modules),"
             " file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe, "parse", "--format", "jsonl",
                           str(EXAMPLES / "postfix-user-unknown.eml")], capture_output=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().splitlines()[-1] == "[]"


@pytest.mark.parametrize("option, value, says", [
    ("--exec", "", "the command is empty"),
    ("--exec", "'unclosed", "cannot split"),
    ("--exec-timeout", "0", "must be a positive number of seconds"),
    ("--exec-timeout", "soon", "not a number of seconds"),
])
def test_the_options_still_refuse_bad_values(capsys, option, value, says) -> None:
    assert main(["parse", option, value, str(EXAMPLES / "postfix-user-unknown.eml")]) == 2
    assert says in capsys.readouterr().err
