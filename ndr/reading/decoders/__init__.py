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

from ...catalog.validate import register_layout_check
from ...errors import Defect, DefectKind
from .arf import ARF
from .autoreply import AutoReply
from .base import Decoded, Decoder, Mail, RawRecipient
from .amazonses import AmazonSES
from .fallback import Fallback
from .rfc3464 import RFC3464
from .table import TableDecoder


_STANDARD: list[Decoder] = [ARF(), RFC3464()]
_VENDOR: list[Decoder] = [TableDecoder(), AmazonSES()]
_LATE: list[Decoder] = [AutoReply()]
_USER: list[Decoder] = []
_FALLBACK: list[Decoder] = [Fallback(lambda mail: decode(mail))]  # its re-read of an inner bounce


def register(decoder: Decoder, *, first: bool = False) -> None:
    """Add a decoder: tried before every other one with ``first``, else just before the fallbacks.

    A decoder with a ``layout_problems(entry, reason_ids)`` method checks the catalog's
    ``vendors`` entries that name it (``decoder: NAME``)."""
    if first:
        _USER.insert(0, decoder)
    else:
        _VENDOR.append(decoder)
    check = getattr(decoder, "layout_problems", None)
    if check is not None:
        register_layout_check(decoder.name, check)


def decoders() -> list[Decoder]:
    """Every registered decoder, in dispatch order."""
    return [*_USER, *_STANDARD, *_VENDOR, *_LATE, *_FALLBACK]


def decode(mail: Mail) -> Decoded | None:
    """The one dispatch loop: run the decoders in order; the first that finds a recipient wins.

    A decoder that crashes on a message must not lose the bounce: the crash becomes a
    ``decoder-error`` defect on ``mail`` (the exception kept as the defect's cause) and the
    next decoder gets its turn; under a policy that raises on defects it raises right there.
    """
    for decoder in decoders():
        try:
            decoded = decoder.decode(mail)
        except Exception as exc:
            import logging  # here: only a failing decoder logs, and logging is slow to import

            logging.getLogger("ndr").debug("decoder %s failed", decoder.name, exc_info=True)
            mail.defect(Defect(DefectKind.DECODER_ERROR, f"{decoder.name}: {type(exc).__name__}: {exc}",
                               cause=exc))
            continue
        if decoded is not None and decoded.recipients:
            return decoded
    return None


__all__ = ["Decoded", "Decoder", "Mail", "RawRecipient", "decode", "decoders", "register"]
