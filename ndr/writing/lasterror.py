"""The catalog's explanation of a queued recipient's last error: status, reason, causes and fixes."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from ..catalog import codes
from ..catalog import Catalog, CodeEntry
from ..reading.cause import NETWORK
from ..reading.decoders.hosts import named_host
from ..reading.classify import Classification, classify
from ..catalog.match import PatternTable, fold
from .queue import QueueRecipient
from .text import _address, _host, one_line


@dataclass(frozen=True, slots=True)
class RecipientReport:
    """What a report says about one recipient."""

    address: str
    status: str
    """The enhanced status code written in Status."""
    diagnostic: str | None
    diagnostic_type: str | None
    """``smtp`` for a remote reply, ``X-NDR`` for a local error."""
    remote_mta: str | None
    """The server tried (from the listing or the error text)."""
    answered: bool
    """True when a remote MTA answered (an SMTP reply): only then is Remote-MTA written; for a
    refused or timed-out connection the host stays in the diagnostic (DECISIONS "Fields")."""
    last_attempt: datetime | None
    original_recipient: str | None
    verdict: Classification
    """The catalog's classification (reason, rule, causes, fixes, who)."""


def recipient_report(recipient: QueueRecipient, catalog: Catalog, lang: str = "en", codes: str = "rfc",
                     given_up: bool = False) -> RecipientReport:
    """Status, diagnostic and the catalog's explanation for one recipient's last attempt.

    ``codes``: ``rfc`` states registered RFC 3463 codes for local errors, ``exchange`` Exchange
    Online's connector codes. ``given_up``: a failure report for a message the queue gave up
    on (a network or TLS last error then has the reason ``expired``)."""
    address = _address(recipient.address, "recipient")
    attempt = recipient.last_attempt
    text = one_line(attempt.text) if attempt is not None else ""
    remote = _host(attempt.remote_mta, "remote_mta") if attempt is not None else None
    if remote is None and text:
        remote = named_host(catalog, text)  # the server the queue's error text names
    replied = attempt is not None and bool(attempt.reply)
    status, verdict, diagnostic_type = _explain(
        catalog, text, attempt.status if attempt is not None else None, replied, remote, address, lang,
        codes, given_up)
    return RecipientReport(
        address=address, status=status, diagnostic=text or None, diagnostic_type=diagnostic_type,
        remote_mta=remote, answered=replied or diagnostic_type == "smtp" or _said(text),
        last_attempt=attempt.time if attempt is not None else None,
        original_recipient=recipient.orcpt, verdict=verdict,
    )


_SAID = re.compile(r"\bhost \S+ ?\[[^\]]*\] (?:said|refused to talk to me):", re.I)


def _said(text: str) -> bool:
    """True when a queue's text quotes a remote server's answer (Postfix ``host X[ip] said:``)."""
    return bool(text) and _SAID.search(text) is not None


_EXPLAINED = "generate.explained"
_EXPLAINED_MAX = 4096
"""Cached explanations per catalog; a queue listing repeats a few errors many times."""


def _explain(catalog: Catalog, text: str, given: str | None, replied: bool, remote: str | None,
             address: str, lang: str, codes_wanted: str = "rfc",
             given_up: bool = False) -> tuple[str, Classification, str | None]:
    """(status, classification, diagnostic type) of one last error, cached per catalog.

    Classification reads the recipient only through its domain (the catalog's hosts rules,
    ``classify.hosts_for``), so the domain, not the whole address, is part of the key: every
    recipient of a listing that met the same error at the same destination shares one entry.
    """
    domain = address.rpartition("@")[2].lower() if "@" in address else None
    key = (text, given, replied, remote, domain, lang, codes_wanted, given_up)
    cache = catalog.cache.setdefault(_EXPLAINED, {})
    cached: tuple[str, Classification, str | None] | None = cache.get(key)
    if cached is not None:
        return cached
    status = given or (codes.find_status(text) if text else None)
    reply = codes.find_reply(text) if text and replied else None
    if status is None and text and codes_wanted == "exchange":
        # No code in the text: a code entry whose own patterns name this failure gives the
        # code (catalog.md: "connection refused" → the 4.4.316 entry), then classification
        # runs on that code so reason, causes and fixes agree with it.
        hit = _entry_patterns(catalog).first(fold(text))
        if hit is not None:
            status = _with_class(hit[1].status or "", reply)
    # Our own queue reported it: no vendor's advice (reporters empty), the general entries.
    verdict = classify(catalog, status=status, reply=reply, text=text or "message expired",
                       remote_mta=remote, recipient=address, lang=lang)
    if given_up and verdict.reason in NETWORK:
        verdict = replace(verdict, reason="expired", hard=False)
    if status is None:
        status = _status_for(verdict, catalog, reply)
    if not text:
        diagnostic_type = None
    elif replied or reply:
        diagnostic_type = "smtp"
    else:
        diagnostic_type = "X-NDR"
    found = (status, verdict, diagnostic_type)
    if len(cache) >= _EXPLAINED_MAX:
        cache.clear()  # a listing with that many distinct errors gains little from more
    cache[key] = found
    return found


def _entry_patterns(catalog: Catalog) -> PatternTable[CodeEntry]:
    """Code entries' own patterns (entries with a concrete code), compiled once per catalog."""
    table: PatternTable[CodeEntry] | None = catalog.cache.get("generate.entry-patterns")
    if table is None:
        table = PatternTable.build((pattern, entry) for entry in catalog.codes
                                   if entry.status and "X" not in entry.status for pattern in entry.patterns)
        catalog.cache["generate.entry-patterns"] = table
    return table


def _status_for(verdict: Classification, catalog: Catalog, reply: str | None) -> str:
    # The entry that classification found gives the code (its registered RFC 3463 code first),
    # else the reason's default status.
    entry = verdict.entry
    entry_status = (entry.rfc_status or entry.status) if entry is not None else None
    return _with_class(entry_status or catalog.reason(verdict.reason).default_status or "4.0.0", reply)


def _with_class(status: str, reply: str | None) -> str:
    # A concrete code (ranges give their first) whose class is the reply's, else 4: a message
    # still queued without a permanent answer failed transiently.
    klass = reply[0] if reply and reply[0] in "45" else "4"
    return klass + status.split("-")[0][1:]
