"""A unit's results folded, where they were produced, into what ``analyze`` keeps: the records
rendered as text, the summary's counts and the findings' groups.

A worker folds its own unit, so the parent only merges a few counters and writes one string per
unit: a parent that handled every record (JSON encoding, counting) would take a core away from
the workers. Merging partial counts in unit order gives exactly the totals (and the same order of
ties) that adding every record in input order gives, so ``--jobs 2`` writes what ``--jobs 1`` does.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

from .findings import FindingsBuilder, Thresholds
from .output import render
from .summary import Summary
from .work import UnitResult


@dataclass(slots=True)
class Folded:
    """One unit's share of the outputs."""

    summary: Summary
    """Counts over the unit's records (its problems and skips stay on the ``UnitResult``)."""
    groups: FindingsBuilder
    text: bytes
    """The unit's records rendered in the records format, UTF-8 (empty when none are wanted):
    bytes, so the parent neither decodes nor encodes them."""

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # Pickle 5 can send the records (most of what a unit's result weighs) beside the pickle
        # instead of inside it: the pool's pipes then carry them without a copy on either side
        # (``pool._send_all`` and ``pool._receive``).
        text: Any = pickle.PickleBuffer(self.text) if protocol >= 5 else self.text
        return _folded, (self.summary, self.groups, text)


def _folded(summary: Summary, groups: FindingsBuilder, text: Any) -> Folded:
    """A ``Folded`` unpickled: records that came beside the pickle arrive as a read-only view
    of the buffer they were read into, which is what they are kept as."""
    if isinstance(text, memoryview):
        text = text.obj
    return Folded(summary, groups, text)


@dataclass(frozen=True, slots=True)
class Fold:
    """How to fold results (small and picklable: it travels to each worker once)."""

    records: str | None = None
    """``jsonl`` or ``csv`` to render records, None when no records are written."""
    thresholds: Thresholds = Thresholds()
    keep_messages: bool = False
    """Keep the parsed messages on the result as well (the ledger stores them one by one)."""

    def apply(self, result: UnitResult) -> UnitResult:
        """``result`` with ``folded`` set (once: a folded result is returned as it is)."""
        if result.folded is not None:
            return result
        summary = Summary()
        groups = FindingsBuilder(self.thresholds)
        rows: list[dict[str, Any]] = []
        for message in result.messages:
            summary.messages += 1
            rows += message.records
            for row, when in zip(message.records, message.times):
                summary.add_record(row, when)
                groups.add(row, when)
        result.folded = Folded(summary, groups, render(rows, self.records) if self.records else b"")
        if not self.keep_messages:
            result.messages = []
        return result
