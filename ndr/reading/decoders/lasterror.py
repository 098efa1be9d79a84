"""The last real error inside an expiry notice (DECISIONS "Fields": ``last_error_status`` and
``last_error``), read by ``hosts.settle`` for every decoder.

A message given up after retrying is reported with the queue's own words (Exchange ``550 4.4.7
QUEUE.Expired``, Exim ``retry timeout exceeded``, Sendmail ``Message could not be delivered for
5 days``) or, by Postfix, with the last deferral kept under ``Action: failed`` and its 4.x.x
status. The real cause is the error the attempts met: Exchange's ``LED=``, Postfix's ``delivery
temporarily suspended: …``, the Exim host error before ``retry timeout exceeded``, Sendmail's
``Deferred: …``. The shapes are the catalog's (fallback entry, ``last_error`` and ``given_up``);
this module decides when a record is an expiry notice and which text is its last error.
"""
from __future__ import annotations

import re
from typing import Callable

from ...catalog import codes
from ...catalog.match import aligned_lower
from ...catalog.search import holding, literal_search
from ..text import one_line
from .base import RawRecipient
from ...catalog.notices import Notices as Layout, holds_any
from ...lazy import regex

_LIMIT = 500
"""Most characters of a last error kept (an LED carries a few bracketed fields)."""
_QUEUE_STATUSES = ("4.4.7", "5.4.7")


def given_up(lay: Layout, raw: RawRecipient, paragraph: Callable[[], str | None], subject: str = "") -> bool:
    """True when the record reports a message given up after retrying: a final failure with a
    specific 4.x.x status, a queue-expiry status, or expiry wording in its text."""
    if raw.action not in (None, "failed"):
        return False
    status = raw.status or ""
    if (status.startswith("4.") and status != "4.0.0") or status in _QUEUE_STATUSES:
        # a specific 4.x.x under a final failure: the queue's last deferral (4.0.0 says only
        # "temporary", which some providers also put on errors they never retried)
        return True
    for text in (raw.diagnostic, subject):
        if text and gives_up(lay, text.lower()):
            return True
    # The recipient's paragraphs only when the code says no more than a class: a specific
    # code with a text that names no expiry is not an expiry notice.
    text = (paragraph() or "") if not status or status.endswith(".0.0") else ""
    return gives_up(lay, text.lower()) if text else False


def gives_up(lay: Layout, lower: str) -> bool:
    """True when the lowercase text holds one of the catalog's ``given_up`` phrases (looked for
    only under the sentinels it holds: ``Notices.phrase_groups``)."""
    return holds_any(lay.phrase_groups["given_up"], lower)


def find(lay: Layout, raw: RawRecipient, paragraph: Callable[[], str | None],
         subject: str = "") -> tuple[str | None, str] | None:
    """(status or None, text) of the last real error of an expiry notice, else None.
    ``paragraph``: the recipient's paragraphs of the human text, read when needed.

    A delay notice that quotes its last error the same way (Exchange's ``400 4.4.7 Message
    delayed [{LED=…}]``) gives it too: the queue has not given up, but the error explains the
    delay better than the queue's own words."""
    if raw.action == "delayed":
        return _quoted(lay, raw.diagnostic)
    if not given_up(lay, raw, paragraph, subject):
        return None
    for text in (raw.diagnostic, paragraph()):
        found = _quoted(lay, text)
        if found is not None:
            return found
    diagnostic = _clean(raw.diagnostic or "")
    status = raw.status or ""
    if diagnostic and status.startswith("4.") and not _only_expiry(lay, diagnostic):
        code = codes.find_status(diagnostic)
        if status not in _QUEUE_STATUSES:
            # Postfix keeps the last deferral itself, with its status, under Action: failed.
            return code or status, diagnostic
        if code is not None and code != status:
            # Sendmail's expiry (Status 4.4.7) quotes the last reply in its Diagnostic-Code.
            return code, diagnostic
    return None


def _quoted(lay: Layout, text: str | None) -> tuple[str | None, str] | None:
    """The last error a text quotes in one of the catalog's ``last_error`` shapes."""
    if not text:
        return None
    lower = aligned_lower(text)
    # each found from its literal (a \b or re.I expression's search tries every position), and
    # only where the text holds its opener
    for expression in lay.last_error if lower is None else holding(lay.last_error, lower):
        match = literal_search(expression, text, lower)
        if match is None:
            continue
        error = _clean(match.group(1))
        if _WORDS.search(error) and not _only_expiry(lay, error):
            return codes.find_status(error), error
    return None


_WORDS = regex(r"[a-z]{3}", re.I)
"""A last error says something in words (a bare ``421`` is not an explanation)."""
_LEAD = regex(r"^[\s(.:;,'\"]+|[\s)'\"]+$")


def _clean(text: str) -> str:
    return _LEAD.sub("", one_line(text) or "")[:_LIMIT]


def _only_expiry(lay: Layout, text: str) -> bool:
    """True when the text is the queue's own expiry wording, not an error the attempts met."""
    lower = text.lower()
    return gives_up(lay, lower) and not _ATTEMPT.search(lower)


_ATTEMPT = regex(r"\b(?:refused|timed out|reset|closed|lookup|tls|certificate|host|dns|connect)")
"""Words of an error an attempt met (the text is more than the queue's expiry wording)."""
