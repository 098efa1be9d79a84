"""Exceptions and defects.

Two families, kept apart as in the stdlib ``email`` package: exceptions (``NdrError`` and its
subclasses) are real failures a caller must handle; defects are problems in the input mail that
ndr worked around and records on the ``Report`` instead of raising.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable


class NdrError(Exception):
    """Base class of every exception ndr raises on purpose."""


class CatalogError(NdrError):
    """A catalog file is broken. ``problems`` lists every problem found, each with its location."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"catalog {path}: {len(self.problems)} problem(s)\n{lines}")


class TemplateError(NdrError):
    """A report template is missing or broken; the message names the file and line."""


class InputError(NdrError):
    """Input that cannot be read at all (missing file, unreadable archive, not a message)."""


class FileNameError(InputError, ValueError):
    """``ndr.parse`` was given a one-line ``str`` that looks like a file name, not a message's text.

    A ``str`` is read as the message itself; to read a file, pass a ``pathlib.Path``."""


class DefectError(NdrError):
    """Raised under a strict policy at the first defect found in a message, where it is found.

    ``defect`` is the ``Defect``; a decoder crash is also the exception's ``__cause__``, with
    its traceback."""

    def __init__(self, defect: "Defect | str") -> None:
        self.defect = defect if isinstance(defect, Defect) else None
        super().__init__(str(defect))


# What kind of problem a defect is; the value is the id records and JSON show.
DefectKind = enum.StrEnum("DefectKind", [
    ("NOT_A_MESSAGE", "not-a-message"),              # no header fields at all
    ("DECODER_ERROR", "decoder-error"),              # a decoder crashed; the next one had its turn
    ("TEXT_LIMIT", "text-limit"),                    # only Policy.max_text_chars of a text were read
    ("MALFORMED_HEADER", "malformed-header"),        # a header line neither a field nor a continuation
    ("HEADER_LIMIT", "header-limit"),                # more than Policy.max_header_count fields
    ("LINE_LIMIT", "line-limit"),                    # lines over Policy.max_line_bytes were cut
    ("SIZE_LIMIT", "size-limit"),                    # over Policy.max_message_bytes: only its start read
    ("PART_LIMIT", "part-limit"),                    # more than Policy.max_parts MIME parts
    ("RECIPIENT_LIMIT", "recipient-limit"),          # more than Policy.max_recipients recipients
    ("DEPTH_LIMIT", "depth-limit"),                  # MIME nesting deeper than Policy.max_depth
    ("MISSING_BOUNDARY", "missing-boundary"),        # a multipart without a boundary that occurs
    ("TRUNCATED_MULTIPART", "truncated-multipart"),  # a multipart ending before its closing boundary
    ("LEADING_BOM", "leading-bom"),                  # a byte-order mark before the header
    ("LEADING_BLANK_LINES", "leading-blank-lines"),  # blank or white-space lines before the header
    ("MBOX_FROM_LINE", "mbox-from-line"),            # an mbox "From " line before the header
    ("FORWARDED_BOUNCE", "forwarded-bounce"),        # the bounce was read from inside a forwarded message
    ("QUOTED_BOUNCE", "quoted-bounce"),              # the bounce was read from quoted ("> ") lines
])
DefectKind.__doc__ = "What kind of problem a defect is (a str enum: each member prints as its id)."


@dataclass(frozen=True, slots=True)
class Defect:
    """A problem in the input that ndr worked around."""

    kind: DefectKind | str
    """What kind of problem (a ``DefectKind``; prints as its id, e.g. ``missing-boundary``)."""
    detail: str = ""
    """Human-readable detail."""
    cause: BaseException | None = field(default=None, compare=False, repr=False)
    """The exception behind the defect (a decoder's crash), kept with its traceback."""

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else str(self.kind)


class Defects(list[Defect]):
    """The defects of one message in the order found; under a strict policy the first raises
    ``DefectError`` right where it is found, its cause chained."""

    def __init__(self, strict: bool = False) -> None:
        super().__init__()
        self.strict = strict

    def append(self, defect: Defect) -> None:
        if self.strict:
            raise DefectError(defect) from defect.cause
        super().append(defect)

    def extend(self, defects: Iterable[Defect]) -> None:
        for defect in defects:
            self.append(defect)
