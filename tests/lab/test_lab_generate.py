"""The generator against the real thing: the lab captured Postfix's queue (postqueue -j, postcat)
while messages were deferred; ndr generate turns it into reports, which must say what Postfix's
own final notices for the same messages say: recipients, actions, status classes, Remote-MTA and
the Diagnostic-Code's content. Also: reports ndr sent through the lab's Postfix with STARTTLS and
AUTH arrived in the lab's mailbox."""
from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.lab

# The peer changes its answer after the capture (452 then 552): Postfix's final notice reports a
# later error than the one the queue held.
CHANGES_AFTER_CAPTURE = {"mailboxfull"}


def _ndr() -> list[str]:
    return [sys.executable, "-m", "ndr"]


def _fields(raw: bytes) -> dict[str, dict[str, str]]:
    """Per Final-Recipient: the recipient's delivery-status fields, whitespace folded."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    out: dict[str, dict[str, str]] = {}
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in part.get_payload():
            if block.get("Final-Recipient"):
                values = {k.lower(): " ".join(str(v).split()) for k, v in block.items()}
                out[values["final-recipient"].split(";")[-1].strip().lower()] = values
    return out


def _diagnostic(value: str | None) -> str:
    return (value or "").partition(";")[2].strip()


@pytest.fixture(scope="module")
def queue(lab_out: Path) -> Path:
    folder = lab_out / "postfix-queue"
    if not (folder / "postqueue.jsonl").is_file():
        pytest.skip("the lab run captured no Postfix queue")
    return folder


@pytest.fixture(scope="module")
def generated(queue: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    listing = [json.loads(line) for line in (queue / "postqueue.jsonl").read_text().splitlines()]
    now = max(m["arrival_time"] for m in listing) + 61
    out = tmp_path_factory.mktemp("generated")
    subprocess.run(_ndr() + ["generate", "--lifetime", "60s", "--now", str(now),
                             "--original-command", f"cat {queue}/{{queue_id}}.postcat",
                             "--reporting-mta", "postfix.lab.test", "--out", str(out),
                             str(queue / "postqueue.jsonl")], check=True, timeout=120)
    fields: dict[str, dict[str, str]] = {}
    for path in out.glob("*.eml"):
        fields.update(_fields(path.read_bytes()))
    assert len(fields) == sum(len(m["recipients"]) for m in listing)
    return fields


def _postfix_finals(lab_out: Path) -> list[dict[str, Any]]:
    import score

    return [e for e in score.manifest(lab_out) if e["mta"] == "postfix" and e["kind"] == "final"]


def test_generated_reports_match_postfix_own(lab_out: Path, generated: dict[str, dict[str, str]]) -> None:
    compared = 0
    for entry in _postfix_finals(lab_out):
        mine = generated.get(entry["recipient"])
        if mine is None or entry["scenario"] in CHANGES_AFTER_CAPTURE:
            continue  # a permanent failure never waited in the queue
        theirs = _fields((lab_out / entry["file"]).read_bytes())[entry["recipient"]]
        label = entry["scenario"]
        assert mine["action"] == theirs["action"] == "failed", label
        assert mine["status"][0] == theirs["status"][0], label
        assert mine.get("remote-mta") == theirs.get("remote-mta"), label
        assert _diagnostic(theirs.get("diagnostic-code")) in _diagnostic(mine.get("diagnostic-code")), label
        compared += 1
    assert compared >= 8  # every temporary scenario but the one whose answer changes


def test_reports_sent_through_postfix_with_starttls_and_auth(lab_out: Path) -> None:
    log = (lab_out / "generate-smtp.log").read_text() if (lab_out / "generate-smtp.log").exists() else ""
    if not log:
        pytest.skip("the lab run did not send generated reports (no ndr found)")
    assert "\nexit 0\n" in log, log
    arrived = list((lab_out / "generated-smtp").glob("*.eml"))
    listing = (lab_out / "postfix-queue" / "postqueue.jsonl").read_text().splitlines()
    assert len(arrived) == len(listing)
    for path in arrived:
        raw = path.read_bytes()
        assert raw.startswith(b"X-Lab-Envelope-From: <>")  # the null sender, as RFC 3464 wants
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        # Postfix's smtpd took it over TLS from an authenticated client
        received = " ".join(str(h) for h in msg.get_all("Received", []))
        assert "ESMTPSA" in received, received
        # the original's headers came from Postfix's queue (postcat -hq ID)
        assert b"Message-ID: <lab.postfix." in raw
    postfix_log = (lab_out / "postfix.log").read_text()
    assert "sasl_method=PLAIN, sasl_username=labuser@lab.test" in postfix_log
