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

import importlib
from typing import Iterator

from ...errors import Defect, DefectKind
from .arf import ARF
from .base import Decoded, Decoder, Mail, RawRecipient
from .rfc3464 import RFC3464


class _Later:
    """A built-in decoder whose module is imported when the dispatch loop first reaches it.

    Why: most bounces are RFC 3464 reports, decided before the vendor, auto-reply and fallback
    decoders are tried, so a one-bounce ``ndr parse`` need not import them."""

    def __init__(self, module: str, cls: str, *args: object) -> None:
        self.module, self.cls, self.args = module, cls, args

    def load(self) -> Decoder:
        made: Decoder = getattr(importlib.import_module(self.module, __name__), self.cls)(*self.args)
        return made


_STANDARD: list[Decoder | _Later] = [ARF(), RFC3464()]
_VENDOR: list[Decoder | _Later] = [_Later(".table", "TableDecoder"), _Later(".amazonses", "AmazonSES")]
_LATE: list[Decoder | _Later] = [_Later(".autoreply", "AutoReply")]
_USER: list[Decoder | _Later] = []
# The fallback gets the dispatch loop for its re-read of an inner bounce.
_FALLBACK: list[Decoder | _Later] = [_Later(".fallback", "Fallback", lambda mail: decode(mail))]
_CLASSES = {"TableDecoder": ".table", "AmazonSES": ".amazonses", "AutoReply": ".autoreply",
            "Fallback": ".fallback"}


def __getattr__(name: str) -> object:
    """The decoder classes this module used to import eagerly, still reachable by their names."""
    module = _CLASSES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


def _registry() -> tuple[list[Decoder | _Later], ...]:
    """The registry's lists, in dispatch order (read when asked: a test may replace one)."""
    return _USER, _STANDARD, _VENDOR, _LATE, _FALLBACK


def _loaded(slots: list[Decoder | _Later], slot: Decoder | _Later) -> Decoder:
    """``slot`` itself, or the decoder it names, imported now and put in its place in ``slots``."""
    if isinstance(slot, _Later):
        index = slots.index(slot)
        slot = slots[index] = slot.load()
    return slot


def _dispatch_order() -> Iterator[Decoder]:
    """Every registered decoder in dispatch order, each built-in one imported when reached."""
    for slots in _registry():
        for slot in slots:
            yield _loaded(slots, slot)


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
        from ...catalog.validate import register_layout_check  # here: parsing needs no validation

        register_layout_check(decoder.name, check)


def decoders() -> list[Decoder]:
    """Every registered decoder, in dispatch order."""
    return list(_dispatch_order())


def decode(mail: Mail) -> Decoded | None:
    """The one dispatch loop: run the decoders in order; the first that finds a recipient wins.

    A decoder that crashes on a message must not lose the bounce: the crash becomes a
    ``decoder-error`` defect on ``mail`` (the exception kept as the defect's cause) and the
    next decoder gets its turn; under a policy that raises on defects it raises right there.
    """
    # The loop over the registry's lists is written out, not a walk of _dispatch_order(): it
    # runs for every message, and a generator's frame is a cost per decoder tried.
    for slots in _registry():
        for decoder in slots:
            if isinstance(decoder, _Later):
                decoder = _loaded(slots, decoder)
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
