"""What the templates see: the report's language, the returned part and the prepared context (never
raw input)."""
from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any, Callable, Sequence

from ..reading import mime
from . import render
from ..catalog import Catalog
from .decide import Verdict, human
from ..errors import InputError
from .queue import QueuedMessage
from ..reading.text import one_line
from .. import i18n
from .lasterror import RecipientReport
from .options import ReportOptions



def _original_headers(original: bytes | None) -> mime.Headers | None:
    if original is None:
        return None
    head, _ = mime.split_header_body(mime.normalise_newlines(original))
    return mime.parse_headers(head)


def _language(env: Any, wanted: str | None, headers: mime.Headers | None) -> str:
    declared = ""
    if headers is not None:
        declared = (headers.get("content-language") or "").split(",")[0].strip()
    return _find_language(env, wanted, declared)


# (environment, --lang, declared Content-Language) → the language used, once found.
@functools.lru_cache(maxsize=1024)
def _find_language(env: Any, wanted: str | None, declared: str) -> str:
    # DECISIONS (Language): the report speaks to the original's sender, so the language the
    # original declared comes first, then --lang, then English.
    if wanted and not _speaks(env, wanted):
        raise InputError(f"lang: no message catalog and no strings template dsn/strings/{wanted}.j2")
    candidates = []
    if declared:
        candidates += [declared, i18n.language_tag(declared) or ""]
    for lang in candidates + [wanted or "", "en"]:
        if lang and _speaks(env, lang):
            return lang
    return "en"


def _speaks(env: Any, lang: str) -> bool:
    """Whether reports can be written in ``lang``: ndr has its messages, or the templates have
    a strings file for it (a user's ``dsn/strings/<lang>.j2``)."""
    if lang in i18n.LANGS:
        return True
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?", lang):
        return False
    try:
        env.get_template(f"dsn/strings/{lang}.j2")
        return True
    except Exception:
        return False


# (environment, language) → the report wording: one object per pair, so shapes repeat.
@functools.lru_cache(maxsize=256)
def _strings(env: Any, lang: str) -> Any:
    """The report wording in ``lang``: the language's own strings template when the templates
    have one, else the shipped ``dsn/strings/en.j2`` with its messages translated by gettext."""
    name = f"dsn/strings/{lang}.j2"
    try:
        env.get_template(name)
    except Exception:
        name = "dsn/strings/en.j2"
    return render.module(env, name, {"_": i18n.gettext_for(lang)})


def _returned(original: bytes | None, message: QueuedMessage, action: Verdict,
              options: ReportOptions) -> str | None:
    """``full``, ``headers`` or None (nothing to return)."""
    if original is None:
        return None
    # Delay warnings carry the header only; RET=HDRS asks for the header; big messages too.
    if action is Verdict.DELAYED or message.ret == "HDRS" or len(original) > options.max_original_bytes:
        return "headers"
    return "full"


def _context(catalog: Catalog, message: QueuedMessage, action: Verdict, reports: Sequence[RecipientReport], strings: Any,
             lang: str, subject: str, known: bool, returned: str | None, reporting_mta: str,
             queue_id: str, now: datetime, will_retry_until: datetime | None, original_id: str,
             put: Callable[[str], str]) -> dict[str, Any]:
    # ``put`` marks the per-message strings (render.Shaped); the rest repeats across reports.
    return {
        "kind": "failure" if action is Verdict.FAILED else "delay",
        "lang": lang,
        "s": strings,
        "subject": put(subject),
        "original_known": known,
        "original": returned,
        "reporting_mta": reporting_mta,
        "queue_id": put(queue_id),
        "sender": put(message.sender),
        "arrival_date": put(i18n.format_datetime(message.arrival, lang)),
        "report_date": put(i18n.format_datetime(now, lang)),
        "will_retry_until": put(i18n.format_datetime(will_retry_until, lang)) if will_retry_until else "",
        "age": put(human(now - message.arrival)),
        "envid": put(one_line(message.envid, 100) or "") if message.envid else "",
        "message_id": put(original_id),
        "permanent": action is Verdict.FAILED and all(r.status.startswith("5") for r in reports),
        "recipients": [_recipient_context(r, lang, catalog, put) for r in reports],
    }


def _recipient_context(report: RecipientReport, lang: str, catalog: Catalog,
                       put: Callable[[str], str]) -> render.Record:
    classification = report.classification
    summary = catalog.reason(classification.reason).summary.get(lang) or classification.summary
    entry = classification.entry
    return render.Record({
        "address": put(report.address),
        "status": report.status,
        "title": entry.title.get(lang) if entry is not None else "",
        "summary": summary,
        "reason": classification.reason,
        "rule": classification.rule,
        "catalog_id": entry.id if entry is not None else "",
        "hard": classification.hard,
        "causes": list(classification.causes),
        "fixes": list(classification.fixes),
        "who": list(classification.who),
        "remote_mta": put(report.remote_mta or ""),
        "diagnostic": put(report.diagnostic or ""),
        "last_attempt": put(i18n.format_datetime(report.last_attempt, lang)) if report.last_attempt else "",
        "original_recipient": put(one_line(report.original_recipient, 300) or "") if report.original_recipient else "",
    })
