"""Fuzzing the parser: random bytes, and structure-aware mutations of real and generated bounces.

Properties, for every input:

* ``ndr.parse`` never raises under the default policy, and returns within a time bound;
* under ``ndr.STRICT`` it raises nothing but ``ndr.NdrError`` subclasses;
* every record (``records.records``) is well formed: all fields, JSON-ready, codes in shape,
  single-line text fields, a reason the catalog knows.

Seeds: our examples, reports made by ``ndr.generate``, and the corpus in ../shared/corpus when it
is beside the checkout (read at test time, never copied). Mutations: truncation, wrong or
missing boundaries, bad charsets, bad base64, huge and numerous headers, NULs, deep nesting,
splices of two messages, line-end changes, byte flips.

CI runs a bounded number of examples (``NDR_FUZZ_EXAMPLES``, default 60 per test). A long run::

    NDR_FUZZ_EXAMPLES=100000 .venv/bin/python -m pytest tests/test_fuzz.py -p no:cacheprovider \\
        -o faulthandler_timeout=120 --hypothesis-seed=1

(``--hypothesis-seed`` picks a different stream of inputs; ``faulthandler_timeout`` dumps the
stack of a hang.)
"""
from __future__ import annotations

import json
import os
import random
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndr
from ndr.generate import ReportOptions, generate
from ndr.model import Action, Kind
from ndr.writing.queue import Attempt, LocalError, QueuedMessage, QueueRecipient
from ndr.reading.records import FIELDS, records

from .conftest import CORPUS, EXAMPLES, run_ndr
from .mutations import MUTATIONS, mutated

EXAMPLES_PER_TEST = int(os.environ.get("NDR_FUZZ_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES_PER_TEST, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))
SECONDS_PER_PARSE = 5.0
"""Generous: a hostile 10 MB input parses in well under a second; this catches hangs."""
CATALOG = ndr.load_catalog()

_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
_REPLY = re.compile(r"^[245]\d\d$")
_ACTIONS = {a.value for a in Action}
_KINDS = {k.value for k in Kind}
_ONE_LINE = ("recipient", "original_recipient", "status", "reply_code", "diagnostic_code",
             "diagnostic_type", "remote_mta", "reporting_mta", "received_from_mta", "smtp_command",
             "reason", "rule", "catalog_id", "feedback_type", "decoder", "subject", "original_message_id",
             "original_subject", "original_from", "original_to", "original_date", "original_envelope_id")
_DATES = ("arrival_date", "last_attempt_date", "will_retry_until")


def _generated() -> list[bytes]:
    """Failure and delay reports from our own generator (CRLF, multipart/report, global DSN)."""
    t0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
    original = (b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n"
                b"Message-ID: <m1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                + "Olá, café.\r\n".encode() * 3)
    recipients = (
        QueueRecipient("bob@example.net", attempts=(
            Attempt(t0, "mx.example.net", reply="550 5.1.1 <bob@example.net>: user unknown"),)),
        QueueRecipient("carol@exämple.de", attempts=(
            Attempt(t0, "[192.0.2.25]", error=LocalError.REFUSED, detail=None),)),
        QueueRecipient("dave@example.org", attempts=(
            Attempt(t0, "mx.example.org", reply="452 4.2.2 mailbox full"),)),
    )
    message = QueuedMessage("Q1", "alice@example.com", t0, recipients, envid="ENV1")
    options = ReportOptions(reporting_mta="mx.example.com")
    now = t0 + timedelta(days=2)
    out = []
    for action, chosen, with_original in (("failed", recipients[:1], True), ("failed", recipients, False),
                                          ("delayed", recipients[2:], True), ("failed", recipients[1:2], True)):
        report = generate(message, action, chosen, now=now, will_retry_until=now, options=options,
                          original=original if with_original else None, catalog=CATALOG)
        out.append(report.data)
    return out


def _corpus(limit: int = 200) -> list[bytes]:
    if not CORPUS.is_dir():
        return []
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".jsonl")
    step = max(1, len(files) // limit)
    return [p.read_bytes() for p in files[::step]]


OWN_SEEDS = [p.read_bytes() for p in sorted(EXAMPLES.glob("*.eml"))] + _generated()
CORPUS_SEEDS = _corpus()
ALL_SEEDS = OWN_SEEDS + CORPUS_SEEDS


# --- properties ------------------------------------------------------------------------------

def check(data: bytes) -> None:
    """Every property, for one input."""
    start = time.perf_counter()
    report = ndr.parse(data, catalog=CATALOG)
    took = time.perf_counter() - start
    assert took < SECONDS_PER_PARSE + len(data) / 10e6, f"parse took {took:.2f} s"
    for row in records(report, "fuzz", 0, include_all=True):
        assert_well_formed(row)
    json.dumps(report.to_dict(), default=str)
    try:
        ndr.parse(data, policy=ndr.STRICT, catalog=CATALOG)
    except ndr.NdrError:
        pass


def assert_well_formed(row: dict) -> None:
    assert tuple(row) == FIELDS
    json.dumps(row, ensure_ascii=False)
    assert row["kind"] in _KINDS
    assert row["action"] is None or row["action"] in _ACTIONS, row["action"]
    assert row["status"] is None or _STATUS.match(row["status"]), row["status"]
    assert row["reply_code"] is None or _REPLY.match(row["reply_code"]), row["reply_code"]
    assert row["reason"] in CATALOG.reasons, row["reason"]
    assert row["hard"] is None or isinstance(row["hard"], bool)
    for name in _ONE_LINE:
        value = row[name]
        assert value is None or (isinstance(value, str) and not re.search(r"[\r\n\x00]", value)), (name, value)
    for name in _DATES:
        if row[name] is not None:
            datetime.fromisoformat(row[name])
    for name in ("causes", "fixes", "who", "defects"):
        assert isinstance(row[name], list) and all(isinstance(v, str) for v in row[name]), name


@SETTINGS
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    check(data)


@SETTINGS
@given(st.binary(max_size=2048))
def test_random_bytes_after_a_header(data: bytes) -> None:
    check(b"From: MAILER-DAEMON@example.org\nSubject: Undelivered Mail\n" + data)


@SETTINGS
@given(mutated(OWN_SEEDS, ALL_SEEDS))
def test_mutated_own_and_generated_reports(data: bytes) -> None:
    check(data)


@SETTINGS
@given(st.data())
def test_mutated_corpus(data: st.DataObject) -> None:
    if not CORPUS_SEEDS:
        pytest.skip("../shared/corpus is not present")
    check(data.draw(mutated(CORPUS_SEEDS, ALL_SEEDS)))


def test_cli_survives_mutated_input(tmp_path: Path) -> None:
    """Through a subprocess, as an MTA runs it: a known exit code and no traceback."""
    rng = random.Random(6)
    paths = []
    for index in range(12):
        data = rng.choice(ALL_SEEDS)
        for _ in range(rng.randint(1, 3)):
            data = rng.choice(MUTATIONS)(data, rng.random(), rng.randrange(10**6), ALL_SEEDS)
        path = tmp_path / f"m{index}.eml"
        path.write_bytes(data)
        paths.append(str(path))
    for chosen in (paths, [paths[0]], [paths[-1]]):
        result = run_ndr("parse", "--all", *chosen)
        assert result.returncode in (0, 1, 65), result.stderr
        assert b"Traceback" not in result.stderr
    result = run_ndr("parse", "-", stdin=Path(paths[1]).read_bytes())
    assert result.returncode in (0, 1, 65) and b"Traceback" not in result.stderr
