"""Input readers: they find messages and yield their raw bytes, nothing more (no parsing).

A PATH is a message file, an mbox, a Maildir, or a folder of message files; ``-`` is one message
on standard input. Compressed files (.gz, .bz2, .xz) are opened transparently. mbox files are
read as a stream, one message at a time, so a large archive is never held in memory.
"""
from __future__ import annotations

import bz2
import gzip
import lzma
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from .errors import InputError

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message found in an input."""

    source: str
    """The PATH as the user gave it (``-`` for stdin), or the file inside a folder."""
    index: int
    """Position inside an mbox or Maildir (0 for a single message)."""
    data: bytes


@dataclass(frozen=True, slots=True)
class Problem:
    """An input that could not be read; it is reported, never silently dropped."""

    source: str
    index: int
    error: str


def open_binary(path: str | Path) -> IO[bytes]:
    """Open a file for reading bytes, decompressing by extension."""
    opener = _OPENERS.get(Path(path).suffix.lower())
    if opener is not None:
        return opener(path, "rb")  # type: ignore[no-any-return]
    return open(path, "rb")


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def iter_path(given: str, stdin: IO[bytes] | None = None) -> Iterator[RawMessage | Problem]:
    """Every message under one PATH, in a stable order; unreadable inputs become ``Problem``s."""
    if given == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        yield RawMessage("-", 0, stream.read())
        return
    path = Path(given)
    if is_maildir(path):
        names = sorted(p for sub in ("cur", "new") for p in (path / sub).iterdir() if p.is_file())
        for index, name in enumerate(names):
            yield _read_file(given, index, name)
        return
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.startswith("."):
                    continue
                child = os.path.join(root, name)
                yield from iter_file(child)
        return
    yield from iter_file(given)


def iter_file(given: str) -> Iterator[RawMessage | Problem]:
    """The messages of one file: a single message, or each message of an mbox."""
    try:
        handle = open_binary(given)
    except OSError as exc:
        yield Problem(given, 0, f"cannot open: {exc.strerror or exc}")
        return
    try:
        with handle:
            yield from _split_mbox(given, handle)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        yield Problem(given, 0, f"cannot read: {getattr(exc, 'strerror', None) or exc}")


def _split_mbox(given: str, handle: IO[bytes]) -> Iterator[RawMessage]:
    first = handle.readline()
    if not first.startswith(b"From "):
        yield RawMessage(given, 0, first + handle.read())
        return
    index = 0
    lines: list[bytes] = []
    previous_blank = True
    for line in handle:
        if line.startswith(b"From ") and previous_blank and lines:
            yield RawMessage(given, index, b"".join(lines))
            index += 1
            lines = []
            previous_blank = False
            continue
        if line.startswith(b">From "):  # mboxrd quoting
            line = line[1:]
        lines.append(line)
        previous_blank = line in (b"\n", b"\r\n")
    yield RawMessage(given, index, b"".join(lines))


def _read_file(given: str, index: int, path: Path) -> RawMessage | Problem:
    try:
        with open_binary(path) as handle:
            return RawMessage(given, index, handle.read())
    except (OSError, EOFError, lzma.LZMAError) as exc:
        return Problem(given, index, f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}")


def read_path_or_fail(given: str) -> bytes:
    """The bytes of one message file (for commands that take exactly one)."""
    for item in iter_path(given):
        if isinstance(item, Problem):
            raise InputError(f"{item.source}: {item.error}")
        return item.data
    raise InputError(f"{given}: no message found")
