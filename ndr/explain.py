"""``explain``: what a code or a diagnostic line means, its likely causes and its fixes."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from .catalog import codes
from .catalog import Catalog, load_catalog
from .reading.classify import classify
from .reading.text import host_in_text
from .model import plain_fields
from .policy import DEFAULT, Policy


@dataclass(frozen=True, slots=True)
class Explanation:
    """The catalog's reading of a status code, reply code or diagnostic text."""

    query: str
    status: str | None
    reply_code: str | None
    reason: str
    rule: str
    hard: bool
    catalog_id: str | None
    title: str
    reason_summary: str
    causes: tuple[str, ...]
    fixes: tuple[str, ...]
    who: tuple[str, ...]
    remote_mta: str | None
    source: str | None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return plain_fields(self)


def explain(query: str, *, policy: Policy = DEFAULT, catalog: Catalog | None = None,
            lang: str | None = None) -> Explanation:
    """Explain ``4.4.316``, ``450 4.4.316`` or a raw diagnostic line, in ``policy.lang``.

    ``lang=`` is deprecated: pass ``policy=ndr.Policy(lang=...)`` (one settings object for
    parse, explain and generate).

    Raises ``ValueError`` when ``query`` is empty or only white space: there is nothing to explain.

    >>> explain("450 4.4.316").reason
    'networkerror'
    """
    if lang is not None:
        warnings.warn("explain(lang=...) is deprecated; pass policy=Policy(lang=...)",
                      DeprecationWarning, stacklevel=2)
        policy = policy.clone(lang=lang)
    lang = policy.lang or "en"
    catalog = catalog or load_catalog(policy.catalog)
    text = " ".join(query.split())
    if not text:
        raise ValueError("explain: nothing to explain; give a status code (5.1.1), a reply code "
                         "(550), an Exchange code (4.4.316) or a diagnostic line")
    status = codes.find_status(text)
    reply = codes.find_reply(text)
    verdict = classify(catalog, status=status, reply=reply, text=text, lang=lang,
                       action="failed" if status is None or status[0] != "4" else None)
    entry = verdict.entry
    if entry is None:
        # No code entry: the phrase may still point at one (connection refused → 4.4.316).
        matches = catalog.entries_for_pattern(" ".join(text.lower().split()))
        entry = matches[0] if matches else None
    reason = catalog.reason(verdict.reason)
    causes = entry.causes.get(lang) if entry else ()
    fixes = entry.fixes.get(lang) if entry else ()
    if not fixes and reason.advice.get(lang):
        fixes = (reason.advice.get(lang),)
    return Explanation(
        query=query, status=status, reply_code=reply, reason=verdict.reason, rule=verdict.rule,
        hard=verdict.hard, catalog_id=entry.id if entry else None,
        title=entry.title.get(lang) if entry else reason.summary.get(lang),
        reason_summary=reason.summary.get(lang), causes=tuple(causes), fixes=tuple(fixes),
        who=entry.who if entry else (), remote_mta=host_in_text(text),
        source=entry.source if entry else reason.source,
    )
