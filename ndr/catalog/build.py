"""Building the typed, indexed ``Catalog`` from validated data (patterns compiled once)."""
from __future__ import annotations

from typing import Any, Iterable

from .match import Pattern, compile_pattern
from .phrase_index import PatternTable
from .entries import Catalog, CodeEntry, Host, HostRule, Reason, Text, TextList


def _text(value: Any) -> Text:
    if value is None:
        return Text({})
    if isinstance(value, str):
        return Text({"en": value})
    return Text({k: v for k, v in value.items() if k != "__line__"})


def _text_list(value: Any) -> TextList:
    if value is None:
        return TextList({})
    if isinstance(value, list):
        value = {"en": value}
    return TextList({k: tuple(v) for k, v in value.items() if k != "__line__"})


def _patterns(raw: Iterable[Any] | None) -> tuple[Pattern, ...]:
    return tuple(compile_pattern(p) for p in raw or ())


def build(data: dict[str, Any], label: str = "", overrides: tuple[str, ...] = (),
          deprecations: Iterable[str] = ()) -> Catalog:
    """Index a validated catalog."""
    reasons = {item["id"]: _reason(item) for item in data["reasons"]}
    entries = tuple(_code_entry(item) for item in data["codes"])
    exact, by_subject, ranges = _index(entries)
    hosts = tuple(_host(item) for item in data["hosts"])
    vendors = tuple(item for item in data["vendors"])
    notices = {k: v for k, v in (data.get("notices") or {}).items() if k != "__line__"}
    return Catalog(reasons=reasons, codes=entries, hosts=hosts, vendors=vendors,
                   webhooks=tuple(data["webhooks"]), path=label,
                   overrides=overrides, exact=exact, by_subject=by_subject, ranges=tuple(ranges),
                   phrases=_phrases(reasons, entries), notices_data=notices,
                   deprecations=tuple(deprecations))


def _reason(item: dict[str, Any]) -> Reason:
    return Reason(
        id=item["id"], priority=item["priority"], hard=item["hard"],
        default_status=item.get("default_status"), summary=_text(item.get("summary")),
        advice=_text(item.get("advice")), patterns=_patterns(item.get("patterns")),
        source=str(item.get("source", "")), after_data=item.get("after_data"),
        commands=tuple(item.get("commands") or ()),
        diagnostic_types=tuple(item.get("diagnostic_types") or ()),
        yields_to=tuple(item.get("yields_to") or ()),
        dsn_fields={name: tuple(values) for name, values in (item.get("dsn_fields") or {}).items()
                    if name != "__line__"},
        retried=_text(item.get("retried")),
    )


def _code_entry(item: dict[str, Any]) -> CodeEntry:
    return CodeEntry(
        id=item["id"], status=item.get("status"),
        reply=str(item["reply"]) if item.get("reply") is not None else None,
        title=_text(item.get("title")), reason=item["reason"],
        decisive=bool(item.get("decisive", False)), permanent=item.get("permanent"),
        vendor=item.get("vendor"), causes=_text_list(item.get("causes")),
        fixes=_text_list(item.get("fixes")), who=tuple(item.get("who") or ()),
        patterns=_patterns(item.get("patterns")), source=str(item.get("source", "")),
        yields_to=tuple(item.get("yields_to") or ()), explains=_patterns(item.get("explains")),
        general=item.get("general"), rfc_status=item.get("rfc_status"),
    )


def _index(entries: tuple[CodeEntry, ...]) -> tuple[dict[str, CodeEntry], dict[str, CodeEntry],
                                                   list[tuple[str, int, int, CodeEntry]]]:
    """Code entries by exact status, by subject (``X.`` forms) and by range."""
    exact: dict[str, CodeEntry] = {}
    by_subject: dict[str, CodeEntry] = {}
    ranges: list[tuple[str, int, int, CodeEntry]] = []
    for entry in entries:
        if not entry.status:
            continue
        if "-" in entry.status:
            prefix, _, span = entry.status.rpartition(".")
            low, high = span.split("-")
            ranges.append((prefix, int(low), int(high), entry))
        elif entry.status.startswith("X."):
            by_subject[entry.status[2:]] = entry
        else:
            exact[entry.status] = entry
    return exact, by_subject, ranges


def _host(item: dict[str, Any]) -> Host:
    return Host(
        id=item["id"], name=str(item.get("name") or item["id"]),
        remote_hosts=tuple(item.get("remote_hosts") or ()), domains=tuple(item.get("domains") or ()),
        rules=tuple(
            HostRule(reason=r["reason"], status=r.get("status"),
                     reply=str(r["reply"]) if r.get("reply") is not None else None,
                     phrase=compile_pattern(r["phrase"]) if r.get("phrase") is not None else None,
                     command=r.get("command"))
            for r in item.get("rules") or ()
        ),
        source=str(item.get("source", "")),
        notices={key: tuple(values) for key, values in (item.get("notices") or {}).items()
                 if key != "__line__"},
    )


def _phrases(reasons: dict[str, Reason],
             entries: tuple[CodeEntry, ...]) -> PatternTable[tuple[str, CodeEntry | None]]:
    """Phrase precedence: reasons by priority; a code entry's own patterns rank with its reason,
    ahead of the reason's generic phrases (they are more specific)."""
    ordered: list[tuple[int, int, Pattern, tuple[str, CodeEntry | None]]] = []
    for entry in entries:
        reason = reasons[entry.reason]
        for pattern in entry.patterns:
            ordered.append((reason.priority, 0, pattern, (entry.reason, entry)))
    for reason in reasons.values():
        for pattern in reason.patterns:
            ordered.append((reason.priority, 1, pattern, (reason.id, None)))
    ordered.sort(key=lambda row: (row[0], row[1]))
    return PatternTable.build((row[2], row[3]) for row in ordered)
