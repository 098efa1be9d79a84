"""What a file holds, from its name: a compressed stream, a tar or a zip archive; any other file
is plain (one message, or an mbox).

Apart from ``archives.py`` so that what only sorts files (the batch planner, the parse command)
imports no compression or archive library: ``tarfile`` and ``zipfile`` alone take longer to
import than parsing a bounce.
"""
from __future__ import annotations

import os

COMPRESSIONS = (".gz", ".bz2", ".xz")
"""Single-stream compressions, by suffix (``archives`` has a decompressor for each)."""
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


def compression_of(name: str) -> str | None:
    """The single-stream compression suffix of ``name`` (``.gz``, ``.bz2``, ``.xz``) or None."""
    suffix = os.path.splitext(name)[1].lower()  # Path(name).suffix, without a Path per file
    return suffix if suffix in COMPRESSIONS else None


def is_tar(name: str) -> bool:
    return name.lower().endswith(TAR_SUFFIXES)


def is_zip(name: str) -> bool:
    return name.lower().endswith(".zip")


def is_packed(name: str) -> bool:
    """Whether ``name`` is read through ``archives`` (compressed or an archive), not as plain."""
    return is_zip(name) or is_tar(name) or compression_of(name) is not None
