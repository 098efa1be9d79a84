"""Expiry and warning decisions: lifetime edges, warnings already sent, NOTIFY, null sender."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ndr.writing.decide import Verdict, decide, human, is_permanent
from ndr.writing.queue import Attempt, LocalError, QueuedMessage, QueueRecipient

T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)
H = timedelta(hours=1)


def _message(*recipients, **kwargs):
    recipients = recipients or (QueueRecipient("b@example.net", attempts=(Attempt(T0, "mx.example.net", error=LocalError.TIMEOUT),)),)
    return QueuedMessage(kwargs.pop("queue_id", "Q1"), kwargs.pop("sender", "a@example.com"), T0, tuple(recipients), **kwargs)


def _one(message, now, lifetime=24 * H, warn=(4 * H, 12 * H)):
    return decide(message, now=now, lifetime=lifetime, warn_after=warn).decisions[0]


def test_exactly_at_the_lifetime_fails_one_second_before_does_not():
    assert _one(_message(), T0 + 24 * H).verdict is Verdict.FAILED
    before = _one(_message(), T0 + 24 * H - timedelta(seconds=1))
    assert before.verdict is Verdict.DELAYED and before.why == "warn-after 12h"


def test_warning_thresholds_and_warnings_already_sent():
    assert _one(_message(), T0 + 3 * H).verdict is Verdict.NONE
    assert _one(_message(), T0 + 4 * H).verdict is Verdict.DELAYED  # exactly at the threshold
    warned_4h = _message(last_warning=T0 + 4 * H + timedelta(minutes=5))
    assert _one(warned_4h, T0 + 6 * H).verdict is Verdict.NONE
    assert _one(warned_4h, T0 + 6 * H).why.startswith("already warned")
    second = _one(warned_4h, T0 + 12 * H)
    assert second.verdict is Verdict.DELAYED and second.why == "warn-after 12h"
    warned_12h = _message(last_warning=T0 + 12 * H)
    assert _one(warned_12h, T0 + 20 * H).verdict is Verdict.NONE
    assert _one(warned_12h, T0 + 24 * H).verdict is Verdict.FAILED  # warnings never stop a bounce


def test_no_warnings_without_thresholds_and_thresholds_beyond_the_lifetime_ignored():
    assert _one(_message(), T0 + 10 * H, warn=()).verdict is Verdict.NONE
    assert _one(_message(), T0 + 30 * H, lifetime=48 * H, warn=(72 * H,)).verdict is Verdict.NONE


def test_forced_expiry_and_permanent_answers_fail_at_once():
    assert _one(_message(forced_expire=True), T0 + H).why == "forced-expiry"
    permanent = QueueRecipient("b@example.net", attempts=(
        Attempt(T0, "mx.example.net", reply="550 5.1.1 user unknown"),
        Attempt(T0 + H, "mx.example.net", error=LocalError.TIMEOUT)))
    assert is_permanent(permanent)
    decision = _one(_message(permanent), T0 + 2 * H)
    assert decision.verdict is Verdict.FAILED and decision.why == "permanent"
    assert not is_permanent(QueueRecipient("b@example.net", attempts=(Attempt(T0, reply="451 4.3.0 later"),)))
    assert is_permanent(QueueRecipient("b@example.net", attempts=(Attempt(T0, detail="x", status="5.7.1"),)))


@pytest.mark.parametrize("notify, at, verdict, report", [
    (None, 24, Verdict.FAILED, True),
    (None, 5, Verdict.DELAYED, True),
    (frozenset({"NEVER"}), 24, Verdict.FAILED, False),
    (frozenset({"NEVER"}), 5, Verdict.DELAYED, False),
    (frozenset({"FAILURE"}), 24, Verdict.FAILED, True),
    (frozenset({"FAILURE"}), 5, Verdict.DELAYED, False),
    (frozenset({"DELAY"}), 24, Verdict.FAILED, False),
    (frozenset({"DELAY"}), 5, Verdict.DELAYED, True),
    (frozenset({"SUCCESS"}), 24, Verdict.FAILED, False),
    (frozenset({"FAILURE", "DELAY"}), 5, Verdict.DELAYED, True),
])
def test_notify(notify, at, verdict, report):
    recipient = QueueRecipient("b@example.net", notify=notify, attempts=(Attempt(T0, error=LocalError.DNS),))
    decision = _one(_message(recipient), T0 + at * H)
    assert (decision.verdict, decision.report) == (verdict, report)
    if not report:
        assert decision.note


def test_null_sender_is_never_answered():
    decision = _one(_message(sender=""), T0 + 48 * H)
    assert decision.verdict is Verdict.FAILED and not decision.report and "null sender" in decision.note


def test_one_report_per_kind_covers_its_recipients():
    fail = QueueRecipient("x@example.net", attempts=(Attempt(T0, reply="550 5.1.1 no"),))
    wait = QueueRecipient("y@example.net", attempts=(Attempt(T0, error=LocalError.REFUSED),))
    silent = QueueRecipient("z@example.net", notify=frozenset({"FAILURE"}), attempts=(Attempt(T0, error=LocalError.REFUSED),))
    result = decide(_message(fail, wait, silent), now=T0 + 5 * H, lifetime=24 * H, warn_after=[4 * H])
    assert [r.address for r in result.to_report(Verdict.FAILED)] == ["x@example.net"]
    assert [r.address for r in result.to_report(Verdict.DELAYED)] == ["y@example.net"]
    assert result.will_retry_until == T0 + 24 * H


def test_human_durations():
    assert human(36 * H) == "1d12h" and human(timedelta(minutes=30)) == "30m" and human(timedelta()) == "0s"
