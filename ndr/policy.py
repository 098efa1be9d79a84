"""The Policy: one immutable object that carries every switch and limit.

Modelled on the stdlib ``email.policy``: a frozen value, changed only through ``clone()``, with
named presets. Unknown fields are rejected with ``TypeError``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True, slots=True)
class Policy:
    """Switches and limits for parsing, explaining and generating: the one settings object that
    ``ndr.parse``, ``ndr.explain`` and ``ndr.generate`` take, passed whole to every stage."""

    raise_on_defect: bool = False
    """Raise ``DefectError`` on the first defect instead of recording it."""
    catalog: str | Path | None = None
    """A user catalog that extends or overrides the shipped one."""
    lang: str | None = None
    """Language of human text (``en``, ``pt-BR``): summaries, causes and fixes in results and
    explanations, and generated reports. None: English in results; a generated report speaks
    the original's Content-Language, else English."""
    max_message_bytes: int = 32 * 1024 * 1024
    """Messages larger than this are parsed as headers plus the first bytes only (a defect)."""
    max_depth: int = 12
    """Deepest MIME nesting that is followed."""
    max_parts: int = 500
    """Most MIME parts read from one message."""
    max_header_count: int = 5000
    """Most header fields read from one header block."""
    max_line_bytes: int = 1024 * 1024
    """Longest line kept intact; longer lines are cut (a defect)."""
    max_recipients: int = 1000
    """Most recipients reported from one message; the rest are counted in a ``recipient-limit``
    defect (and in spool mode the message is kept whole). Keeps a 50,000-recipient DSN from
    costing more per byte than an ordinary bounce."""
    max_text_chars: int = 256 * 1024
    """Most characters of human-readable text (the notice's text parts, one diagnostic) that
    decoders and classification read; what a bounce says comes first, the rest is ignored
    (a defect). Keeps every text scan bounded however large the message."""
    templates: str | Path | None = None
    """A folder of user templates that override the shipped ones (generated reports)."""

    def clone(self, **changes: Any) -> "Policy":
        """A copy with ``changes`` applied; unknown names raise ``TypeError``."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise TypeError(f"unknown policy field(s): {', '.join(unknown)}")
        return dataclasses.replace(self, **changes)


DEFAULT = Policy()
"""Lenient: bad mail becomes defects on the report."""
STRICT = DEFAULT.clone(raise_on_defect=True)
"""For tests and debugging: the first defect raises."""
