"""Files with bare CR line ends (old Mac mail stores) read like LF and CRLF files."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from ndr.reading.archives import RawMessage, iter_messages

BOUNCE = (
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
    "To: sender@example.org\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "\n"
    "This is the mail system at host mx.example.net.\n"
    "\n"
    "<nobody@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1\n"
    "    <nobody@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO\n"
    "    command)\n"
)


def _mbox(eol: bytes, count: int = 2) -> bytes:
    messages = [f"From MAILER-DAEMON Thu Apr 29 23:34:45 2021\n{BOUNCE}\n" for _ in range(count)]
    return "".join(messages).encode().replace(b"\n", eol)


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_mbox_splits_alike_whatever_the_line_ends(tmp_path, eol):
    path = tmp_path / "box.mbox"
    path.write_bytes(_mbox(eol, 3))
    found = [m for m in iter_messages(str(path)) if isinstance(m, RawMessage)]
    assert len(found) == 3
    for message in found:
        assert message.data.startswith(b"From: Mail Delivery System")
        assert not message.data.startswith(b"From MAILER-DAEMON")


def test_cr_mbox_compressed(tmp_path):
    path = tmp_path / "box.mbox.gz"
    path.write_bytes(gzip.compress(_mbox(b"\r", 2)))
    found = [m for m in iter_messages(str(path)) if isinstance(m, RawMessage)]
    assert len(found) == 2 and all(m.data.startswith(b"From: Mail") for m in found)


def test_cr_single_message_is_kept_whole(tmp_path):
    path = tmp_path / "one.eml"
    data = BOUNCE.encode().replace(b"\n", b"\r")
    path.write_bytes(data)
    found = list(iter_messages(str(path)))
    assert len(found) == 1 and found[0].data == data


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_cli_parses_a_cr_mbox_like_lf(tmp_path, eol):
    path = tmp_path / "box.mbox"
    path.write_bytes(_mbox(eol, 1))
    done = subprocess.run([sys.executable, "-m", "ndr", "parse", "--format", "jsonl", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [r["recipient"] for r in records] == ["nobody@example.com"]
    assert records[0]["status"] == "5.1.1"
