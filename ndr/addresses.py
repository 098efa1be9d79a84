"""E-mail addresses: the fast path for plain addresses, flanker for the rest.

Most addresses in bounces are plain ``local@domain``; a regular expression settles those. Quoted
local parts, internationalised addresses and display-name forms go to flanker's RFC 5322 parser,
which is slower (tens of microseconds) but right. flanker prints parser-table warnings when it is
first imported; they are kept out of the user's terminal.
"""
from __future__ import annotations

import contextlib
import io
import logging
import re
from functools import lru_cache
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


@lru_cache(maxsize=1)
def _flanker_address() -> Any:
    for name in ("flanker", "flanker.addresslib", "ply"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        from flanker.addresslib import address
    return address


def normalise(value: str | None) -> str | None:
    """The addr-spec of ``value`` (``"A B" <a@b.example>`` → ``a@b.example``), None if invalid."""
    if not value:
        return None
    value = value.strip().strip("<>").strip()
    if _PLAIN.match(value):
        return value
    address = _flanker_address()
    with contextlib.redirect_stderr(io.StringIO()):
        parsed = address.parse(value)
    return str(parsed.address) if parsed is not None else None


def is_valid(value: str | None) -> bool:
    """True when ``value`` is one syntactically valid address (addr-spec)."""
    if not value:
        return False
    if _PLAIN.match(value):
        return True
    address = _flanker_address()
    with contextlib.redirect_stderr(io.StringIO()):
        return address.parse(value, addr_spec_only=True) is not None


def domain_of(value: str | None) -> str:
    """The domain of an address, lowercased ('' when there is none)."""
    if not value or "@" not in value:
        return ""
    return value.rpartition("@")[2].strip(">] ").lower()
