"""Classification: a decoded recipient in, a reason, hard/soft and the catalog's advice out.

Precedence, fixed and documented (README "How ndr decides the reason"):

0. the format itself (feedback report, auto-reply), then the action (success; delay → expired);
1. ``hosts`` rules of the catalog, keyed by the remote server or the recipient's domain;
2. the exact enhanced status code, when its catalog entry is ``decisive``;
3. phrase patterns, reasons in priority order (a code entry's own patterns first);
4. the code's entry even when not decisive, else its class and subject (``X.S.0``);
5. ``undefined``.

Every result names the rule that decided it (``rule``), so a user can see why.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import codes
from .catalog import Catalog, CodeEntry, Host
from .match import fold

_SUCCESS = {"delivered", "relayed", "expanded"}


@dataclass(frozen=True, slots=True)
class Classification:
    """The catalog's verdict on one recipient."""

    reason: str
    rule: str
    hard: bool
    entry: CodeEntry | None
    summary: str
    causes: tuple[str, ...]
    fixes: tuple[str, ...]
    who: tuple[str, ...]


def hosts_for(catalog: Catalog, remote_mta: str | None, recipient: str | None) -> list[Host]:
    """Catalog hosts whose remote host suffix or recipient domain suffix matches."""
    remote = (remote_mta or "").lower().rstrip(".")
    domain = recipient.rpartition("@")[2].lower().rstrip(">") if recipient and "@" in recipient else ""
    found = []
    for host in catalog.hosts:
        if remote and any(remote == s.lstrip(".") or remote.endswith(s if s.startswith(".") else "." + s)
                          for s in host.remote_hosts):
            found.append(host)
        elif domain and any(domain == s or domain.endswith("." + s) for s in host.domains):
            found.append(host)
    return found


def decide(catalog: Catalog, *, status: str | None, reply: str | None, text: str | None,
           action: str | None = None, remote_mta: str | None = None, recipient: str | None = None,
           preset: str | None = None) -> tuple[str, str, CodeEntry | None]:
    """(reason id, rule id, explaining code entry) by the precedence in the module docstring."""
    matched_hosts = hosts_for(catalog, remote_mta, recipient)
    entry = catalog.code_entry(status, frozenset(h.id for h in matched_hosts))
    folded = fold(text) if text else ""
    if preset:
        return preset, f"format:{preset}", entry
    if action in _SUCCESS:
        return "delivered", f"action:{action}", entry
    if action == "delayed":  # still being retried: the message has not failed (yet)
        return "expired", "action:delayed", entry
    for host in matched_hosts:
        for index, rule in enumerate(host.rules):
            if rule.status is not None and rule.status != status:
                continue
            if rule.reply is not None and rule.reply != reply:
                continue
            if rule.phrase is not None and not rule.phrase.search(folded):
                continue
            return rule.reason, f"host:{host.id}#{index}", entry
    if entry is not None and entry.decisive:
        return entry.reason, f"code:{entry.id}", entry
    if folded:
        hit = catalog.phrases.first(folded)
        if hit is not None:
            pattern, (reason, code_entry) = hit
            return reason, f"phrase:{reason}:{pattern.source}", entry or code_entry
    if entry is not None:
        return entry.reason, f"code:{entry.id}", entry
    if status:
        subject = catalog.by_subject.get(status[2:].split(".")[0] + ".0")
        if subject is not None:
            return subject.reason, f"subject:{subject.id}", subject
    return "undefined", "undefined", None


def classify(catalog: Catalog, *, status: str | None, reply: str | None, text: str | None,
             action: str | None = None, remote_mta: str | None = None, recipient: str | None = None,
             preset: str | None = None, lang: str = "en") -> Classification:
    """Decide the reason and gather the catalog's summary, causes, fixes and who should act."""
    reason_id, rule, entry = decide(catalog, status=status, reply=reply, text=text, action=action,
                                    remote_mta=remote_mta, recipient=recipient, preset=preset)
    reason = catalog.reason(reason_id)
    hard = action != "delayed" and reason.is_hard(codes.class_of(status, reply) or "5")
    if action in _SUCCESS or preset in ("feedback", "vacation"):
        hard = False
    if entry is not None and entry.reason != reason_id and not entry.causes.get(lang):
        entry = None  # a bare registry title that says something else would only confuse
    summary = (entry.title.get(lang) if entry is not None else "") or reason.summary.get(lang)
    causes = entry.causes.get(lang) if entry is not None else ()
    fixes = entry.fixes.get(lang) if entry is not None else ()
    if not fixes and reason.advice.get(lang):
        fixes = (reason.advice.get(lang),)
    who = entry.who if entry is not None else ()
    return Classification(reason=reason_id, rule=rule, hard=hard, entry=entry, summary=summary,
                          causes=tuple(causes), fixes=tuple(fixes), who=who)
