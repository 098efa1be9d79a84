"""RFC 3464 / RFC 6533 delivery-status fields: text in, per-message and per-recipient fields out.

The body of message/delivery-status is one block of per-message fields, a blank line, then one
block per recipient. Real reports bend this (no blank line after the per-message fields, none
between recipients, folded values), so a block is also split where a recipient field repeats,
and per-message fields are recognised by name wherever they stand.
"""
from __future__ import annotations

from dataclasses import dataclass, field

PER_MESSAGE = frozenset({
    "reporting-mta", "dsn-gateway", "received-from-mta", "arrival-date", "original-envelope-id",
    "x-postfix-queue-id", "x-postfix-sender",
})


@dataclass(slots=True, repr=False, eq=False)
class StatusFields:
    """Fields of one delivery-status body, names lowercased, the first value of each kept."""

    message: dict[str, str] = field(default_factory=dict)
    recipients: list[dict[str, str]] = field(default_factory=list)


def parse_fields(text: str) -> StatusFields:
    """Split a delivery-status body into per-message fields and per-recipient blocks."""
    result = StatusFields()
    block: dict[str, str] = {}
    name: str | None = None
    folded: list[str] = []  # continuation lines of ``name``, joined once (joining each: quadratic)

    def unfold() -> None:
        if name is not None and folded:
            block[name] = " ".join(x for x in (block[name], *folded) if x)
        folded.clear()

    def close() -> None:
        nonlocal block
        unfold()
        if "final-recipient" in block or "original-recipient" in block:
            result.recipients.append(block)
        else:
            for key, value in block.items():
                result.message.setdefault(key, value)
        block = {}

    for line in text.splitlines():
        if not line or line.isspace():  # ``not line.strip()``, without building the stripped line
            close()
            name = None
            continue
        if line[0] in " \t":
            if name is not None:
                folded.append(line.strip())
            continue
        if folded:  # (held only while ``name`` is a field of ``block``)
            unfold()
        key, colon, value = line.partition(":")
        if not colon:
            name = None
            continue
        key = key.strip().lower()
        if not key or " " in key:
            name = None
            continue
        if key in PER_MESSAGE and "final-recipient" not in block:
            result.message.setdefault(key, value.strip())
            name = None
            continue
        if key == "final-recipient":
            if "final-recipient" in block:
                close()
        elif key == "original-recipient":
            if "original-recipient" in block or (("action" in block or "final-recipient" in block)
                                                 and name != "final-recipient"):
                close()  # opens the next recipient, unless it follows its own Final-Recipient line
        if key in block:
            name = None
            continue
        block[key] = value.strip()
        name = key
    close()
    return result
