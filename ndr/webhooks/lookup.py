"""The catalog's ``webhooks`` entries as the mapping reads them: an index by provider and event
key, looked up from the most specific key down (see ``entries`` for what an entry says)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..catalog import Catalog

_INDEX = "webhooks.entries"


@dataclass(frozen=True, slots=True)
class Entry:
    """One provider classification and the reason it maps to."""

    id: str
    provider: str
    event: str
    reason: str
    action: str | None
    status: str | None
    decisive: bool
    source: str


def _index(catalog: Catalog) -> dict[tuple[str, str], Entry]:
    """(provider, event key) → entry, built once per catalog."""
    table: dict[tuple[str, str], Entry] | None = catalog.cache.get(_INDEX)
    if table is None:
        table = {}
        for item in catalog.webhooks:
            entry = Entry(id=item["id"], provider=item["provider"], event=item["event"],
                          reason=item["reason"], action=item.get("action"), status=item.get("status"),
                          decisive=bool(item.get("decisive", False)), source=str(item["source"]))
            table[(entry.provider, entry.event)] = entry
        catalog.cache[_INDEX] = table
    return table


def lookup(catalog: Catalog, provider: str, keys: Iterable[str]) -> Entry | None:
    """The entry of the first key (most specific first) the catalog maps, else None."""
    table = _index(catalog)
    for key in keys:
        entry = table.get((provider, " ".join(key.lower().split())))
        if entry is not None:
            return entry
    return None


def key_chain(*parts: str | None) -> list[str]:
    """``("bounce", "Permanent", "NoEmail")`` → ``["bounce/permanent/noemail",
    "bounce/permanent", "bounce"]``: every prefix, longest first; parts stop at the first empty."""
    clean: list[str] = []
    for part in parts:
        text = " ".join(str(part or "").lower().split())
        if not text:
            break
        clean.append(text)
    return ["/".join(clean[:n]) for n in range(len(clean), 0, -1)]
