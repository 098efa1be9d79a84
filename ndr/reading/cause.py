"""One record's story: the classification of what the notice says, and — inside an expiry notice
— of the last real error the attempts met (DECISIONS "Fields" and "reason for given-up messages").

A message given up after retrying keeps the status the notice states; its reason is ``expired``
when the last real error was a network or TLS condition (refused, timed out, DNS, TLS,
certificate, dropped), and the catalog entry, causes and fixes come from that error: "Expired
after retrying: Connection refused by the destination server". A last error that names another
cause (a full mailbox kept deferring) leaves the notice's own verdict in place.
"""
from __future__ import annotations

from collections.abc import Container, Mapping

from ..catalog import Catalog, codes
from .classify import Classification, classify

NETWORK = frozenset({"networkerror", "failedstarttls", "securityerror", "expired", "notaccept"})
"""Reasons of a last error that make a given-up message ``expired`` (the queue gave up on a
network or TLS condition, or on a server that kept refusing sessions: 421 4.3.2 at the greeting,
seen in the mail lab)."""
TIMEOUTS = frozenset({"net-timeout", "exo-4.4.315"})
"""Entries of a connection that timed out: in a final failure without a code of its own, the
sender gave up waiting for an answer (``expired``); in a delay, ``networkerror``."""


def classify_record(catalog: Catalog, *, status: str | None, reply: str | None, text: str | None,
                    action: str | None, lang: str = "en", last_error: str | None = None,
                    last_error_status: str | None = None, reporters: Container[str] = frozenset(),
                    remote_mta: str | None = None, recipient: str | None = None,
                    preset: str | None = None, reporting_mta: str | None = None,
                    smtp_command: str | None = None, diagnostic_type: str | None = None,
                    extensions: Mapping[str, str] | None = None,
                    notice: str | None = None) -> tuple[Classification, str | None]:
    """(classification, last_error_status): ``classify`` of the notice, then of its last real
    error when there is one; the last error's status is inferred from its entry when unstated."""
    verdict = classify(catalog, status=status, reply=reply, text=text, action=action, lang=lang,
                       reporters=reporters, remote_mta=remote_mta, recipient=recipient, preset=preset,
                       reporting_mta=reporting_mta, smtp_command=smtp_command,
                       diagnostic_type=diagnostic_type, extensions=extensions, notice=notice)
    if not last_error:
        if action == "failed" and verdict.entry is not None and verdict.entry.id in TIMEOUTS \
                and codes.is_class_only(status or "5.0.0"):
            return verdict._replace(reason="expired", rule=verdict.rule + "+gave-up", hard=False), None
        return verdict, last_error_status
    cause = classify(catalog, status=last_error_status, reply=codes.find_reply(last_error),
                     text=last_error, action="failed", lang=lang, reporters=reporters,
                     remote_mta=remote_mta, recipient=recipient, reporting_mta=reporting_mta)
    inferred = last_error_status or _status_of(cause)
    if action == "delayed" and cause.entry is not None:
        # still retrying: the error the attempts meet is the story (networkerror …), not expiry
        return cause._replace(rule=f"last-error:{cause.rule}", hard=False), inferred
    if cause.reason not in NETWORK or cause.entry is None:
        return verdict, inferred
    lead = catalog.reason("expired").retried.get(lang)
    summary = f"{lead}: {cause.summary}" if lead and cause.summary else cause.summary
    return cause._replace(reason="expired", rule=f"last-error:{cause.rule}", hard=False,
                   summary=summary), inferred


def _status_of(cause: Classification) -> str | None:
    """The registered code of the last error's condition: its entry's RFC 3463 code, else the
    entry's own concrete code."""
    entry = cause.entry
    if entry is None:
        return None
    if entry.rfc_status:
        return entry.rfc_status
    if entry.status and "X" not in entry.status and "-" not in entry.status:
        return entry.status
    return None
