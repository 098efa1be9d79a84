"""The README's mailbox-rule recipes, run as written: each must leave the bounce's record somewhere
a person can find it (in a mailbox rule ndr's standard output goes nowhere). Only the absolute
folders are moved into a temporary folder and the installed ``ndr`` is replaced by this checkout."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT

BOUNCE = (EXAMPLES / "postfix-user-unknown.eml").read_bytes()
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("### In a mailbox rule"):README.index("## Library")]
NDR = f"{sys.executable} -m ndr"


def _recipe(pattern: str) -> str:
    found = re.search(pattern, SECTION, re.M)
    assert found, f"README recipe not found: {pattern}"
    return found.group(1)


def _postfix_argv(text: str) -> list[str]:
    """master.cf's argv: split on white space, ``{ … }`` keeps an argument with spaces whole."""
    argv: list[str] = []
    words = iter(text.split())
    for word in words:
        if word == "{":
            argv.append(" ".join(iter(lambda: next(words), "}")))
        else:
            argv.append(word)
    return argv


def _moved(text: str, tmp: Path) -> str:
    for folder in ("/var/spool/ndr", "/var/lib/ndr", "/home/bounces"):
        text = text.replace(folder, str(tmp / folder.strip("/").replace("/", "-")))
    return text


def _commands(tmp: Path) -> dict[str, list[str]]:
    procmail = _recipe(r"^    \| (/opt/ndr/\.venv/bin/ndr parse .*)$")
    forward = _recipe(r'^    "\|(/opt/ndr/\.venv/bin/ndr parse .*)"$')
    postfix = _postfix_argv(_recipe(r"argv=(.*)$"))
    sieve = ["ndr", *json.loads(_recipe(r'pipe :copy "ndr" (\[.*\]);'))]
    shell = ["/bin/sh", "-c"]
    return {
        "procmail": shell + [procmail.replace("/opt/ndr/.venv/bin/ndr", NDR)],
        "forward": shell + [_moved(forward, tmp).replace("/opt/ndr/.venv/bin/ndr", NDR)],
        "postfix": NDR.split() + [_moved(a, tmp) for a in postfix[1:]],
        "sieve": NDR.split() + [_moved(a, tmp) for a in sieve[1:]],
    }


@pytest.mark.parametrize("name", ["procmail", "forward", "postfix", "sieve"])
def test_recipe_leaves_the_record_in_a_file(tmp_path: Path, name: str) -> None:
    for folder in ("var-spool-ndr", "var-lib-ndr", "home-bounces"):
        (tmp_path / folder).mkdir()
    env = dict(os.environ, HOME=str(tmp_path / "home-bounces"),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    command = _commands(tmp_path)[name]
    done = subprocess.run(command, input=BOUNCE, capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    (written,) = [p for p in tmp_path.rglob("*.jsonl")]
    lines = written.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["reason"] == "userunknown"
    spools = list(tmp_path.rglob("new"))  # the spool is a Maildir: new/ holds what is kept
    assert spools and all(not any(p.iterdir()) for p in spools), "a processed bounce left in the spool"
