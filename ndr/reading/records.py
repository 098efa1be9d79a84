"""Flat per-recipient records: the JSON Lines / CSV shape shared by ``ndr parse``, ``ndr analyze``
and ``--exec``. One definition, so every output carries the same fields."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Callable

from ..codecache import cached_exec
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
    out = []
    for recipient in report.recipients:
        if include_all or is_reportable(report.kind, recipient.action):
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

_FROM_REPORT = {
    "source": "source", "message_index": "index",
    "kind": "report.kind._value_",  # .value is a Python-level property: 5 times slower
    "decoder": "report.decoder", "received_from_mta": "report.received_from_mta",
    "arrival_date": "v if type(v := report.arrival_date) in SCALAR_TYPES else plain(v)",
    "original_message_id": "original.message_id", "original_subject": "original.subject",
    "original_from": "original.from_", "original_to": "original.to", "original_date": "original.date",
    "original_envelope_id": "report.original_envelope_id", "subject": "report.subject",
    "defects": "[str(d) for d in report.defects] if report.defects else []",  # a list of its own
}
"""Where each field that is not the recipient's own comes from: an expression over the report,
the message's ``source`` and ``index``. The recipient's own fields are read from it, each as
``plain`` gives it, with ``plain`` called only for a value that is no scalar."""


def _row_function() -> Callable[[Report, RecipientResult, str, int], dict[str, Any]]:
    """``_row(report, recipient, source, index)``: one row, written out field by field from
    FIELDS (a loop over FIELDS with getattr costs 1.7 times as much, and this runs for every
    record written); its code comes from the code cache, so a start does not compile it."""
    own = {f.name for f in fields(RecipientResult)}
    lines = ["def _row(report, recipient, source, index):",
             "    row = _KEYS.copy()", "    original = report.original"]
    for name in FIELDS:
        value = f"v if type(v := recipient.{name}) in SCALAR_TYPES else plain(v)" if name in own \
            else _FROM_REPORT[name]
        lines.append(f"    row[{name!r}] = {value}")
    lines.append("    return row")
    namespace: dict[str, Any] = {}
    cached_exec("\n".join(lines) + "\n", {"_KEYS": _KEYS, "SCALAR_TYPES": SCALAR_TYPES, "plain": plain},
                namespace)
    made: Callable[[Report, RecipientResult, str, int], dict[str, Any]] = namespace["_row"]
    return made


_row = _row_function()
