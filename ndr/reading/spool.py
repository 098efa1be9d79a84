"""The spool: a Maildir where inputs are kept so that no bounce is ever lost.

Writes are atomic and durable: a temporary file in ``tmp/``, ``fsync``, ``rename`` into ``new/``,
then ``fsync`` of the folder — so after a crash (even ``kill -9``) a message is either wholly in
the spool or not there at all, never half-written. Because the spool is a Maildir, ``ndr parse
DIR`` reprocesses it. Files are private (0600, folders 0700): bounces carry personal data.

``handed/`` remembers which records were handed to ``--exec`` (one empty file per
``record_id``), so that replaying the spool, or an MTA retrying a message that failed half-way,
hands no record off twice. Marks older than ``MARK_DAYS`` are removed (MTAs give up sooner).
"""
from __future__ import annotations

import itertools
import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_counter = itertools.count()
MARK_DAYS = 14
"""How long a hand-off is remembered (Postfix retries for 5 days by default, Exim for 4)."""


class Spool:
    """A Maildir-shaped folder for inputs that must not be lost."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        from pathlib import Path  # here: a run without --spool does not import pathlib

        self.folder = Path(folder)
        for sub in ("tmp", "new", "cur", "handed"):
            (self.folder / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        self._prune()

    def messages(self) -> list[Path]:
        """The spooled messages (``new/`` and ``cur/``), oldest name first."""
        return sorted(p for sub in ("cur", "new") for p in (self.folder / sub).iterdir()
                      if not p.name.startswith(".") and p.is_file())

    def handed(self, record_id: str) -> bool:
        """True when the record was already handed off."""
        return bool(record_id) and (self.folder / "handed" / _mark_name(record_id)).exists()

    def mark_handed(self, record_id: str) -> None:
        """Remember that the record was handed off (durably, before the message is released)."""
        if not record_id:
            return
        fd = os.open(self.folder / "handed" / _mark_name(record_id), os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
        _fsync_folder(self.folder / "handed")

    def _prune(self) -> None:
        """Forget hand-offs older than ``MARK_DAYS``, at most once a day."""
        folder = self.folder / "handed"
        stamp = folder / ".pruned"
        now = time.time()
        try:
            if now - stamp.stat().st_mtime < 86400:
                return
        except OSError:
            pass
        stamp.touch(mode=0o600)
        with os.scandir(folder) as entries:
            for entry in entries:
                if not entry.name.startswith(".") and now - entry.stat().st_mtime > MARK_DAYS * 86400:
                    (folder / entry.name).unlink(missing_ok=True)

    def keep(self, data: bytes) -> Path:
        """Store ``data`` durably; returns its path in ``new/``. Raises OSError (disk full ...)."""
        name = f"{time.time():.6f}.P{os.getpid()}Q{next(_counter)}.{_host()}"
        temporary = self.folder / "tmp" / name
        final = self.folder / "new" / name
        try:
            with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _fsync_folder(self.folder / "new")
        return final

    @staticmethod
    def release(path: Path) -> None:
        """Remove a spooled copy once its message was fully processed."""
        path.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _mark_name(record_id: str) -> str:
    """A file name for a record id (ids are hex; anything else is kept to safe characters)."""
    return "".join(c if c.isalnum() else "_" for c in record_id)[:128] or "_"


def _host() -> str:
    """This host's name for spool file names (socket imported here: only --spool needs it)."""
    import socket

    return socket.gethostname().replace("/", "_")
