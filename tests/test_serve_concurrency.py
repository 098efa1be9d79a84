"""Hundreds of requests from several client threads against ``ndr serve --workers 2 --db``: every
event lands in the ledger once — none lost, none duplicated — though two processes write the
same SQLite file and the same events arrive more than once."""
from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("httpx")
pytest.importorskip("uvicorn")
pytest.importorskip("cryptography")

from . import webhook_payloads as P
from .conftest import EXAMPLES
from .serving import running

THREADS = 8
ADDRESSES = 120  # each posted twice (from different threads), plus parse requests


def test_concurrent_requests_leave_each_record_once_in_the_ledger(tmp_path):
    keys = P.make_keys()
    (tmp_path / "mailgun.key").write_text(keys.mailgun_key, encoding="utf-8")
    db = tmp_path / "ledger.db"
    mail = (EXAMPLES / "postfix-user-unknown.eml").read_bytes()
    jobs: list[tuple[str, object]] = []
    for n in range(ADDRESSES):
        event = P.mailgun_event(f"user{n}@load.example", message_id=f"<load-{n}@example.org>")
        jobs.append(("mailgun", P.mailgun_sign(keys, event, token=f"first-{n}")))
        jobs.append(("mailgun", P.mailgun_sign(keys, event, token=f"second-{n}")))
    jobs += [("parse", mail)] * 60
    jobs = jobs[::2] + jobs[1::2]  # the two copies of an event far apart, in different threads

    with running(tmp_path, "--db", str(db), "--mailgun-key-file", str(tmp_path / "mailgun.key"),
                 "--no-access-log", workers=2) as client:
        def send(job: tuple[str, object]) -> list[str]:
            kind, body = job
            if kind == "parse":
                response = client.post("/v1/parse", content=body, headers={"Content-Type": "message/rfc822"})
            else:
                response = client.post("/v1/webhooks/mailgun", json=body)
            assert response.status_code == 200, response.text
            return [row["record_id"] for row in response.json()]

        with ThreadPoolExecutor(THREADS) as pool:
            answered = [rid for ids in pool.map(send, jobs) for rid in ids]

    assert len(jobs) >= 300 and len(answered) == len(jobs)
    distinct = set(answered)
    assert len(distinct) == ADDRESSES + 1
    with sqlite3.connect(db) as ledger:
        stored = [row[0] for row in ledger.execute("SELECT record_id FROM records")]
        messages = [row[0] for row in ledger.execute("SELECT digest FROM messages")]
        events = ledger.execute("SELECT COUNT(*), COUNT(DISTINCT digest) FROM events").fetchone()
    assert sorted(stored) == sorted(distinct)
    assert sorted(messages) == sorted(distinct)
    assert events == (len(distinct), len(distinct))
