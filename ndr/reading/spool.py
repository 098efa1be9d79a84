"""The spool: a Maildir where inputs are kept so that no bounce is ever lost.

Writes are atomic and durable: a temporary file in ``tmp/``, ``fsync``, ``rename`` into ``new/``,
then ``fsync`` of the folder — so after a crash (even ``kill -9``) a message is either wholly in
the spool or not there at all, never half-written. Because the spool is a Maildir, ``ndr parse
DIR`` reprocesses it.
"""
from __future__ import annotations

import itertools
import os
import socket
import time
from pathlib import Path

_counter = itertools.count()


class Spool:
    """A Maildir-shaped folder for inputs that must not be lost."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        for sub in ("tmp", "new", "cur"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)

    def keep(self, data: bytes) -> Path:
        """Store ``data`` durably; returns its path in ``new/``. Raises OSError (disk full ...)."""
        name = f"{time.time():.6f}.P{os.getpid()}Q{next(_counter)}.{socket.gethostname().replace('/', '_')}"
        temporary = self.folder / "tmp" / name
        final = self.folder / "new" / name
        try:
            with open(temporary, "xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        directory = os.open(self.folder / "new", os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return final

    @staticmethod
    def release(path: Path) -> None:
        """Remove a spooled copy once its message was fully processed."""
        path.unlink(missing_ok=True)
