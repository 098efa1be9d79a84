"""Input readers: they find messages and yield their raw bytes, nothing more (no parsing).

A PATH is a message file, an mbox, a Maildir, a folder of message files or an archive (.tar,
.tar.gz, .zip); ``-`` is one message on standard input. Compressed files (.gz, .bz2, .xz) are
opened transparently. Files are read as streams by ``ndr.archives``, one message at a time, so a
large archive is never held in memory.
"""
from __future__ import annotations

import io
import os
import sys
from typing import IO, TYPE_CHECKING, Iterator

from .kinds import is_packed
from .mbox import DEFAULT_LIMITS, Limits, Problem, RawMessage, iter_plain, read_file
from ..errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["RawMessage", "Problem", "open_binary", "is_maildir", "iter_path", "iter_file",
           "read_path_or_fail", "maildir_files"]


def open_binary(path: str | Path) -> io.BufferedIOBase:
    """Open a file for reading bytes, decompressing by extension (``archives.open_binary``)."""
    from .archives import open_binary as opened

    return opened(path)


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def maildir_files(path: Path) -> list[Path]:
    """The message files of a Maildir (cur and new), in a stable order."""
    return sorted(p for sub in ("cur", "new") for p in (path / sub).iterdir() if p.is_file())


def folder_files(path: Path) -> Iterator[str]:
    """Files under a folder (not hidden), depth first, sorted: a stable order for every run."""
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            if not name.startswith("."):
                yield os.path.join(root, name)


def iter_path(given: str, stdin: IO[bytes] | None = None,
              limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage | Problem]:
    """Every message under one PATH, in a stable order; unreadable inputs become ``Problem``s."""
    if given == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read(limits.max_message_bytes + 1)  # bounded: stdin may be /dev/zero
        cut = len(data) > limits.max_message_bytes
        yield RawMessage("-", 0, data[:limits.max_message_bytes], None, cut)
        return
    if not is_packed(given):  # the common case, one message in a file
        messages = read_file(given, limits)
        if messages is not None:
            yield from messages
            return
    if not os.path.isdir(given):  # a file: one stat, no Path objects
        yield from iter_file(given, limits)
        return
    from pathlib import Path  # folders only: a message file is read without pathlib

    path = Path(given)
    if is_maildir(path):
        for name in maildir_files(path):
            yield _read_file(name)
        return
    if path.is_dir():
        for child in folder_files(path):
            yield from iter_file(child, limits)
        return
    yield from iter_file(given, limits)


def iter_file(given: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage | Problem]:
    """The messages of one file: a single message, each message of an mbox, or of an archive."""
    yield from iter_messages(given, given, limits)


def iter_messages(path: str, source: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage | Problem]:
    """``archives.iter_messages``, importing the compression and archive modules only for a file
    that needs them (a mailbox rule's one bounce does not)."""
    if not is_packed(path):
        yield from iter_plain(path, source, limits)
        return
    from .archives import iter_messages

    yield from iter_messages(path, source, limits)


def _read_file(path: Path) -> RawMessage | Problem:
    """One Maildir message, reported under its own file name (``Maildir/cur/1234.host:2,S``): that
    is the name a user can open, move or delete, while a position changes as mail comes and goes."""
    source = str(path)
    for item in iter_messages(source, source):
        if isinstance(item, Problem):
            return Problem(source, 0, item.error)
        return RawMessage(source, 0, item.data, None, item.truncated)
    return RawMessage(source, 0, b"")


def read_path_or_fail(given: str) -> bytes:
    """The bytes of one message file (for commands that take exactly one)."""
    for item in iter_path(given):
        if isinstance(item, Problem):
            raise InputError(f"{item.source}: {item.error}")
        return item.data
    raise InputError(f"{given}: no message found")
