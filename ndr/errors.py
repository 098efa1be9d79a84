"""Exceptions and defects.

Two families, kept apart as in the stdlib ``email`` package: exceptions (``NdrError`` and its
subclasses) are real failures a caller must handle; defects are problems in the input mail that
ndr worked around and records on the ``Report`` instead of raising.
"""
from __future__ import annotations

from dataclasses import dataclass


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
    """Raised under a strict policy for the first defect found in a message."""


@dataclass(frozen=True, slots=True)
class Defect:
    """A problem in the input that ndr worked around."""

    kind: str
    """Short machine-readable name, e.g. ``missing-boundary`` or ``size-limit``."""
    detail: str = ""
    """Human-readable detail."""

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind
