"""Issue 13: a ledger file someone else wrote (another schema, a recursive view, a trigger) is a
clear error, never exit 75, a hang or an out-of-memory. Each test failed before its fix."""
from __future__ import annotations

import sqlite3

import pytest

from ndr.cli import main

from .conftest import EXAMPLES

HOSTILE = {
    "other columns": "CREATE TABLE messages (digest TEXT PRIMARY KEY, other TEXT);",
    "recursive view": ("CREATE VIEW messages(digest) AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL "
                       "SELECT x + 1 FROM n) SELECT x FROM n;"),
    "trigger": ("CREATE TABLE messages (digest TEXT PRIMARY KEY, source TEXT NOT NULL, idx INTEGER NOT NULL, "
                "ingested TEXT NOT NULL); CREATE TABLE junk (x); CREATE TRIGGER t AFTER INSERT ON messages "
                "BEGIN INSERT INTO junk WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
                "SELECT x FROM n; END;"),
    "not a database": None,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_ledger_is_a_clear_error(tmp_path, capsys, name: str) -> None:
    db = tmp_path / "ledger.db"
    if HOSTILE[name] is None:
        db.write_bytes(b"this is no database" * 100)
    else:
        with sqlite3.connect(db) as con:
            con.executescript(HOSTILE[name])
    code = main(["analyze", "-q", "--jobs", "1", "--db", str(db), str(EXAMPLES / "postfix-user-unknown.eml")])
    err = capsys.readouterr().err
    assert code not in (0, 3, 75) and "ledger" in err and "internal error" not in err, (code, err)


def test_suppressions_refuse_a_hostile_ledger(tmp_path, capsys) -> None:
    db = tmp_path / "ledger.db"
    with sqlite3.connect(db) as con:
        con.executescript(HOSTILE["recursive view"])
    code = main(["suppressions", "--db", str(db)])
    assert code not in (0, 75) and "ledger" in capsys.readouterr().err
