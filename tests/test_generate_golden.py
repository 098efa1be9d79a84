"""Golden files: whole generated reports for fixed inputs, compared byte for byte.

They use a small fixed catalog (tests/golden/catalog.yaml), so they follow the templates and the
generator, not edits of the shipped catalog.

Refresh after an intended change to templates, catalog texts or the generator:

    NDR_REFRESH_GOLDEN=1 .venv/bin/python -m pytest tests/test_generate_golden.py

then review ``git diff tests/golden`` before committing.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ndr.catalog import load_catalog
from ndr.policy import Policy
from ndr.generate import ReportOptions, generate
from ndr.writing.queue import Attempt, LocalError, QueuedMessage, QueueRecipient

GOLDEN = Path(__file__).resolve().parent / "golden"
REFRESH = os.environ.get("NDR_REFRESH_GOLDEN") == "1"
T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
ORIGINAL = (b"From: Alice Example <alice@example.com>\r\nTo: bob@example.net, carol@example.org\r\n"
            b"Subject: Contract draft for review\r\nMessage-ID: <contract-draft-1@example.com>\r\n"
            b"Date: Wed, 01 May 2024 08:00:00 +0000\r\n\r\nHi Bob, hi Carol,\r\n\r\nthe draft follows.\r\n")


def _message() -> QueuedMessage:
    return QueuedMessage("Q1001", "alice@example.com", T0, (
        QueueRecipient("bob@example.net", notify=frozenset({"FAILURE", "DELAY"}), orcpt="rfc822;bob@example.net",
                       attempts=(Attempt(T0 + timedelta(hours=20), "smarthost.example.net", error=LocalError.REFUSED),)),
        QueueRecipient("carol@example.org", attempts=(Attempt(T0 + timedelta(minutes=1), "mx.example.org",
                       reply="550 5.1.1 <carol@example.org>: Recipient address rejected: User unknown"),)),
    ), envid="QQ314159", ret="FULL")


CASES = {
    "failure-en": dict(action="failed", lang="en", original=ORIGINAL),
    "failure-pt-BR": dict(action="failed", lang="pt-BR", original=ORIGINAL),
    "delay-en": dict(action="delayed", lang="en", original=ORIGINAL),
    "delay-pt-BR": dict(action="delayed", lang="pt-BR", original=None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    case = CASES[name]
    report = generate(_message(), case["action"], now=T0 + timedelta(hours=30),
                      will_retry_until=T0 + timedelta(days=5), original=case["original"],
                      options=ReportOptions(reporting_mta="mx.example.com"), policy=Policy(lang=case["lang"]),
                      catalog=load_catalog(path=GOLDEN / "catalog.yaml"))
    path = GOLDEN / f"{name}.eml"
    if REFRESH or not path.exists():
        path.write_bytes(report.data)
        if not REFRESH:
            pytest.fail(f"{path} was missing and has been written; review and commit it")
    assert report.data == path.read_bytes(), (
        f"{path.name} differs; if the change is intended run NDR_REFRESH_GOLDEN=1 pytest {__file__}")
