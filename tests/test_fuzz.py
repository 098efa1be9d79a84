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


# --- mutations -------------------------------------------------------------------------------

def _at(data: bytes, fraction: float) -> int:
    return int(len(data) * fraction)


def truncate(data: bytes, f: float, _: int) -> bytes:
    return data[: _at(data, f)]


def break_boundary(data: bytes, f: float, n: int) -> bytes:
    match = re.search(rb'boundary="?([^";\r\n]+)"?', data, re.I)
    if match is None:
        return data
    boundary = match.group(1)
    choice = n % 4
    if choice == 0:  # the parameter names a boundary the body never uses
        return data[: match.start(1)] + b"x" + boundary[::-1] + data[match.end(1):]
    if choice == 1:  # the parameter is gone
        return data[: match.start()] + data[match.end():]
    if choice == 2:  # no closing delimiter
        return data.replace(b"--" + boundary + b"--", b"")
    return data.replace(b"--" + boundary, b"--" + boundary[: _at(boundary, f)], 1 + n % 3)


def bad_charset(data: bytes, f: float, n: int) -> bytes:
    names = [b"x-unknown-9", b"utf-7", b"utf-16", b"iso-2022-jp", b"", b'"', b"shift_jis\x00", b"utf-32-be"]
    return re.sub(rb"charset=\"?[^\";\s]*\"?", b"charset=" + names[n % len(names)], data, count=1 + n % 3,
                  flags=re.I)


def bad_base64(data: bytes, f: float, n: int) -> bytes:
    data = re.sub(rb"(?i)content-transfer-encoding:[^\r\n]*", b"Content-Transfer-Encoding: base64", data,
                  count=1 + n % 3)
    position = _at(data, f)
    junk = [b"=", b"====", b"!@#$", b"\xff\xfe", b"QUJD", b"A"][n % 6]
    return data[:position] + junk * (1 + n % 7) + data[position:]


def huge_header(data: bytes, f: float, n: int) -> bytes:
    if n % 3 == 0:
        header = b"X-Huge: " + b"a" * (1000 + n * 997 % 200_000) + b"\n"
    elif n % 3 == 1:
        header = b"".join(b"X-H%d: v\n" % i for i in range(1000 + n % 9000))
    else:
        header = b"Subject: " + b"=?utf-8?b?" + b"QUJD" * (n % 5000) + b"?=\n"
    return header + data


def nuls(data: bytes, f: float, n: int) -> bytes:
    position = _at(data, f)
    return data[:position] + b"\x00" * (1 + n % 50) + data[position:]


def deep_nesting(data: bytes, f: float, n: int) -> bytes:
    depth = 1 + n % 40
    for level in range(depth):
        if level % 2:
            data = b"Content-Type: message/rfc822\n\n" + data
        else:
            data = (b'Content-Type: multipart/mixed; boundary="n%d"\n\n--n%d\n' % (level, level) + data
                    + (b"\n--n%d--\n" % level if n % 3 else b""))
    return b"From: MAILER-DAEMON@example.org\nSubject: Undelivered\n" + data


def splice(data: bytes, f: float, n: int) -> bytes:
    other = ALL_SEEDS[n % len(ALL_SEEDS)]
    return data[: _at(data, f)] + other[_at(other, 1 - f):]


def line_ends(data: bytes, f: float, n: int) -> bytes:
    data = data.replace(b"\r\n", b"\n")
    return data.replace(b"\n", [b"\r\n", b"\r", b"\n\n", b"\r\r\n"][n % 4])


def flip(data: bytes, f: float, n: int) -> bytes:
    if not data:
        return data
    position = min(_at(data, f), len(data) - 1)
    return data[:position] + bytes([(data[position] + 1 + n) % 256]) + data[position + 1:]


def drop_lines(data: bytes, f: float, n: int) -> bytes:
    lines = data.split(b"\n")
    start = _at(lines, f) if lines else 0  # type: ignore[arg-type]
    return b"\n".join(lines[:start] + lines[start + 1 + n % 5:])


MUTATIONS = (truncate, break_boundary, bad_charset, bad_base64, huge_header, nuls, deep_nesting,
             splice, line_ends, flip, drop_lines)
ALL_SEEDS = OWN_SEEDS + CORPUS_SEEDS

mutation = st.tuples(st.sampled_from(MUTATIONS), st.floats(0, 1), st.integers(0, 10**6))


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    data = draw(st.sampled_from(seeds))
    for function, fraction, number in draw(st.lists(mutation, min_size=1, max_size=4)):
        data = function(data, fraction, number)
    return data


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
@given(mutated(OWN_SEEDS))
def test_mutated_own_and_generated_reports(data: bytes) -> None:
    check(data)


@SETTINGS
@given(st.data())
def test_mutated_corpus(data: st.DataObject) -> None:
    if not CORPUS_SEEDS:
        pytest.skip("../shared/corpus is not present")
    check(data.draw(mutated(CORPUS_SEEDS)))


def test_cli_survives_mutated_input(tmp_path: Path) -> None:
    """Through a subprocess, as an MTA runs it: a known exit code and no traceback."""
    rng = random.Random(6)
    paths = []
    for index in range(12):
        data = rng.choice(ALL_SEEDS)
        for _ in range(rng.randint(1, 3)):
            data = rng.choice(MUTATIONS)(data, rng.random(), rng.randrange(10**6))
        path = tmp_path / f"m{index}.eml"
        path.write_bytes(data)
        paths.append(str(path))
    for chosen in (paths, [paths[0]], [paths[-1]]):
        result = run_ndr("parse", "--all", *chosen)
        assert result.returncode in (0, 1, 65), result.stderr
        assert b"Traceback" not in result.stderr
    result = run_ndr("parse", "-", stdin=Path(paths[1]).read_bytes())
    assert result.returncode in (0, 1, 65) and b"Traceback" not in result.stderr
