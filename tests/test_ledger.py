"""The ledger: content-hash dedup across runs, per-address history, suppression rules."""
from __future__ import annotations

from ndr.batch.ledger import Ledger
from ndr.batch.work import MessageResult


def _message(digest, address, when, hard, action="failed", reason="mailboxfull"):
    row = {"recipient": address, "kind": "bounce", "action": action, "status": "5.1.1" if hard else "4.2.2",
           "reply_code": "550", "reason": "userunknown" if hard else reason, "hard": hard,
           "remote_mta": "mx.example.net"}
    return MessageResult("box", 0, digest, (row,), (when,))


def test_dedup_and_history(tmp_path):
    path = tmp_path / "l.db"
    with Ledger(path) as ledger:
        assert ledger.add([_message("a", "X@Example.net", "2024-05-01T10:00:00Z", False),
                           _message("a", "x@example.net", "2024-05-01T10:00:00Z", False)]) == 1
    with Ledger(path) as ledger:
        assert ledger.known_digests() == {"a"}
        assert ledger.add([_message("a", "x@example.net", None, False),
                           _message("b", "x@example.net", None, False)]) == 1
        history = ledger.history("X@EXAMPLE.NET")
        assert [e.dated for e in history] == [True, False]
        assert ledger.counts() == (2, 2)


def test_suppressions_hard_once_soft_n_within_d_days(tmp_path):
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.add([_message("h", "gone@example.com", "2024-01-01T00:00:00Z", True)])
        for i, day in enumerate(("01", "03", "05")):  # three within 7 days
            ledger.add([_message(f"s{i}", "full@example.com", f"2024-02-{day}T00:00:00Z", False)])
        for i, day in enumerate(("01", "15", "28")):  # three, but spread over a month
            ledger.add([_message(f"t{i}", "slow@example.com", f"2024-03-{day}T00:00:00Z", False)])
        for i in range(5):  # delays are not bounces
            ledger.add([_message(f"d{i}", "late@example.com", "2024-04-01T00:00:00Z", False, "delayed")])
        assert [s.address for s in ledger.suppressions(3, 7)] == ["full@example.com", "gone@example.com"]
        assert [s.address for s in ledger.suppressions(3, 30)] == [
            "full@example.com", "gone@example.com", "slow@example.com"]
        assert [s.address for s in ledger.suppressions(4, 365)] == ["gone@example.com"]
        (hard,) = [s for s in ledger.suppressions() if s.address == "gone@example.com"]
        assert "hard bounce" in hard.why and hard.reason == "userunknown"
