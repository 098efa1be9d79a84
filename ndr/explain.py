"""``explain``: what a code or a diagnostic line means, its likely causes and its fixes."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from .catalog import codes
from .catalog import Catalog, CodeEntry, load_catalog
from .reading import platform
from .reading.cause import classify_record
from .reading.decoders import settle
from .model import plain_fields
from .policy import DEFAULT, Policy
from .lazy import regex

_BARE_REPLY = regex(r"^[245]\d\d$")
_BARE_STATUS = regex(r"^[245]\.\d{1,3}\.\d{1,3}$")
_CODE_WORD = regex(r"^(?:\d{3}|\d\.\d{1,3}\.\d{1,3})$")
"""A word shaped like a code (valid or not: ``9.9.9`` is a query of its own, not understood)."""


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
    last_error_status: str | None = None
    """For an expiry line (Exchange ``LED=``, Postfix ``delivery temporarily suspended``): the
    code of the last real error, which the explanation is about."""
    understood: bool = True
    """False when nothing in the catalog matches the query (no code, no known phrase)."""

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return plain_fields(self)


def explain(query: str, *, policy: Policy = DEFAULT, catalog: Catalog | None = None,
            lang: str | None = None) -> Explanation:
    """Explain ``4.4.316``, ``450 4.4.316``, a bare reply code (``550``) or a diagnostic line, in
    ``policy.lang``.

    ``lang=`` is deprecated: pass ``policy=ndr.Policy(lang=...)`` (one settings object for
    parse, explain and generate).

    Raises ``ValueError`` when ``query`` is empty or only white space: there is nothing to explain.

    >>> explain("450 4.4.316").reason
    'networkerror'
    >>> explain("hello world").understood
    False
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
    if _BARE_REPLY.match(text):
        return _reply(query, text, catalog, lang)
    status = codes.find_status(text)
    reply = codes.find_reply(text)
    last_status, last_error = _last_error(catalog, text)
    reporters = _reporters(catalog, text)
    given_up = last_error is not None or status in ("4.4.7", "5.4.7")
    verdict, last_status = classify_record(
        catalog, status=status, reply=reply, text=text, lang=lang,
        action="failed" if given_up or status is None or status[0] != "4" else None,
        last_error=last_error, last_error_status=last_status, reporters=reporters)
    entry = verdict.entry
    if entry is None:
        # No code entry: the phrase may still point at one (connection refused → refused entry).
        matches = catalog.entries_for_pattern(" ".join(text.lower().split()))
        entry = catalog.scoped(matches[0], reporters) if matches else None
    reason = catalog.reason(verdict.reason)
    causes = entry.causes.get(lang) if entry else ()
    fixes = entry.fixes.get(lang) if entry else ()
    if not fixes and reason.advice.get(lang):
        fixes = (reason.advice.get(lang),)
    # Understood: a code, or a phrase, host rule or entry of the catalog matched the text.
    understood = bool(status or reply or last_error or entry) or not (
        verdict.rule.startswith("undefined") or verdict.rule.endswith("+unstated"))
    return Explanation(
        query=query, status=status, reply_code=reply, reason=verdict.reason, rule=verdict.rule,
        hard=verdict.hard, catalog_id=entry.id if entry else None,
        title=(verdict.summary if last_error else None)
        or (entry.title.get(lang) if entry else reason.summary.get(lang)),
        reason_summary=reason.summary.get(lang), causes=tuple(causes), fixes=tuple(fixes),
        who=entry.who if entry else (), remote_mta=settle.named_host(catalog, text),
        source=entry.source if entry else reason.source,
        last_error_status=last_status if last_error else None,
        understood=understood,
    )


def _reply(query: str, text: str, catalog: Catalog, lang: str) -> Explanation:
    """A bare reply code: what it and its class mean (RFC 5321 §4.2.1)."""
    entry = _reply_entry(catalog, text)
    reason = catalog.reason("undefined")
    title = entry.title.get(lang) if entry is not None else text
    if entry is not None and entry.reply != text:
        title = f"{text}: {entry.causes.get(lang)[0] if entry.causes.get(lang) else title}"
    return Explanation(
        query=query, status=None, reply_code=text, reason=reason.id, rule=f"reply:{text[0]}yz",
        hard=False, catalog_id=entry.id if entry is not None else None, title=title,
        reason_summary=reason.summary.get(lang),
        causes=entry.causes.get(lang) if entry is not None else (),
        fixes=entry.fixes.get(lang) if entry is not None else (),
        who=entry.who if entry is not None else (), remote_mta=None,
        source=entry.source if entry is not None else None, understood=entry is not None,
    )


def _reply_entry(catalog: Catalog, reply: str) -> CodeEntry | None:
    """The catalog's entry for a reply code without a status, else one of the same class."""
    same_class = None
    for entry in catalog.codes:
        if entry.status is None and entry.reply is not None:
            if entry.reply == reply:
                return entry
            if same_class is None and entry.reply[0] == reply[0]:
                same_class = entry
    return same_class


def _last_error(catalog: Catalog, text: str) -> tuple[str | None, str | None]:
    """The last real error an expiry line quotes (Exchange ``LED=``, Postfix ``delivery
    temporarily suspended:`` …), from the catalog's ``last_error`` shapes."""
    lay = catalog.notices
    if lay is None:
        return None, None
    for expression in lay.last_error:
        match = expression.search(text)
        if match is not None and match.group(1).strip():
            error = match.group(1).strip()
            return codes.find_status(error), error
    return None, None


def _reporters(catalog: Catalog, text: str) -> frozenset[str]:
    """Who wrote the line (DECISIONS "Language": advice by who reported the failure): a vendor
    whose own words it carries (a host's ``notices`` body marks: Exchange's ``LED=``,
    ``QUEUE.Expired`` …), or the vendor of a code only that vendor defines (4.4.316)."""
    found = set(platform.writers(catalog, text))
    status = codes.find_status(text) or ""
    entry = catalog.exact.get(status)
    if entry is not None and entry.vendor is not None and status[2:] not in catalog.by_subject:
        found.add(entry.vendor)
    return frozenset(found)


def explain_all(queries: list[str], *, policy: Policy = DEFAULT,
                catalog: Catalog | None = None) -> list[Explanation]:
    """Explain each query (``split_queries`` groups command-line words into queries)."""
    catalog = catalog or load_catalog(policy.catalog)
    return [explain(q, policy=policy, catalog=catalog) for q in queries]


def split_queries(words: list[str]) -> list[str]:
    """Command-line words as queries: a word that is a code starts a new query (``4.4.316 5.1.1``
    are two), a status right after a bare reply code joins it (``450 4.4.316``), and other words
    join the query before them (``550 5.1.1 user unknown``, an unquoted diagnostic line)."""
    queries: list[list[str]] = []
    for word in words:
        code = bool(_CODE_WORD.match(word))
        joins_reply = bool(_BARE_STATUS.match(word) and queries and len(queries[-1]) == 1
                           and _BARE_REPLY.match(queries[-1][0]))
        codes_only = bool(queries) and all(_CODE_WORD.match(w) for w in queries[-1])
        if not queries or (code and codes_only and not joins_reply):
            queries.append([word])
        else:
            queries[-1].append(word)
    return [" ".join(q) for q in queries]
