"""The catalog's ``webhooks`` entries as the mapping reads them: an index by provider and event
key, looked up from the most specific key down (``ndr.catalog.webhooks`` says what an entry says)."""
from __future__ import annotations

from typing import Iterable

from ..catalog import Catalog
from ..catalog.webhooks import WebhookEntry as Entry


def lookup(catalog: Catalog, provider: str, keys: Iterable[str]) -> Entry | None:
    """The entry of the first key (most specific first) the catalog maps, else None."""
    table = catalog.webhook_index
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
