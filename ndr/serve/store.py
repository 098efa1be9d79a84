"""The service's side of the ledger ``ndr analyze --db`` keeps (``ndr.batch.ledger``).

Every record the service produces goes in once, keyed by its ``record_id``: the ledger's
``messages`` table gets one row per record (its digest is the record id), so the ledger's own
``INSERT OR IGNORE`` drops a repeat, and failures and delays become the ledger's events —
``ndr suppressions --db`` and ``GET /v1/suppressions`` read the same rows. The whole record is
also kept in a ``records`` table, from which ``GET /v1/findings`` groups failures the way
``ndr analyze`` does. Several worker processes may share one file: SQLite's write-ahead log
and busy timeout serialise their writes.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import Any, Iterable

from ..batch.findings import Finding, FindingsBuilder, Thresholds
from ..batch.ledger import Ledger, Suppression
from ..batch.work import MessageResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    record_id TEXT PRIMARY KEY,
    happened TEXT,
    record TEXT NOT NULL
);
"""


def _utc(value: Any) -> str | None:
    """An ISO 8601 time of a record as the ledger writes times (UTC, seconds, ``Z``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """The ledger file, open for one process (use from one thread: the event loop's)."""

    def __init__(self, path: str) -> None:
        self.ledger = Ledger(path)
        try:
            self.ledger.db.execute("PRAGMA busy_timeout = 10000")
            self.ledger.db.execute("PRAGMA journal_mode = WAL")
            self.ledger.db.executescript(_SCHEMA)
        except sqlite3.Error:
            self.ledger.db.close()
            raise

    def close(self) -> None:
        self.ledger.close()

    def add(self, rows: Iterable[dict[str, Any]]) -> int:
        """Store records not seen before (by ``record_id``); returns how many were new."""
        items = [(row, _utc(row.get("last_attempt_date")) or _utc(row.get("arrival_date")))
                 for row in rows if row.get("record_id")]
        if not items:
            return 0
        self.ledger.now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        # One transaction: the records' INSERTs open it, the ledger's add() commits it.
        self.ledger.db.executemany(
            "INSERT OR IGNORE INTO records(record_id, happened, record) VALUES (?,?,?)",
            [(row["record_id"], when or self.ledger.now, json.dumps(row, ensure_ascii=False))
             for row, when in items])
        return self.ledger.add(
            MessageResult(source=str(row.get("source")), index=int(row.get("message_index") or 0),
                          digest=str(row["record_id"]), records=(row,), times=(when,))
            for row, when in items)

    def suppressions(self, soft_count: int, soft_days: int) -> list[Suppression]:
        return self.ledger.suppressions(soft_count, soft_days)

    def findings(self, thresholds: Thresholds) -> list[Finding]:
        builder = FindingsBuilder(thresholds)
        for happened, text in self.ledger.db.execute(
                "SELECT happened, record FROM records ORDER BY happened, record_id"):
            builder.add(json.loads(text), happened)
        return builder.findings()

    def counts(self) -> dict[str, int]:
        messages, events = self.ledger.counts()
        records = int(self.ledger.db.execute("SELECT COUNT(*) FROM records").fetchone()[0])
        return {"records": records, "ledger_messages": messages, "ledger_events": events}
