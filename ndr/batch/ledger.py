"""The ledger: a SQLite file (standard library only) that makes ingestion incremental and keeps
each address's history.

A message is identified by its content hash; one already in the ledger is skipped on the next run.
Every failed or delayed recipient is an event (address, when, action, status, reason, hard).
``suppressions()`` lists the addresses to stop mailing: one hard bounce, or ``soft_count`` soft
bounces within any ``soft_days``-day window. Messages found twice in the same run are stored once.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Iterator

from .work import MessageResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    digest TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    idx INTEGER NOT NULL,
    ingested TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    digest TEXT NOT NULL REFERENCES messages(digest),
    address TEXT NOT NULL,
    happened TEXT NOT NULL,
    dated INTEGER NOT NULL,
    action TEXT,
    status TEXT,
    reply_code TEXT,
    reason TEXT,
    hard INTEGER NOT NULL,
    remote_mta TEXT,
    PRIMARY KEY (digest, address)
);
CREATE INDEX IF NOT EXISTS events_address ON events(address, happened);
"""


@dataclass(frozen=True, slots=True)
class Event:
    """One failure or delay of one address."""

    address: str
    happened: str
    dated: bool
    """False when the message gave no date and the ingestion time stands in."""
    action: str | None
    status: str | None
    reply_code: str | None
    reason: str | None
    hard: bool
    remote_mta: str | None


@dataclass(frozen=True, slots=True)
class Suppression:
    """An address to stop mailing, and why."""

    address: str
    why: str
    last_seen: str
    reason: str | None


class LedgerError(Exception):
    """The ledger file cannot be opened or is not a ledger."""


_COLUMNS = {
    "messages": ["digest", "source", "idx", "ingested"],
    "events": ["digest", "address", "happened", "dated", "action", "status", "reply_code", "reason",
               "hard", "remote_mta"],
}
def _schema_problem(db: sqlite3.Connection) -> str | None:
    """Why an existing file is not a ledger ndr can use, or None. Read from ``sqlite_master``
    before anything else runs: a view or a trigger in a file someone else wrote could run any
    query (a recursive view never ends), and other columns would fail later as an internal
    error. Other tables (the service keeps ``records``) and indexes are left alone."""
    for kind, name, sql in db.execute("SELECT type, name, sql FROM sqlite_master"):
        if kind in ("view", "trigger"):
            return f"it holds a {kind} ({name!r}); a ledger holds tables only"
        if kind == "table" and name in _COLUMNS:
            columns = [row[1] for row in db.execute(f'PRAGMA table_info("{name}")')]
            if columns != _COLUMNS[name] or "VIRTUAL" in (sql or "").upper():
                return f"table {name!r} has columns {', '.join(columns)}, not {', '.join(_COLUMNS[name])}"
    return None


class Ledger:
    """An open ledger file. Use as a context manager, or call ``close()``."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self.db = sqlite3.connect(self.path)
            problem = _schema_problem(self.db)
            if problem is None:
                self.db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise LedgerError(f"{self.path}: cannot open ledger: {exc}") from None
        if problem is not None:
            self.db.close()
            raise LedgerError(f"{self.path}: not an ndr ledger: {problem}")
        self.now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.commit()
        self.db.close()

    def known_digests(self) -> frozenset[str]:
        """Content hashes of every message already ingested."""
        return frozenset(row[0] for row in self.db.execute("SELECT digest FROM messages"))

    def add(self, messages: Iterable[MessageResult]) -> int:
        """Record messages and their failed/delayed recipients; returns how many were new."""
        new = 0
        with self.db:
            for message in messages:
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO messages(digest, source, idx, ingested) VALUES (?,?,?,?)",
                    (message.digest, message.source, message.index, self.now))
                if cursor.rowcount == 0:
                    continue
                new += 1
                self.db.executemany(
                    "INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [(message.digest, row["recipient"].lower(), when or self.now, when is not None,
                      row.get("action"), row.get("status"), row.get("reply_code"), row.get("reason"),
                      bool(row.get("hard")), row.get("remote_mta"))
                     for row, when in zip(message.records, message.times)
                     if row.get("recipient") and row.get("kind") == "bounce"
                     and row.get("action") in ("failed", "delayed", None)])
        return new

    def history(self, address: str) -> list[Event]:
        """Every event of one address, oldest first."""
        rows = self.db.execute(
            "SELECT address, happened, dated, action, status, reply_code, reason, hard, remote_mta "
            "FROM events WHERE address = ? ORDER BY happened, digest", (address.lower(),))
        return [Event(r[0], r[1], bool(r[2]), r[3], r[4], r[5], r[6], bool(r[7]), r[8]) for r in rows]

    def counts(self) -> tuple[int, int]:
        """(messages, events) stored."""
        messages = self.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        events = self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        return int(messages), int(events)

    def suppressions(self, soft_count: int = 3, soft_days: int = 7) -> list[Suppression]:
        """Addresses to stop mailing, sorted: hard bounces, then repeated soft bounces."""
        out: dict[str, Suppression] = {}
        for address, happened, reason, status in self.db.execute(
                "SELECT address, MAX(happened), reason, status FROM events "
                "WHERE hard = 1 AND action IS NOT 'delayed' GROUP BY address ORDER BY address"):
            code = f" {status}" if status else ""
            out[address] = Suppression(address, f"hard bounce ({reason}{code})", happened, reason)
        window = timedelta(days=soft_days)
        for address, times, reason in _soft_series(self.db):
            if address in out:
                continue
            span = _first_window(times, soft_count, window)
            if span is not None:
                out[address] = Suppression(
                    address, f"{soft_count} soft bounces within {soft_days} day(s) "
                             f"({span[0][:10]} to {span[1][:10]}, last: {reason})", times[-1], reason)
        return sorted(out.values(), key=lambda s: s.address)


def _soft_series(db: sqlite3.Connection) -> Iterator[tuple[str, list[str], str | None]]:
    """Per address: the times of its soft failures (oldest first) and the latest reason."""
    address: str | None = None
    times: list[str] = []
    reason: str | None = None
    for row in db.execute("SELECT address, happened, reason FROM events "
                          "WHERE hard = 0 AND action IS NOT 'delayed' ORDER BY address, happened"):
        if row[0] != address:
            if address is not None:
                yield address, times, reason
            address, times = row[0], []
        times.append(row[1])
        reason = row[2]
    if address is not None:
        yield address, times, reason


def _first_window(times: list[str], count: int, window: timedelta) -> tuple[str, str] | None:
    """The first run of ``count`` times that fits inside ``window``, if any."""
    if count <= 0 or len(times) < count:
        return None
    parsed = [datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ") for t in times]
    for start in range(len(parsed) - count + 1):
        if parsed[start + count - 1] - parsed[start] <= window:
            return times[start], times[start + count - 1]
    return None
