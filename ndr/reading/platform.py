"""Who reported a failure: the providers whose own MTA wrote the notice.

DECISIONS "Language": Microsoft 365 connector advice is chosen by who reported the failure —
Exchange Online / EOP, known by its reporting host or its NDR layout — not by the code alone.
The catalog's ``hosts`` entries say both: a reporting MTA under one of their ``remote_hosts``,
or a notice showing one of their ``notices`` marks (a header present, a From fragment, a body
phrase such as Exchange's "Diagnostic information for administrators" or its localized forms).
"""
from __future__ import annotations

from collections.abc import Mapping

from ..catalog import Catalog
from .classify import hosts_for
from .decoders.base import Mail

_BODY_LIMIT = 65536
"""Characters of the lowercased body searched for a layout mark (labels sit near the top)."""


class Reporters:
    """``reporters(mail, reporting_mta)``, computed on the first membership test: most records
    are explained by an entry without a vendor counterpart, and never ask."""

    __slots__ = ("_mail", "_reporting", "_found")

    def __init__(self, mail: Mail, reporting_mta: str | None) -> None:
        self._mail = mail
        self._reporting = reporting_mta
        self._found: frozenset[str] | None = None

    def __contains__(self, vendor: object) -> bool:
        if self._found is None:
            self._found = reporters(self._mail, self._reporting)
        return vendor in self._found


def reporters(mail: Mail, reporting_mta: str | None) -> frozenset[str]:
    """Ids of the catalog hosts that reported this notice."""
    found = {host.id for host in hosts_for(mail.catalog, reporting_mta, None)}
    for host in mail.catalog.hosts:
        if host.id not in found and host.notices and _shows(mail, host.notices):
            found.add(host.id)
    return frozenset(found)


def writers(catalog: Catalog, text: str) -> frozenset[str]:
    """Ids of the catalog hosts whose own words (``notices`` body marks) a text carries: a
    diagnostic line explained alone (``ndr explain``)."""
    lower = text.lower()
    return frozenset(host.id for host in catalog.hosts
                     if any(phrase in lower for phrase in host.notices.get("body", ())))


def _shows(mail: Mail, marks: Mapping[str, tuple[str, ...]]) -> bool:
    if any(mail.headers.get(name) is not None for name in marks.get("headers", ())):
        return True
    sender = mail.sender
    if any(fragment in sender for fragment in marks.get("from", ())):
        return True
    body = mail.body_lower
    return any(body.find(phrase, 0, _BODY_LIMIT) >= 0 for phrase in marks.get("body", ()))
