"""Mail-flow findings: failures and delays grouped by destination (server, or domain) and catalog
entry, with first and last time seen, the usual code, and the catalog's likely cause and fix —
"37 messages to mx1.contoso.com failed with 450 4.4.316 between 09:00 and 11:40 — likely cause:
…. Fix: …". Groups below the thresholds are not findings."""
from __future__ import annotations

import pickle
from dataclasses import dataclass, field, fields
from itertools import repeat
from operator import itemgetter
from typing import Any, Callable, Iterable, cast

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
    messages: set[tuple[str, int]] = field(default_factory=set)
    recipients: set[str] = field(default_factory=set)
    first: str | None = None
    last: str | None = None
    codes: dict[str, int] = field(default_factory=dict)
    """Records per code, in first-seen order (a plain dict: groups are pickled by workers, and
    a Counter unpickles through Python code)."""
    sample: dict[str, Any] | bytes = field(default_factory=dict)
    """The first record's ``_SAMPLE`` fields (pickled bytes in a group that came from a worker:
    read them with ``sample_row``)."""

    def add(self, row: dict[str, Any], when: str | None) -> None:
        self.count += 1
        self.messages.add((row["source"], row["message_index"]))
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
        self.count += other.count
        self.messages |= other.messages
        self.recipients |= other.recipients
        for when in (other.first, other.last):
            if when:
                self.first = when if self.first is None or when < self.first else self.first
                self.last = when if self.last is None or when > self.last else self.last
        for code, count in other.codes.items():
            self.codes[code] = self.codes.get(code, 0) + count
        if not self.sample:
            self.sample = other.sample

    def __getstate__(self) -> tuple[Any, ...]:
        # A worker's groups travel to the parent, which keeps a group's sample only for a group
        # it has not seen yet (most groups of a long input were seen in an earlier unit): the
        # sample (catalog texts, a diagnostic) travels as pickled bytes, unpickled only when read
        # (``sample_row``): half of what the parent spent unpickling a worker's groups.
        state = [getattr(self, name) for name in _GROUP_FIELDS]
        if type(self.sample) is not bytes:
            state[_SAMPLE_AT] = pickle.dumps(self.sample, pickle.HIGHEST_PROTOCOL)
        return tuple(state)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        # each setattr called from C (map), not by a Python loop: the parent unpickles hundreds
        # of groups per unit; setattr returns None, so any() runs them all
        any(map(setattr, repeat(self, len(state)), _GROUP_FIELDS, state))

    def sample_row(self) -> dict[str, Any]:
        """The fields of the group's first record that its finding shows."""
        if isinstance(self.sample, bytes):
            self.sample = pickle.loads(self.sample)
        return cast("dict[str, Any]", self.sample)


_GROUP_FIELDS = tuple(f.name for f in fields(_Group))
_SAMPLE_AT = _GROUP_FIELDS.index("sample")


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
        self.groups: dict[tuple[str, str, str], _Group] = {}

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
        group = self.groups.get((destination, key, action))
        if group is None:
            group = self.groups[(destination, key, action)] = _Group(destination, key, action)
        group.add(row, when)

    def merge(self, other: "FindingsBuilder") -> None:
        """Add the groups another builder collected from later in the input."""
        for key, group in other.groups.items():
            mine = self.groups.get(key)
            if mine is None:
                self.groups[key] = group
            else:
                mine.merge(group)

    def findings(self) -> list[Finding]:
        """Groups at or above the thresholds, largest first (ties in a stable order)."""
        chosen = [g for g in self.groups.values() if g.count >= self.thresholds.min_count]
        chosen.sort(key=lambda g: (-len(g.messages), -g.count, g.destination, g.key, g.action))
        return [_finding(g) for g in chosen[: self.thresholds.limit]]


def _finding(group: _Group) -> Finding:
    row = group.sample_row()
    return Finding(
        destination=group.destination, action=group.action, reason=row.get("reason") or "undefined",
        catalog_id=row.get("catalog_id"), count=group.count, messages=len(group.messages),
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
