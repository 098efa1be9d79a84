"""The summary of a batch: counts by reason, status code, destination domain, destination server,
hard/soft and day, plus the problems. Rendered as terminal tables or as JSON."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from itertools import repeat
from typing import Any

from ..reading.mbox import Problem
from ..safetext import clean_tree
from .work import UnitResult

UNKNOWN = "(unknown)"


def recipient_domain(address: str | None) -> str:
    """The domain part of an address, lowercased; ``(unknown)`` when there is none."""
    if not address or "@" not in address:
        return UNKNOWN
    return address.rsplit("@", 1)[1].strip(" >").lower() or UNKNOWN


def destination_server(row: dict[str, Any]) -> str:
    """The server that refused or could not be reached, else ``(unknown)``."""
    value = (row.get("remote_mta") or "").strip().lower()
    return value or UNKNOWN


@dataclass(slots=True)
class Summary:
    """Running totals over the records of one analysis."""

    messages: int = 0
    """Messages parsed in this run."""
    skipped: int = 0
    """Messages skipped because the ledger already had them."""
    records: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_domain: Counter[str] = field(default_factory=Counter)
    by_server: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    by_action: Counter[str] = field(default_factory=Counter)
    by_day: Counter[str] = field(default_factory=Counter)
    by_day_reason: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    problems: list[Problem] = field(default_factory=list)

    def __getstate__(self) -> tuple[Any, ...]:
        # A worker's summary travels to the parent once per unit. Pickled as they are, its
        # counters (hundreds per unit: one per day for the day-by-reason table) unpickle each
        # through Counter's Python constructor; as plain dicts they unpickle in C, and become
        # counters again without that constructor (``_counter``).
        return tuple(
            {day: dict(reasons) for day, reasons in value.items()} if name == "by_day_reason"
            else dict(value) if isinstance(value, Counter) else value
            for name, value in zip(_FIELDS, map(getattr, repeat(self), _FIELDS)))

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(_FIELDS, state):
            if name == "by_day_reason":
                value = defaultdict(Counter, {day: _counter(reasons) for day, reasons in value.items()})
            elif isinstance(value, dict):
                value = _counter(value)
            setattr(self, name, value)

    def add(self, result: UnitResult) -> None:
        """Fold one unit's results in (its folded counts when a worker folded them)."""
        self.skipped += result.skipped
        self.problems.extend(result.problems)
        if result.folded is not None:
            self.merge(result.folded.summary)
            return
        for message in result.messages:
            self.messages += 1
            for row, when in zip(message.records, message.times):
                self.add_record(row, when)

    def merge(self, other: "Summary") -> None:
        """Add another summary's counts (of records that come after this one's, so that ties
        keep the order in which values were first seen)."""
        self.messages += other.messages
        self.skipped += other.skipped
        self.records += other.records
        self.problems.extend(other.problems)
        for mine, theirs in ((self.by_reason, other.by_reason), (self.by_status, other.by_status),
                             (self.by_domain, other.by_domain), (self.by_server, other.by_server),
                             (self.by_severity, other.by_severity), (self.by_action, other.by_action),
                             (self.by_day, other.by_day)):
            mine.update(theirs)
        for day, reasons in other.by_day_reason.items():
            self.by_day_reason[day].update(reasons)

    def add_record(self, row: dict[str, Any], when: str | None) -> None:
        self.records += 1
        reason = row.get("reason") or "undefined"
        self.by_reason[reason] += 1
        self.by_status[row.get("status") or row.get("reply_code") or UNKNOWN] += 1
        self.by_domain[recipient_domain(row.get("recipient"))] += 1
        self.by_server[destination_server(row)] += 1
        self.by_severity["hard" if row.get("hard") else "soft"] += 1
        self.by_action[row.get("action") or row.get("kind") or UNKNOWN] += 1
        day = when[:10] if when else UNKNOWN
        self.by_day[day] += 1
        self.by_day_reason[day][reason] += 1

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """JSON-ready totals (every table in full unless ``top`` is given)."""
        def table(counter: Counter[str]) -> dict[str, int]:
            return dict(counter.most_common(top))

        return {
            "messages": self.messages, "skipped_already_in_ledger": self.skipped,
            "records": self.records, "problems": len(self.problems),
            "by_reason": table(self.by_reason), "by_status": table(self.by_status),
            "by_destination_domain": table(self.by_domain),
            "by_destination_server": table(self.by_server),
            "by_severity": table(self.by_severity), "by_action": table(self.by_action),
            "by_day": dict(sorted(self.by_day.items())),
            "problem_list": [problem_dict(p) for p in self.problems],
        }

    def render_text(self, top: int = 10, lang: str = "en") -> str:
        """Terminal tables in ``lang``: the totals, then the top rows of each breakdown."""
        from ..i18n import gettext_for

        _ = gettext_for(lang)
        lines = [_("%(messages)d message(s) analysed, %(records)d record(s), %(skipped)d skipped "
                   "(already in the ledger), %(problems)d problem(s)")
                 % {"messages": self.messages, "records": self.records, "skipped": self.skipped,
                    "problems": len(self.problems)}]
        severity = Counter({_(k): v for k, v in self.by_severity.items()})
        for title, counter in ((_("reason"), self.by_reason), (_("status code"), self.by_status),
                               (_("destination domain"), self.by_domain),
                               (_("destination server"), self.by_server),
                               (_("hard/soft"), severity)):
            lines += ["", *render_table(title, counter.most_common(top), len(counter) - top,
                                        self.records, lang)]
        days = sorted(self.by_day.items())
        if days:
            lines += ["", *render_table(_("day"), days[-top:], len(days) - top, self.records, lang)]
        if self.problems:
            lines += ["", _("problems:")]
            lines += [f"  {p.label}#{p.index}: {p.error}" for p in self.problems[:top]]
            if len(self.problems) > top:
                lines.append("  " + _("… and %(num)d more (see --summary)") % {"num": len(self.problems) - top})
        return "\n".join(lines)


_FIELDS = tuple(f.name for f in fields(Summary))


def _counter(counts: dict[str, int]) -> Counter[str]:
    """A counter holding ``counts``, made without Counter's Python constructor."""
    counter: Counter[str] = Counter.__new__(Counter)
    dict.update(counter, counts)
    return counter


def render_table(title: str, rows: list[tuple[str, int]], more: int = 0,
                 total: int | None = None, lang: str = "en") -> list[str]:
    """A table in ``lang``: value, count, share of ``total`` (default: of the rows shown)."""
    from ..i18n import gettext_for

    _ = gettext_for(lang)
    if not rows:
        return [f"{title}: " + _("none")]
    count = _("count")
    width = max(len(title), *(len(str(k)) for k, _v in rows))
    total = total or sum(v for _k, v in rows) or 1
    out = [f"{title:<{width}}  {count:>7}", f"{'-' * width}  {'-' * 7}"]
    out += [f"{k:<{width}}  {v:>7}  {100 * v / total:5.1f}%" for k, v in rows]
    if more > 0:
        out.append(_("… %(num)d more") % {"num": more})
    return out


def problem_dict(problem: Problem) -> dict[str, Any]:
    """A problem record as JSON: file, member, index, error."""
    value: dict[str, Any] = clean_tree({"file": problem.source, "member": problem.member,
                                        "index": problem.index, "error": problem.error})
    return value
