"""Files in ndr's cache folder: where it is, when a file in it may be trusted, how one is written.

The folder is ``$NDR_CACHE_DIR``, else ``$XDG_CACHE_HOME/ndr``, else ``~/.cache/ndr``. A cache
is never a reason to fail: whoever reads a file here ignores it when it is missing, stale,
damaged or not private, and a folder that cannot be written just means no cache. Only the
standard library's ``os`` is used: a start-up reads these files without importing pathlib.
"""
from __future__ import annotations

import atexit
import marshal
import os
from typing import Any


def cache_folder() -> str:
    """The folder for ndr's cache files (it may not exist yet); RuntimeError without a home."""
    chosen = os.environ.get("NDR_CACHE_DIR")
    if chosen:
        return chosen
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "ndr")
    home = os.path.expanduser("~")
    if home == "~":  # what Path.home() refuses too
        raise RuntimeError("no home folder")
    return os.path.join(home, ".cache", "ndr")


def private(info: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else."""
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def read_private(path: str, head: bytes) -> bytes | None:
    """The bytes after ``head`` in ``path``, when the file starts with ``head`` and it and its
    folder are private (what is loaded from here is trusted: a pickle runs code); else None."""
    try:
        with open(path, "rb") as handle:
            if not (private(os.fstat(handle.fileno())) and private(os.stat(os.path.dirname(path)))):
                return None
            if handle.read(len(head)) != head:
                return None  # stale, or not ours
            return handle.read()
    except OSError:
        return None


def write_private(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file renamed over it), readable by its
    owner only; nothing when the folder cannot be made or others could write to it."""
    folder, name = os.path.split(path)
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if not private(os.stat(folder)):
            return  # a folder others can write to: it would never be read back
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


class KeptDict:
    """A dictionary of marshal data (numbers, strings, bytes, tuples, dicts, code) kept between
    processes in one private file of the cache folder: read on first use, and written again when
    the process exits if it added entries. Past ``most`` entries (those of older versions and
    catalogs pile up) the file keeps only what this process used or added."""

    def __init__(self, name: str, head: bytes, most: int) -> None:
        self.name, self.head, self.most = name, head, most
        self.known: dict[Any, Any] | None = None
        """What the file held (None: not read yet)."""
        self.new: dict[Any, Any] = {}
        """What this process added (at most ``most``)."""
        self.used: set[Any] = set()
        """Keys of ``known`` this process asked for."""

    def get(self, key: Any) -> Any:
        """The value kept for ``key``, or None."""
        value = self.entries().get(key)
        if value is not None:
            self.used.add(key)
            return value
        return self.new.get(key)

    def add(self, key: Any, value: Any) -> None:
        """Keep ``value`` for the next process (nothing once ``most`` were added)."""
        if len(self.new) >= self.most:
            return
        if not self.new:
            atexit.register(self.save)
        self.new[key] = value

    def entries(self) -> dict[Any, Any]:
        """What the file holds: empty when it is missing, damaged, stale or not private."""
        if self.known is None:
            self.known = {}
            try:
                data = read_private(os.path.join(cache_folder(), self.name), self.head)
                loaded = marshal.loads(data) if data else {}
            except (RuntimeError, ValueError, EOFError, TypeError):
                loaded = {}
            if isinstance(loaded, dict):
                self.known = loaded
        return self.known

    def save(self) -> None:
        """Write what the file held with what this process added (never a failure)."""
        try:
            known = self.entries()
            merged = {**known, **self.new}
            if len(merged) > self.most:
                merged = {**{key: known[key] for key in self.used if key in known}, **self.new}
            write_private(os.path.join(cache_folder(), self.name), self.head + marshal.dumps(merged))
        except Exception:  # noqa: BLE001 - no cache is never a failure
            pass
