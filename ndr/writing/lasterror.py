"""The catalog's explanation of a queued recipient's last error: status, reason, causes and fixes."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from ..catalog import codes
from ..catalog import Catalog
from ..reading.cause import NETWORK
from ..reading.decoders.settle import answered_in, named_host
from ..reading.classify import Classification, classify
from ..catalog.match import fold
from .queue import QueueRecipient
from ..reading.text import one_line
from .text import MAX_DIAGNOSTIC, _address, _host


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
    classification: Classification
    """The catalog's classification (reason, rule, causes, fixes, who)."""

    @property
    def verdict(self) -> Classification:
        """The old name of ``classification`` (``Verdict`` is what the generator decides)."""
        return self.classification


def recipient_report(recipient: QueueRecipient, catalog: Catalog, lang: str = "en", codes: str = "rfc",
                     given_up: bool = False) -> RecipientReport:
    """Status, diagnostic and the catalog's explanation for one recipient's last attempt.

    ``codes``: ``rfc`` states registered RFC 3463 codes for local errors, ``exchange`` Exchange
    Online's connector codes. ``given_up``: a failure report for a message the queue gave up
    on (a network or TLS last error then has the reason ``expired``)."""
    address = _address(recipient.address, "recipient")
    attempt = recipient.last_attempt
    text = (one_line(attempt.text, MAX_DIAGNOSTIC) or "") if attempt is not None else ""
    remote = _host(attempt.remote_mta, "remote_mta") if attempt is not None else None
    if remote is None and text:
        remote = named_host(catalog, text)  # the server the queue's error text names
    replied = attempt is not None and bool(attempt.reply)
    status, classification, diagnostic_type = _explain(
        catalog, text, attempt.status if attempt is not None else None, replied, remote, address, lang,
        codes, given_up)
    answered = replied or diagnostic_type == "smtp" or answered_in(catalog, text) is not None
    return RecipientReport(
        address=address, status=status, diagnostic=text or None, diagnostic_type=diagnostic_type,
        remote_mta=remote, answered=answered,
        last_attempt=attempt.time if attempt is not None else None,
        original_recipient=recipient.orcpt, classification=classification,
    )



def _explain(catalog: Catalog, text: str, given: str | None, replied: bool, remote: str | None,
             address: str, lang: str, codes_wanted: str = "rfc",
             given_up: bool = False) -> tuple[str, Classification, str | None]:
    """(status, classification, diagnostic type) of one last error, remembered per catalog.

    Classification reads the recipient only through its domain (the catalog's hosts rules,
    ``classify.hosts_for``), so the domain, not the whole address, is part of the key: every
    recipient of a listing that met the same error at the same destination shares one entry.
    """
    domain = address.rpartition("@")[2].lower() if "@" in address else None
    return _explained(catalog, text, given, replied, remote, domain, lang, codes_wanted, given_up)


# A queue listing repeats a few errors many times; one with more distinct errors than this
# gains little from remembering more.
@functools.lru_cache(maxsize=4096)
def _explained(catalog: Catalog, text: str, given: str | None, replied: bool, remote: str | None,
               domain: str | None, lang: str, codes_wanted: str,
               given_up: bool) -> tuple[str, Classification, str | None]:
    status = given or (codes.find_status(text) if text else None)
    reply = codes.find_reply(text) if text and replied else None
    if status is None and text and codes_wanted == "exchange":
        # No code in the text: a code entry whose own patterns name this failure gives the
        # code (catalog.md: "connection refused" → the 4.4.316 entry), then classification
        # runs on that code so reason, causes and fixes agree with it.
        hit = catalog.entry_patterns.first(fold(text))
        if hit is not None:
            status = _with_class(hit[1].status or "", reply)
    # Our own queue reported it: no vendor's advice (reporters empty), the general entries.
    classification = classify(catalog, status=status, reply=reply, text=text or "message expired",
                              remote_mta=remote, recipient=f"@{domain}" if domain else None, lang=lang)
    if given_up and classification.reason in NETWORK:
        classification = classification._replace(reason="expired", hard=False)
    if status is None:
        status = _status_for(classification, catalog, reply)
    if not text:
        diagnostic_type = None
    elif replied or reply:
        diagnostic_type = "smtp"
    else:
        diagnostic_type = "X-NDR"
    return status, classification, diagnostic_type


def _status_for(classification: Classification, catalog: Catalog, reply: str | None) -> str:
    # The entry that classification found gives the code (its registered RFC 3463 code first),
    # else the reason's default status.
    entry = classification.entry
    entry_status = (entry.rfc_status or entry.status) if entry is not None else None
    return _with_class(entry_status or catalog.reason(classification.reason).default_status or "4.0.0", reply)


def _with_class(status: str, reply: str | None) -> str:
    # A concrete code (ranges give their first) whose class is the reply's, else 4: a message
    # still queued without a permanent answer failed transiently.
    klass = reply[0] if reply and reply[0] in "45" else "4"
    return klass + status.split("-")[0][1:]
