"""The ordered registry of decoders and the one dispatch loop every entry point uses.

Order is by reliability, first match wins:

1. Standards with a machine-readable part: ARF feedback reports (RFC 5965), then delivery status
   notifications (RFC 3464 / RFC 6533).
2. Vendor formats: the catalog's ``vendors`` layouts run by the table decoder (cheap header tests
   first, one marker search of the body, then one pass over the winning layout's block), and the
   few code decoders a table cannot express.

   Why standards come before vendors although many vendor bounces are also multipart/report: a
   delivery-status part is the sender's own machine-readable statement, and the RFC 3464 decoder
   already enriches its records from the human-readable part; a layout only sees the messages
   that carry no usable delivery-status part (or whose part names no recipient), so a vendor's
   text never overrides the fields of a standard report.
3. RFC 3834 automatic replies (after vendors, because some MTAs mark bounces auto-replied).
4. The generic fallback for bounces in formats nobody described.

Library users can add decoders with ``register()``.
"""
from __future__ import annotations

from typing import Any

from .arf import ARF
from .autoreply import AutoReply
from .base import Decoded, Decoder, Mail, RawRecipient
from .amazonses import AmazonSES
from .fallback import Fallback
from .rfc3464 import RFC3464
from .table import TableDecoder
from .layout_check import vendor_problems as _table_problems

_STANDARD: list[Decoder] = [ARF(), RFC3464()]
_VENDOR: list[Decoder] = [TableDecoder(), AmazonSES()]
_LATE: list[Decoder] = [AutoReply()]
_USER: list[Decoder] = []
_FALLBACK: list[Decoder] = [Fallback()]


def register(decoder: Decoder, *, first: bool = False) -> None:
    """Add a decoder: tried before every other one with ``first``, else just before the fallbacks."""
    if first:
        _USER.insert(0, decoder)
    else:
        _VENDOR.append(decoder)


def decoders() -> list[Decoder]:
    """Every registered decoder, in dispatch order."""
    return [*_USER, *_STANDARD, *_VENDOR, *_LATE, *_FALLBACK]


def decode(mail: Mail) -> Decoded | None:
    """Run the decoders in order; the first that recognises the message wins."""
    for decoder in decoders():
        decoded = decoder.decode(mail)
        if decoded is not None and decoded.recipients:
            return decoded
    return None


def names() -> list[str]:
    return [d.name for d in decoders()]


def vendor_problems(item: dict[str, Any], reason_ids: set[str]) -> list[str]:
    """Problems in one catalog ``vendors`` entry.

    An entry belongs to the table decoder (``ndr/decoders/table.py``) unless it names a code
    decoder with ``decoder: NAME``; such an entry is data for that decoder alone, checked by its
    ``layout_problems(item, reason_ids)`` when it is registered and has one (a catalog may be
    loaded before a library user registers the decoder its entry is for).
    """
    owner = item.get("decoder", "table")
    if not isinstance(owner, str) or not owner:
        return [f"decoder must be a decoder name, not {owner!r}"]
    if owner == "table":
        return _table_problems(item, reason_ids)
    decoder = _code_decoders().get(owner)
    if decoder is None:
        return []
    check = getattr(decoder, "layout_problems", None)
    return list(check(item, reason_ids)) if check is not None else []


def _code_decoders() -> dict[str, Decoder]:
    return {d.name: d for d in decoders() if d.name != TableDecoder.name}


__all__ = ["Decoded", "Decoder", "Mail", "RawRecipient", "decode", "decoders", "register", "names",
           "vendor_problems"]
