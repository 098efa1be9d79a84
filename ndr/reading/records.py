"""Flat per-recipient records: the JSON Lines / CSV shape shared by ``ndr parse``, ``ndr analyze``
and ``--exec``. One definition, so every output carries the same fields."""
from __future__ import annotations

from typing import Any

from dataclasses import fields

from ..model import SCALAR_TYPES, SUCCESS_ACTIONS, Kind, RecipientResult, Report, plain
from ..safetext import clean_tree

FIELDS = (
    "source", "message_index", "kind", "decoder", "recipient", "original_recipient", "action",
    "status", "reply_code", "diagnostic_code", "diagnostic_type", "remote_mta", "reporting_mta",
    "received_from_mta", "arrival_date", "last_attempt_date", "will_retry_until", "smtp_command",
    "reason", "hard", "rule", "catalog_id", "summary", "causes", "fixes", "who", "feedback_type",
    "status_source", "last_error_status", "last_error", "record_id",
    "original_message_id", "original_subject", "original_from", "original_to", "original_date",
    "original_envelope_id", "subject", "defects",
)


def is_reportable(kind: Kind, action: str | None) -> bool:
    """Failed and delayed recipients of bounces; everything else only with ``--all``."""
    return kind is Kind.BOUNCE and action not in SUCCESS_ACTIONS


def records(report: Report, source: str, index: int = 0, include_all: bool = False,
            clean: bool = True) -> list[dict[str, Any]]:
    """The report's recipients as flat dictionaries (JSON-ready), filtered unless ``include_all``.

    ``clean``: every string loses its lone surrogates (``safetext.clean_tree``). A caller that
    encodes each row at once may pass ``False`` and check the encoded row instead
    (``safetext.json_line``): one walk over the row fewer, for the many rows that hold none.
    """
    out = []
    shared: dict[str, Any] | None = None
    for recipient in report.recipients:
        if not include_all and not is_reportable(report.kind, recipient.action):
            continue
        if shared is None:  # the report's own fields, the same in each of its rows
            original = report.original
            shared = {
                "source": source, "message_index": index, "kind": report.kind.value,
                "decoder": report.decoder, "received_from_mta": report.received_from_mta,
                "arrival_date": plain(report.arrival_date), "original_message_id": original.message_id,
                "original_subject": original.subject, "original_from": original.from_,
                "original_to": original.to, "original_date": original.date,
                "original_envelope_id": report.original_envelope_id, "subject": report.subject,
            }
        shared["defects"] = [str(d) for d in report.defects]  # a list of its own in each row
        # built in FIELDS order at once (plain_fields, then reordering, cost twice as much)
        row = {name: (got if type(got := getattr(recipient, name)) in SCALAR_TYPES else plain(got))
               if own else shared[name] for name, own in _ORDER}
        out.append(clean_tree(row) if clean else row)  # user text: no surrogate
    return out


_OWN = frozenset(f.name for f in fields(RecipientResult))
_ORDER = tuple((name, name in _OWN) for name in FIELDS)
"""Each field of a row, and whether the recipient's record holds it (else the report does)."""
