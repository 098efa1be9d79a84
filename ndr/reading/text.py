"""Text helpers the reading side shares (and the writing side and batch reuse): folding, one line,
addresses and hosts in free text, dates (the literal-first regex search is ``catalog/search.py``'s)."""
from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

# email.utils.parsedate_to_datetime's own parser: importing email.utils would import socket,
# urllib and most of the email package at every start-up (about 6 ms of a one-bounce run).
if TYPE_CHECKING:  # no stub for the stdlib's private module: its one function, as it is
    def _parsedate_tz(data: str) -> list[int | None] | None: ...
else:
    from email._parseaddr import _parsedate_tz

from ..catalog.match import ADDRESS_PATTERN
from .mime import Headers
from ..lazy import regex


_TAGS = regex(r"<[^<>]*>")  # not [^>]*: each "<" must not rescan to the next ">"
_SCRIPT_OPEN = regex(r"<(script|style)\b")
# C0, DEL, C1, line separators and the bidi marks and overrides: a field must read as what it
# holds on a terminal
_CONTROLS = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, 0x61C, 0x200E, 0x200F,
                           *range(0x202A, 0x202F), *range(0x2066, 0x206A)], " ")
# two literal spaces first, not " +" after one: the search then skips to each double space (a
# two-character prefix) instead of trying a match at every single one; the same runs match
_SPACE_RUN = regex("   *")
_ADDRESS = regex(ADDRESS_PATTERN)
_HOST_SAID = regex(r"\bhost\s+([A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z0-9\-]+|\[[0-9.:a-fA-F]+\])\s*\[[^\]]{0,100}\]\s*said:", re.I)
_HOST_NAMED = regex(
    r"(?:remote host said:|(?:connect|connection) to|conversation with|"
    r"lost connection with|by host|from host|mx host|remote mta)\s*[:'\"]?\s*"
    r"([A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)+)",
    re.I,
)


def fold_blanks(text: str) -> str:
    """Runs of spaces, tabs and no-break spaces folded to one space; newlines kept.

    Tabs and no-break spaces become spaces first (``str.replace``), then only runs of two or
    more spaces are matched: a character-class regex over the whole text costs ten times more,
    and this runs on every message's text."""
    if "\t" in text:
        text = text.replace("\t", " ")
    if "\u00a0" in text:
        text = text.replace("\u00a0", " ")
    return _SPACE_RUN.sub(" ", text) if "  " in text else text


def fold_spaces(text: str) -> str:
    """Fold runs of spaces and tabs and strip; keep newlines."""
    return fold_blanks(text).strip()


def one_line(text: str | None, limit: int | None = None) -> str | None:
    """Free text as one printable line: whitespace of every kind and control characters (NUL,
    C1, line separators) folded to single spaces; None for empty text. Longer than ``limit``
    characters: cut, ending in "..." (the writer keeps header and DSN lines short).

    The one line-cleaner of the package: records read from mail and reports written both use it."""
    if not text:
        return None
    if text.isprintable():
        # the only blank a printable text holds is " ": one line unless doubled or at an end
        if "  " not in text and text[0] != " " and text[-1] != " ":
            return text if limit is None or len(text) <= limit else _cut(text, limit)
        folded = " ".join(text.split())
    else:
        # split() takes the whitespace controls away; another control leaves the line
        # unprintable, and only then is it translated (30 ns a character on non-ASCII text)
        folded = " ".join(text.split())
        if not folded.isprintable():
            folded = " ".join(text.translate(_CONTROLS).split())
    if limit is not None and len(folded) > limit:
        folded = _cut(folded, limit)
    return folded or None


def _cut(line: str, limit: int) -> str:
    return line[: limit - 3].rstrip() + "..."


def html_to_text(html: str) -> str:
    """Tags removed, common entities decoded, block ends kept as line breaks."""
    import html as html_module

    html = _drop_scripts(html)
    html = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|h\d)>", "\n", html)
    return html_module.unescape(_TAGS.sub(" ", html))


def _drop_scripts(html: str) -> str:
    """``<script>`` and ``<style>`` elements replaced by a space, in linear time (a lazy regex
    rescans to the end of the text from every unclosed opening tag)."""
    lower = html.lower()
    kept: list[str] = []
    position = 0
    unclosed: set[str] = set()
    for opening in _SCRIPT_OPEN.finditer(lower):
        name = opening.group(1)
        if opening.start() < position or name in unclosed:
            continue
        close = lower.find(f"</{name}>", opening.end())
        if close < 0:  # no later element of this name closes either
            unclosed.add(name)
            continue
        kept += [html[position:opening.start()], " "]
        position = close + len(name) + 3
    if not kept:
        return html
    kept.append(html[position:])
    return "".join(kept)


def find_address(text: str | None) -> str | None:
    """The first plausible e-mail address in ``text``, without brackets or a trailing dot."""
    if not text or "@" not in text:  # every address holds one: no search of a text without
        return None
    return _address_in(text) if len(text) <= 256 else _address_in.__wrapped__(text)


# Mostly a field's short value (``rfc822; <user@example.com>``), and one address bounces again and
# again: the regex search costs ten times the lookup. Bounded: 1024 texts of at most 256 characters.
@functools.lru_cache(maxsize=1024)
def _address_in(text: str) -> str | None:
    match = _ADDRESS.search(text)
    if not match:
        return None
    address = match.group(0).strip(".")
    if address.lower().startswith("mailto:"):
        address = address[7:]
    return address


def clean_address(value: str | None) -> str | None:
    """An address field value (``rfc822; <user@example.com>``) reduced to the address."""
    if not value:
        return None
    if ";" in value:
        kind, _, rest = value.partition(";")
        if " " not in kind.strip():
            value = rest
    value = value.strip().strip("<>").strip()
    found = find_address(value)
    if found:
        return found
    return value or None


def sole_addressee(headers: Headers | None) -> str | None:
    """The one recipient of a returned message (its To and Cc name exactly one address), else None.

    The last resort of a decoder whose notice names nobody: the failure can only be that
    recipient's."""
    if headers is None:
        return None
    found: set[str] = set()
    first: str | None = None
    for name in ("to", "cc"):
        for value in headers.get_all(name):
            for address in _ADDRESS.findall(value):
                address = address.strip(".")
                if first is None:
                    first = address
                found.add(address.lower())
    return first if len(found) == 1 else None


def mta_name(value: str | None) -> str | None:
    """An MTA field value (``dns; mx.example.com [192.0.2.1]``) reduced to the host name."""
    if not value:
        return None
    if ";" in value:
        value = value.split(";", 1)[1]
    value = value.strip()
    if not value:
        return None
    name = value.split()[0].strip("[]()<>,;'\"").rstrip(".")
    if "[" in name:  # mx.example.com[192.0.2.1]
        name = name.split("[", 1)[0] or name.strip("[]")
    return name.lower() or None


def host_in_text(text: str | None) -> str | None:
    """The destination server a diagnostic names (``host mx[ip] said``, ``connect to mx``)."""
    if not text:
        return None
    match = _HOST_SAID.search(text) or _HOST_NAMED.search(text)
    if not match:
        return None
    return match.group(1).strip("[]").rstrip(".").lower()


def parse_date(value: str | None) -> datetime | None:
    """An RFC 5322 date, or None when it does not parse."""
    if not value:
        return None
    if ";" in value:  # "Last-Attempt-Date: dns; ..." never; but Arrival-Date sometimes has a type
        value = value.rsplit(";", 1)[-1]
    return _date(value.strip()) if len(value) <= 256 else _date.__wrapped__(value.strip())


# A report's dates repeat (Arrival-Date is each recipient's Last-Attempt-Date, a notice's
# recipients share theirs); a datetime is immutable, so one parse serves each.
@functools.lru_cache(maxsize=256)
def _date(value: str) -> datetime | None:
    try:
        return _parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _parsedate_to_datetime(value: str) -> datetime:
    """``email.utils.parsedate_to_datetime`` (the same steps): naive for ``-0000``, else aware."""
    parsed = _parsedate_tz(value)
    if parsed is None:
        raise ValueError(f"invalid date value or format {value!r}")
    year, month, day, hour, minute, second = (int(n or 0) for n in parsed[:6])
    offset = parsed[9]
    if offset is None:
        return datetime(year, month, day, hour, minute, second)
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone(timedelta(seconds=offset)))
