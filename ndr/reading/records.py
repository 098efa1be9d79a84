"""Flat per-recipient records: the JSON Lines / CSV shape shared by ``ndr parse``, ``ndr analyze``
and ``--exec``. One definition, so every output carries the same fields."""
from __future__ import annotations

from typing import Any

from ..model import SCALAR_TYPES, SUCCESS_ACTIONS, Kind, RecipientResult, Report, plain
from ..safetext import clean_tree, no_surrogates

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
    if not include_all and report.kind is not Kind.BOUNCE:  # is_reportable, for every recipient
        return []
    out = []
    for recipient in report.recipients:
        if include_all or recipient.action not in SUCCESS_ACTIONS:
            row = _row(report, recipient, source, index)
            out.append(_cleaned(row) if clean else row)  # user text: no surrogate
    return out


def _cleaned(row: dict[str, Any]) -> dict[str, Any]:
    """``clean_tree(row)``: the row itself when the walk would only copy it (nearly every row:
    decoded text already went through ``no_surrogates``), found in one pass over its values at a
    quarter of the walk's cost; else the walk."""
    if _surrogate_free(row):
        return row
    cleaned: dict[str, Any] = clean_tree(row)
    return cleaned


def _surrogate_free(row: dict[str, Any]) -> bool:
    """True when every value is a scalar, a text without a lone surrogate, or a list of those."""
    for value in row.values():
        kind = type(value)
        if kind is str:
            if not value.isascii() and no_surrogates(value) is not value:
                return False
        elif kind is list:
            for item in value:
                if type(item) is str:
                    if not item.isascii() and no_surrogates(item) is not item:
                        return False
                elif type(item) not in SCALAR_TYPES:
                    return False
        elif kind not in SCALAR_TYPES:  # a str subclass, a tuple, a dict ...: the walk decides
            return False
    return True


_KEYS: dict[str, Any] = dict.fromkeys(FIELDS)
"""Every row starts as a copy of this (never changed itself): one block copied, where a dict
display of 39 keys costs twice as much, growing and rehashing its table as it is filled. Setting
a key it holds keeps the key's place, so every row keeps FIELDS' order."""


def _row(report: Report, recipient: RecipientResult, source: str, index: int) -> dict[str, Any]:
    """One row: the report's fields as they are (its arrival date as ``plain`` gives it), the
    recipient's each as ``plain`` gives it, with ``plain`` called only for a value that is no
    scalar. Written out field by field (tests/test_records_fast.py holds it to FIELDS and to the
    plain per-field form): a loop over FIELDS with getattr costs 1.7 times as much, and this runs
    for every record written; generating it at import would cost a third of a millisecond at
    every start of a mailbox rule."""
    row = _KEYS.copy()
    original = report.original
    v: Any  # each field's value in turn
    row["source"] = source
    row["message_index"] = index
    row["kind"] = report.kind._value_  # .value is a Python-level property: 5 times slower
    row["decoder"] = report.decoder
    row["recipient"] = v if type(v := recipient.recipient) in SCALAR_TYPES else plain(v)
    row["original_recipient"] = v if type(v := recipient.original_recipient) in SCALAR_TYPES else plain(v)
    row["action"] = v if type(v := recipient.action) in SCALAR_TYPES else plain(v)
    row["status"] = v if type(v := recipient.status) in SCALAR_TYPES else plain(v)
    row["reply_code"] = v if type(v := recipient.reply_code) in SCALAR_TYPES else plain(v)
    row["diagnostic_code"] = v if type(v := recipient.diagnostic_code) in SCALAR_TYPES else plain(v)
    row["diagnostic_type"] = v if type(v := recipient.diagnostic_type) in SCALAR_TYPES else plain(v)
    row["remote_mta"] = v if type(v := recipient.remote_mta) in SCALAR_TYPES else plain(v)
    row["reporting_mta"] = v if type(v := recipient.reporting_mta) in SCALAR_TYPES else plain(v)
    row["received_from_mta"] = report.received_from_mta
    row["arrival_date"] = v if type(v := report.arrival_date) in SCALAR_TYPES else plain(v)
    row["last_attempt_date"] = v if type(v := recipient.last_attempt_date) in SCALAR_TYPES else plain(v)
    row["will_retry_until"] = v if type(v := recipient.will_retry_until) in SCALAR_TYPES else plain(v)
    row["smtp_command"] = v if type(v := recipient.smtp_command) in SCALAR_TYPES else plain(v)
    row["reason"] = v if type(v := recipient.reason) in SCALAR_TYPES else plain(v)
    row["hard"] = v if type(v := recipient.hard) in SCALAR_TYPES else plain(v)
    row["rule"] = v if type(v := recipient.rule) in SCALAR_TYPES else plain(v)
    row["catalog_id"] = v if type(v := recipient.catalog_id) in SCALAR_TYPES else plain(v)
    row["summary"] = v if type(v := recipient.summary) in SCALAR_TYPES else plain(v)
    row["causes"] = v if type(v := recipient.causes) in SCALAR_TYPES else plain(v)
    row["fixes"] = v if type(v := recipient.fixes) in SCALAR_TYPES else plain(v)
    row["who"] = v if type(v := recipient.who) in SCALAR_TYPES else plain(v)
    row["feedback_type"] = v if type(v := recipient.feedback_type) in SCALAR_TYPES else plain(v)
    row["status_source"] = v if type(v := recipient.status_source) in SCALAR_TYPES else plain(v)
    row["last_error_status"] = v if type(v := recipient.last_error_status) in SCALAR_TYPES else plain(v)
    row["last_error"] = v if type(v := recipient.last_error) in SCALAR_TYPES else plain(v)
    row["record_id"] = v if type(v := recipient.record_id) in SCALAR_TYPES else plain(v)
    row["original_message_id"] = original.message_id
    row["original_subject"] = original.subject
    row["original_from"] = original.from_
    row["original_to"] = original.to
    row["original_date"] = original.date
    row["original_envelope_id"] = report.original_envelope_id
    row["subject"] = report.subject
    row["defects"] = [str(d) for d in report.defects] if report.defects else []  # a list of its own
    return row
