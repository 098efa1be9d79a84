"""The catalog's ``webhooks`` section, its validation (run by the catalog loader, so this module
stays light: ``ndr parse`` loads it): each email service provider's own classification of an
event, mapped to an ndr reason.

An entry names the provider, the event ``key`` its module builds from the payload (lowercase,
``/``-separated, most specific first: ``bounce/permanent/noemail`` then ``bounce/permanent``),
the ``reason`` it means, the ``action`` it reports (``failed``, ``delayed``; none for
complaints and auto-replies), an optional ``status`` used when the event states no code, and
whether it is ``decisive``. A decisive entry decides the reason (SES ``NoEmail``: the address
does not exist); a non-decisive one stands in only when ndr's own classification of the
provider's diagnostic text finds nothing specific (SES ``General``: the text says more).
"""

from typing import Any, Iterable, Mapping, NamedTuple
from ..lazy import regex

PROVIDERS = ("ses", "sendgrid", "mailgun", "postmark")
ACTIONS = ("failed", "delayed")
_STATUS = regex(r"^[245]\.\d{1,3}\.\d{1,3}$")  # a plain code (no ranges or X. forms here)
_KEYS = {"id", "provider", "event", "reason", "action", "status", "decisive", "source", "__line__"}


def entry_problems(item: Any, reason_ids: set[str], before: Iterable[Any] = ()) -> list[str]:
    """Problems in one ``webhooks`` entry; ``before`` are the entries above it (duplicates)."""
    if not isinstance(item, dict):
        return ["must be a mapping"]
    problems = [f"unknown field {name!r}" for name in item if name not in _KEYS]
    if not isinstance(item.get("id"), str) or not item["id"]:
        problems.append("missing id")
    if item.get("provider") not in PROVIDERS:
        problems.append(f"provider must be one of {', '.join(PROVIDERS)}")
    event = item.get("event")
    if not isinstance(event, str) or not event or event != event.strip().lower():
        problems.append("event must be a lowercase key such as bounce/permanent/noemail")
    if item.get("reason") not in reason_ids:
        problems.append(f"unknown reason {item.get('reason')!r}")
    if item.get("action") is not None and item["action"] not in ACTIONS:
        problems.append(f"action must be one of {', '.join(ACTIONS)} (or absent)")
    status = item.get("status")
    if status is not None and not (isinstance(status, str) and _STATUS.match(status)):
        problems.append(f"malformed status {status!r} (want C.S.D with class 2, 4 or 5)")
    if not isinstance(item.get("decisive", False), bool):
        problems.append("decisive must be true or false")
    if not item.get("source"):
        problems.append("missing source")
    for other in before:
        if isinstance(other, dict) and other.get("id") == item.get("id"):
            problems.append(f"duplicate id {item.get('id')!r}")
        elif isinstance(other, dict) and (other.get("provider"), other.get("event")) == (
                item.get("provider"), item.get("event")):
            problems.append(f"{item.get('provider')} event {event!r} is already mapped by "
                            f"{other.get('id')!r}")
    return problems


class WebhookEntry(NamedTuple):
    """One provider classification and the reason it maps to."""

    id: str
    provider: str
    event: str
    reason: str
    action: str | None
    status: str | None
    decisive: bool
    source: str


def index(items: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], WebhookEntry]:
    """(provider, event key) → entry, for validated ``webhooks`` entries."""
    table: dict[tuple[str, str], WebhookEntry] = {}
    for item in items:
        entry = WebhookEntry(id=item["id"], provider=item["provider"], event=item["event"],
                             reason=item["reason"], action=item.get("action"), status=item.get("status"),
                             decisive=bool(item.get("decisive", False)), source=str(item["source"]))
        table[(entry.provider, entry.event)] = entry
    return table
