"""Corpus tests over ../shared/corpus (skipped when absent): invariants on every record of every
file, no false positives, and the standard-report floor of the parser-foundation issue."""
from __future__ import annotations

import re

import pytest

import ndr

from .conftest import CORPUS, agreement, corpus_rows

ACTIONS = {None, "failed", "delayed", "delivered", "relayed", "expanded"}
STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
ROWS = corpus_rows()


def _ids(row: dict) -> str:
    return row["file"].split("/")[-1]


@pytest.mark.parametrize("row", ROWS, ids=_ids)
def test_every_record_is_well_formed(row: dict) -> None:
    catalog = ndr.load_catalog()
    report = ndr.parse((CORPUS / row["file"]).read_bytes())
    for recipient in report.recipients:
        assert recipient.action in ACTIONS
        assert recipient.status is None or STATUS.match(recipient.status)
        assert recipient.reason in catalog.reasons
        assert recipient.rule
        if recipient.action == "delayed":
            assert not recipient.hard
    if row["kind"] == "none":
        assert not report.is_bounce, "ordinary mail reported as a bounce"
    if row["kind"] == "bounce" and row["recipients"]:
        # a bounce the truth reads recipients from must give records that name them (a feedback
        # report may name nobody: the truth's placeholder is no address)
        assert report.recipients, "no recipient from a bounce"
        assert all(r.recipient for r in report.recipients), "a bounce record without a recipient"


@pytest.mark.parametrize("eol", ["lf", "crlf", "cr"])
def test_standard_reports_floor(eol: str) -> None:
    rows = [r for r in ROWS if r["family"] == "rfc3464" and r["kind"] == "bounce"]
    if not rows:
        pytest.skip("../shared/corpus is not present")
    recipient, status = agreement(rows, eol)
    assert recipient >= 95 and status >= 90, (recipient, status)
