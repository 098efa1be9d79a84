"""Mail-flow findings: failures and delays grouped by destination (server, or domain) and catalog
entry, with first and last time seen, the usual code, and the catalog's likely cause and fix —
"37 messages to mx1.contoso.com failed with 450 4.4.316 between 09:00 and 11:40 — likely cause:
…. Fix: …". Groups below the thresholds are not findings."""
from __future__ import annotations

import pickle
from dataclasses import dataclass, field, fields
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, Callable, Iterable

from .summary import UNKNOWN, destination_server, recipient_domain
from .work import MessageResult


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a group becomes a finding (all configurable from the command line)."""

    min_count: int = 3
    """Fewest failed or delayed recipients in a group (a group is destination + reason + catalog
    entry + failed/delayed)."""
    group_by: str = "server"
    """``server`` (the remote MTA, or the domain when no server is named) or ``domain``."""
    limit: int = 25
    """Most findings kept, largest first."""


_SAMPLE = ("reason", "catalog_id", "summary", "causes", "fixes", "who", "diagnostic_code")
"""The fields of a group's first record that its finding shows."""


@dataclass(slots=True)
class _Group:
    """One finding being counted: a destination, what failed there, and the action."""

    destination: str
    key: str
    action: str
    count: int = 0
    messages: int = 0
    """Distinct messages among the group's records. A message's records are added one after the
    other, and a message is in one unit only, so a count (with ``last_message``) does what a set
    of (source, index) pairs did, and the counts of units simply add up when merged."""
    last_message: tuple[str, int] | None = None
    """The message of the record added last."""
    recipients: set[str] = field(default_factory=set)
    first: str | None = None
    last: str | None = None
    codes: dict[str, int] = field(default_factory=dict)
    """Records per code, in first-seen order (a plain dict: groups are pickled by workers, and
    a Counter unpickles through Python code)."""
    sample: dict[str, Any] | tuple["_Samples", int] = field(default_factory=dict)
    """The first record's ``_SAMPLE`` fields (in a group that came from a worker: where they are
    among the unit's samples; read them with ``sample_row``)."""

    def add(self, row: dict[str, Any], when: str | None) -> None:
        self.count += 1
        message = (row["source"], row["message_index"])
        if message != self.last_message:
            self.messages += 1
            self.last_message = message
        if row.get("recipient"):
            self.recipients.add(row["recipient"].lower())
        if when:
            self.first = when if self.first is None or when < self.first else self.first
            self.last = when if self.last is None or when > self.last else self.last
        code = " ".join(x for x in (row.get("reply_code"), row.get("status")) if x)
        code = code or "no code"
        self.codes[code] = self.codes.get(code, 0) + 1
        if not self.sample:  # only what a finding shows: groups travel from workers
            self.sample = {key: row.get(key) for key in _SAMPLE}

    def merge(self, other: "_Group") -> None:
        """Add the same group's records from later in the input."""
        self.add_counts(_counts_of(other))
        if not self.sample:
            self.sample = other.sample

    def add_counts(self, counts: tuple[Any, ...]) -> None:
        """Add the counts (``_COUNTS``) of the same group from later in the input."""
        _, _, _, count, messages, last_message, recipients, first, last, codes = counts
        self.count += count
        self.messages += messages
        self.last_message = last_message
        self.recipients |= recipients
        for when in (first, last):
            if when:
                self.first = when if self.first is None or when < self.first else self.first
                self.last = when if self.last is None or when > self.last else self.last
        for code, number in codes.items():
            self.codes[code] = self.codes.get(code, 0) + number

    def sample_row(self) -> dict[str, Any]:
        """The fields of the group's first record that its finding shows."""
        if not isinstance(self.sample, dict):
            samples, at = self.sample
            self.sample = samples.row(at)
        return self.sample


_COUNTS = tuple(f.name for f in fields(_Group) if f.name != "sample")
"""What a group carries from a worker besides its sample, in this order (``add_counts`` reads
them by position: a field added to ``_Group`` fails there, loudly, until it is counted)."""
_counts_of = attrgetter(*_COUNTS)


class _Samples:
    """The samples of the groups a worker sent together, as one pickle read on first use.

    The parent keeps a group's sample only for a group it has not seen in an earlier unit, and
    reads one only for a group that becomes a finding: one pickle per unit (whose memo stores the
    catalog's texts once) costs the worker about half of what a pickle per group did, and the
    parent reads none of it in most units."""

    __slots__ = ("data", "rows")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.rows: list[dict[str, Any]] | None = None

    def row(self, at: int) -> dict[str, Any]:
        if self.rows is None:
            self.rows, self.data = pickle.loads(self.data), b""
        return self.rows[at]


@dataclass(frozen=True, slots=True)
class Finding:
    """One group of failures or delays worth acting on."""

    destination: str
    action: str
    reason: str
    catalog_id: str | None
    count: int
    messages: int
    recipients: int
    first_seen: str | None
    last_seen: str | None
    code: str
    summary: str | None
    causes: tuple[str, ...]
    fixes: tuple[str, ...]
    who: tuple[str, ...]
    example: str | None

    @property
    def text(self) -> str:
        """The finding as one sentence (English; ``sentence`` for another language)."""
        return self.sentence()

    def sentence(self, lang: str = "en") -> str:
        """The finding as one sentence in ``lang`` (ids such as the reason stay ids)."""
        from ..i18n import gettext_for

        _ = gettext_for(lang)
        if self.action == "delayed":
            head = _("%(num)d message(s) to %(destination)s were delayed with %(code)s")
        else:
            head = _("%(num)d message(s) to %(destination)s failed with %(code)s")
        what = f" ({self.summary})" if self.summary else ""
        line = (head % {"num": self.messages, "destination": self.destination, "code": self.code}
                + f" [{self.reason}]{what}{_period(self.first_seen, self.last_seen, _)}")
        # Causes and fixes are whole sentences: join them as sentences, never "failed.; fix:".
        if self.causes:
            line += " — " + _("likely cause: %(cause)s") % {"cause": _sentence(self.causes[0])}
        if self.fixes:
            line += (" " if self.causes else " — ") + _("Fix: %(fix)s") % {"fix": _sentence(self.fixes[0])}
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "destination": self.destination, "action": self.action, "reason": self.reason,
            "catalog_id": self.catalog_id, "count": self.count, "messages": self.messages,
            "recipients": self.recipients, "first_seen": self.first_seen,
            "last_seen": self.last_seen, "code": self.code, "summary": self.summary,
            "causes": list(self.causes), "fixes": list(self.fixes), "who": list(self.who),
            "example": self.example, "text": self.text,
        }


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def _period(first: str | None, last: str | None, _: Callable[[str], str]) -> str:
    if not first or not last:
        return ""
    start = f"{first[:10]} {first[11:16]}"
    if first == last:
        return " " + _("at %(when)s UTC") % {"when": start}
    end = last[11:16] if first[:10] == last[:10] else f"{last[:10]} {last[11:16]}"
    return " " + _("between %(first)s and %(last)s UTC") % {"first": start, "last": end}


class FindingsBuilder:
    """Collects failed and delayed records, then turns big enough groups into findings."""

    def __init__(self, thresholds: Thresholds = Thresholds()) -> None:
        if thresholds.group_by not in ("server", "domain"):
            raise ValueError(f"group_by must be 'server' or 'domain', not {thresholds.group_by!r}")
        self.thresholds = thresholds
        self._groups: dict[tuple[str, str, str], _Group] = {}
        self._arrived: tuple[list[tuple[Any, ...]], _Samples] | None = None
        """Groups that came from a worker, as it sent them, until they are merged or read: most
        of a long input's groups were seen in an earlier unit, and their counts are added to
        those without a ``_Group`` being made for them."""

    @property
    def groups(self) -> dict[tuple[str, str, str], _Group]:
        """The groups, by (destination, reason/catalog id, action)."""
        if self._arrived is not None:
            counts, shared = self._arrived
            self._arrived = None
            for at, values in enumerate(counts):
                self._groups[values[:3]] = _arrived(values, shared, at)
        return self._groups

    def add_messages(self, messages: Iterable[MessageResult]) -> None:
        for message in messages:
            for row, when in zip(message.records, message.times):
                self.add(row, when)

    def add(self, row: dict[str, Any], when: str | None) -> None:
        action = row.get("action") or "failed"
        if row.get("kind") != "bounce" or action not in ("failed", "delayed"):
            return
        destination = recipient_domain(row.get("recipient"))
        if self.thresholds.group_by == "server":
            server = destination_server(row)
            destination = server if server != UNKNOWN else destination
        # the reason separates "550 5.0.0 user unknown" from "550 5.0.0 too many recipients"
        key = f"{row.get('reason') or 'undefined'}/{row.get('catalog_id') or '-'}"
        groups = self.groups
        group = groups.get((destination, key, action))
        if group is None:
            group = groups[(destination, key, action)] = _Group(destination, key, action)
        group.add(row, when)

    def __getstate__(self) -> tuple[Any, ...]:
        # A worker's builder travels to the parent: the groups' counts as plain tuples (pickled
        # in C), their samples in one pickle beside them (see ``_Samples``).
        groups = list(self.groups.values())
        samples = pickle.dumps([group.sample_row() for group in groups], pickle.HIGHEST_PROTOCOL)
        return self.thresholds, list(map(_counts_of, groups)), samples

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.thresholds, counts, samples = state
        self._groups = {}
        self._arrived = (counts, _Samples(samples))

    def merge(self, other: "FindingsBuilder") -> None:
        """Add the groups another builder collected from later in the input."""
        groups = self.groups
        if other._arrived is not None:  # from a worker: counts added, groups made only when new
            counts, shared = other._arrived
            for at, values in enumerate(counts):
                mine = groups.get(values[:3])
                if mine is None:
                    groups[values[:3]] = _arrived(values, shared, at)
                else:
                    mine.add_counts(values)
            return
        for key, group in other.groups.items():
            mine = groups.get(key)
            if mine is None:
                groups[key] = group
            else:
                mine.merge(group)

    def findings(self) -> list[Finding]:
        """Groups at or above the thresholds, largest first (ties in a stable order)."""
        chosen = [g for g in self.groups.values() if g.count >= self.thresholds.min_count]
        chosen.sort(key=lambda g: (-g.messages, -g.count, g.destination, g.key, g.action))
        return [_finding(g) for g in chosen[: self.thresholds.limit]]


def _arrived(counts: tuple[Any, ...], samples: _Samples, at: int) -> _Group:
    """A group as a worker sent it: its counts, and where its sample is."""
    group = _Group.__new__(_Group)
    # each setattr called from C (map), not by a Python loop: hundreds of groups per unit;
    # setattr returns None, so any() runs them all
    any(map(setattr, repeat(group, len(counts)), _COUNTS, counts))
    group.sample = (samples, at)
    return group


def _finding(group: _Group) -> Finding:
    row = group.sample_row()
    return Finding(
        destination=group.destination, action=group.action, reason=row.get("reason") or "undefined",
        catalog_id=row.get("catalog_id"), count=group.count, messages=group.messages,
        recipients=len(group.recipients), first_seen=group.first, last_seen=group.last,
        code=max(group.codes.items(), key=itemgetter(1))[0], summary=row.get("summary"),
        causes=tuple(row.get("causes") or ()), fixes=tuple(row.get("fixes") or ()),
        who=tuple(row.get("who") or ()), example=row.get("diagnostic_code"),
    )


def render_text(findings: list[Finding], lang: str = "en") -> str:
    """Findings for the terminal in ``lang``, one paragraph each."""
    from ..i18n import gettext_for

    _ = gettext_for(lang)
    if not findings:
        return _("findings: none above the thresholds")
    lines = [_("findings:")]
    example = _("e.g.")
    for number, finding in enumerate(findings, 1):
        lines.append(f"  {number}. {finding.sentence(lang)}")
        if finding.example:
            lines.append(f"     {example} {finding.example[:200]}")
    return "\n".join(lines)
