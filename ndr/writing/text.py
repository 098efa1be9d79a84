"""Text hygiene for what the writer puts in a report: one line, dates, xtext, checked addresses and
hosts."""
from __future__ import annotations

import functools
from datetime import datetime, timedelta
from email.utils import format_datetime as _format_datetime

from ..errors import InputError
from .queue import RecordError, check_address, check_host
from ..lazy import regex


_HOST = regex(r"^[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$")
MAX_DIAGNOSTIC = 900
"""Longest diagnostic kept, in characters (a DSN line must stay under 998 octets)."""


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_datetime(moment: datetime) -> str:
    """RFC 5322 date-time, the same text as ``email.utils.format_datetime`` at a fraction of its
    cost; cached, because a report writes the same few times half a dozen times."""
    # The offset is part of the key: equal instants in different zones are equal datetimes.
    return _format_datetime_cached(moment, moment.utcoffset())


@functools.lru_cache(maxsize=1024)
def _format_datetime_cached(moment: datetime, offset: timedelta | None) -> str:
    if offset is None or offset.microseconds or offset.seconds % 60:
        return _format_datetime(moment)  # naive (-0000) or an offset in seconds: the stdlib's way
    minutes = offset.days * 1440 + offset.seconds // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return (f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year:04d} "
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {sign}{hours:02d}{minutes:02d}")


def xtext(value: str) -> str:
    """RFC 3461 xtext: ``+`` and ``=``, controls and spaces as ``+XX``; non-ASCII kept."""
    return "".join(f"+{ord(c):02X}" if (ord(c) < 33 or c in "+=" or ord(c) == 127) else c for c in value)


def unicode_escape(value: str) -> str:
    """RFC 6533 §3 ``\\x{HHHH}`` for non-ASCII characters, for US-ASCII-only DSN fields."""
    if value.isascii():
        return value
    return "".join(c if ord(c) < 128 else f"\\x{{{ord(c):X}}}" for c in value)


def _address(value: str, field_name: str, allow_empty: bool = False) -> str:
    try:
        return check_address(value, field_name, allow_empty=allow_empty)
    except RecordError as exc:
        raise InputError(str(exc)) from None


def _host(value: str | None, field_name: str) -> str | None:
    try:
        host = check_host(value, field_name)
    except RecordError as exc:
        raise InputError(str(exc)) from None
    if host is not None and not _HOST.match(host):
        raise InputError(f"{field_name}: not a host name: {host!r}")
    return host
