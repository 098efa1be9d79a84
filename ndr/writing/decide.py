"""The decision per queued message and recipient: fail it, warn about the delay, or leave it.

Pure: a ``QueuedMessage``, the current time and the timers in; ``Decision`` records out. Nothing
is read or written here.

- **failed**: forced expiry (``postsuper -e``), a permanent (5xx / 5.x.x) answer already seen, or
  the message is at or past its lifetime (``now >= arrival + lifetime``);
- **delayed**: past a warning threshold (``arrival + threshold <= now``) that no warning has
  covered yet (the last warning was sent before that threshold was reached);
- **none**: neither.

RFC 3461 NOTIFY then decides whether the sender is told: NEVER tells nothing; a NOTIFY list
without FAILURE suppresses the failure report, without DELAY the warning. Without NOTIFY the
failure is reported and delays are warned about (what Postfix does with delay_warning_time set).
A message from the null sender (a bounce itself) is never answered.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from ..catalog import codes
from .queue import QueuedMessage, QueueRecipient


class Verdict(enum.StrEnum):
    """What happens to one recipient now."""

    FAILED = "failed"
    DELAYED = "delayed"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict for one recipient, why, and whether the sender gets a report about it."""

    recipient: QueueRecipient
    verdict: Verdict
    why: str
    """``forced-expiry``, ``permanent``, ``expired``, ``warn-after 4h``, ``not yet`` ..."""
    report: bool
    """False when NOTIFY (or the null sender) suppresses the report."""
    note: str = ""
    """Why no report is sent, when ``report`` is False."""


@dataclass(frozen=True, slots=True)
class MessageDecision:
    """Every recipient's decision for one message, and the reports it needs."""

    message: QueuedMessage
    decisions: tuple[Decision, ...]
    age: timedelta
    will_retry_until: datetime
    """arrival + lifetime: the Will-Retry-Until of a delay warning."""

    def to_report(self, verdict: Verdict) -> tuple[QueueRecipient, ...]:
        """The recipients one report of this kind covers (empty: no report)."""
        return tuple(d.recipient for d in self.decisions if d.verdict is verdict and d.report)


def is_permanent(recipient: QueueRecipient) -> bool:
    """True when any attempt already got a permanent (class 5) answer."""
    for attempt in recipient.attempts:
        status = attempt.status or (codes.find_status(attempt.reply) if attempt.reply else None)
        reply = codes.find_reply(attempt.reply) if attempt.reply else None
        if codes.class_of(status, reply) == "5":
            return True
    return False


def human(delta: timedelta) -> str:
    """``4h``, ``1d12h``, ``30m``: the shortest form of a duration."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def decide(message: QueuedMessage, *, now: datetime, lifetime: timedelta,
           warn_after: Sequence[timedelta] = ()) -> MessageDecision:
    """Decide every recipient of ``message`` at time ``now``.

    ``warn_after`` are the delay-warning thresholds, measured from arrival (e.g. 4h and 12h).
    """
    age = now - message.arrival
    expires = message.arrival + lifetime
    due = [t for t in sorted(warn_after) if t < lifetime and message.arrival + t <= now]
    decisions = []
    for recipient in message.recipients:
        if message.forced_expire:
            verdict, why = Verdict.FAILED, "forced-expiry"
        elif is_permanent(recipient):
            verdict, why = Verdict.FAILED, "permanent"
        elif now >= expires:
            verdict, why = Verdict.FAILED, f"expired (lifetime {human(lifetime)})"
        elif due and (message.last_warning is None or message.last_warning < message.arrival + due[-1]):
            verdict, why = Verdict.DELAYED, f"warn-after {human(due[-1])}"
        elif due:
            verdict, why = Verdict.NONE, f"already warned (warn-after {human(due[-1])})"
        else:
            verdict, why = Verdict.NONE, "not yet"
        report, note = _notify(message, recipient, verdict)
        decisions.append(Decision(recipient=recipient, verdict=verdict, why=why, report=report, note=note))
    return MessageDecision(message=message, decisions=tuple(decisions), age=age, will_retry_until=expires)


def _notify(message: QueuedMessage, recipient: QueueRecipient, verdict: Verdict) -> tuple[bool, str]:
    if verdict is Verdict.NONE:
        return False, ""
    if not message.sender:
        return False, "null sender: a bounce is never answered"
    notify = recipient.notify
    if notify is None:
        return True, ""
    if "NEVER" in notify:
        return False, "NOTIFY=NEVER"
    wanted = "FAILURE" if verdict is Verdict.FAILED else "DELAY"
    if wanted not in notify:
        return False, f"NOTIFY={','.join(sorted(notify))} (no {wanted})"
    return True, ""
