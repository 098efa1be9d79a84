"""Where generated reports go: a folder of .eml files, an mbox, or an SMTP server.

Every sink has ``put(report)`` and ``close()``. None of them loses a report silently:

- ``FolderSink`` writes each report atomically: a hidden temporary file, made durable, then
  renamed to its name, so a crash leaves either the whole file or none. ``fsync="each"`` does
  that one report at a time (an fsync per file); ``fsync="end"`` (the default) commits in groups:
  temporary files are written, one flush of the file system makes a whole group durable
  (``syncfs``, else an fsync per file), then they are renamed and the folder is fsynced. Files
  appear a group at a time and at ``close()``; an interrupted run leaves only hidden
  ``.ndr-*.tmp`` files, never a partial report under its name;
- ``MboxSink`` appends under an exclusive lock and fsyncs on close;
- ``SmtpSink`` sends with the null reverse-path ``MAIL FROM:<>`` (RFC 3461 §6.2: nobody answers
  a bounce) to the original sender, retries a failed send, and then keeps the report in a folder
  (``keep_dir``) and records the failure, so the caller can exit 75.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import smtplib
import socket
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol

from .dsn import GeneratedReport
from .smtpbound import BoundedSMTP, Breaker
from ..lazy import regex

_SAFE = regex(r"[^A-Za-z0-9._-]+")

REPORT_MODE = 0o640
"""Mode of a report file, less the umask. The folder is meant for a delivery agent, which reads
it as the folder's group (make the folder setgid to that group: ``chgrp mail DIR; chmod 2750
DIR``); nobody else may read it, because a report carries the original's headers and often its
whole body: personal data."""


@functools.lru_cache(maxsize=1)
def _umask() -> int:
    # The only way to read the umask is to set it; done once, before any worker thread writes.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Sink(Protocol):
    """A destination for generated reports."""

    def put(self, report: GeneratedReport) -> str:
        """Store or send one report; returns where it went (a path, or ``smtp:host``)."""

    def close(self) -> None:
        """Flush and release everything."""


def report_filename(report: GeneratedReport) -> str:
    """``<queue id>-<failed|delayed>-<digest>.eml``, safe on every file system."""
    # no leading "." or "-": a queue id must not make a hidden file, nor one read as an option
    queue_id = _SAFE.sub("_", report.queue_id)[:80].lstrip(".-") or "message"
    digest = report.message_id.strip("<>").split("@")[0].split(".")[1] if "." in report.message_id else "x"
    return f"{queue_id}-{report.action.value}-{digest}.eml"


def write_atomic(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` through a temporary file, fsync, then rename."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".ndr-", suffix=".tmp")
    try:
        os.fchmod(handle, REPORT_MODE & ~_umask())  # mkstemp makes 0600
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        target = folder / name
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


FSYNC_MODES = ("end", "each")
"""``FolderSink`` durability modes; see the module docstring."""


@functools.lru_cache(maxsize=1)
def _libc_syncfs() -> Callable[[int], int] | None:
    # syncfs(2) flushes one file system in a single journal commit; Linux only, reached through
    # ctypes because the os module does not offer it.
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


class FolderSink:
    """One .eml file per report, written atomically (see the module docstring for ``fsync``)."""

    def __init__(self, folder: str | os.PathLike[str], fsync: str = "end", group: int = 1000) -> None:
        if fsync not in FSYNC_MODES:
            raise ValueError(f"fsync: one of {', '.join(FSYNC_MODES)}, not {fsync!r}")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self.group = max(1, group)
        """Reports per commit in ``end`` mode: at most this many are not yet in place."""
        self._pending: list[tuple[str, str]] = []
        self._prefix = os.path.join(self.folder, f".ndr-{os.getpid()}-")
        self._count = 0

    def put(self, report: GeneratedReport) -> str:
        """Write one report; in ``end`` mode it appears under the returned path at the next commit."""
        name = report_filename(report)
        if self.fsync == "each":
            return str(write_atomic(self.folder, name, report.data))
        temporary = self._write_temporary(report.data)
        self._pending.append((temporary, name))
        if len(self._pending) >= self.group:
            self.commit()
        return str(self.folder / name)

    def _write_temporary(self, data: bytes) -> str:
        self._count += 1
        temporary = f"{self._prefix}{self._count}.tmp"
        try:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                             REPORT_MODE)
        except FileExistsError:  # a leftover of an earlier process with our pid
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".ndr-", suffix=".tmp")
            os.fchmod(handle, REPORT_MODE & ~_umask())
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view):]
        except BaseException:
            os.close(handle)
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        os.close(handle)
        return temporary

    def commit(self) -> None:
        """Make every pending report durable, then put it in place (``end`` mode)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        try:
            _flush([temporary for temporary, _ in pending], self.folder)
            for temporary, name in pending:
                os.replace(temporary, self.folder / name)
        except BaseException:
            for temporary, _ in pending:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            raise
        _fsync_dir(self.folder)

    def close(self) -> None:
        self.commit()
        _fsync_dir(self.folder)


def _flush(paths: list[str], folder: Path) -> None:
    """Make the contents of ``paths`` durable: one syncfs of their file system, else fsync each."""
    syncfs = _libc_syncfs()
    if syncfs is not None:
        handle = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(handle) == 0:
                return
        finally:
            os.close(handle)
    for path in paths:
        handle = os.open(path, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


class MboxSink:
    """Reports appended to an mbox file (mboxrd quoting of ``From `` lines, LF line ends)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.stream = open(self.path, "ab")
        try:
            import fcntl

            fcntl.flock(self.stream.fileno(), fcntl.LOCK_EX)
        except (ImportError, OSError):  # no locking on this platform/file system: append anyway
            pass

    def put(self, report: GeneratedReport) -> str:
        stamp = datetime.now(timezone.utc).strftime("%a %b %d %H:%M:%S %Y")
        body = report.data.replace(b"\r\n", b"\n")
        body = re.sub(rb"(?m)^(>*From )", rb">\1", body)
        if not body.endswith(b"\n"):
            body += b"\n"
        self.stream.write(b"From MAILER-DAEMON " + stamp.encode() + b"\n" + body + b"\n")
        return str(self.path)

    def close(self) -> None:
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()


@dataclass
class SmtpSettings:
    """How to reach the SMTP server that delivers reports."""

    host: str
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    helo: str | None = None
    timeout: float = 30.0
    retries: int = 3
    """Attempts per report before it is kept in ``keep_dir``."""
    retry_delay: float = 5.0
    """Seconds between attempts (doubled each time)."""
    keep_dir: str = "ndr-unsent"
    """Where a report that could not be sent is kept."""
    breaker: int = 3
    """Consecutive failed attempts after which the server is not tried again in this run."""


@dataclass
class SmtpSink:
    """Send each report with ``MAIL FROM:<>`` to the original envelope sender."""

    settings: SmtpSettings
    failures: list[str] = field(default_factory=list)
    """One line per report that could not be sent (and was kept)."""
    _client: BoundedSMTP | None = None
    _breaker: Breaker | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if self._client is not None:
            self._client.restart_clock(s.timeout)
            return self._client
        client = BoundedSMTP(s.host, s.port, local_hostname=s.helo, timeout=s.timeout)
        client.ehlo()
        if s.starttls:
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if s.user:
            client.login(s.user, s.password or "")
        self._client = client
        return client

    def _drop(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.quit()
            with contextlib.suppress(Exception):
                self._client.close()
        self._client = None

    def put(self, report: GeneratedReport) -> str:
        s = self.settings
        options = ["SMTPUTF8"] if report.smtputf8 else []
        if any(byte > 127 for byte in report.data):
            options.append("BODY=8BITMIME")
        delay = s.retry_delay
        error = ""
        breaker = self._breaker = self._breaker or Breaker(s.breaker)
        for attempt in range(max(1, s.retries)):
            if breaker.open:
                error = f"not tried: {breaker.failures} attempts in a row failed ({error or 'see above'})"
                break
            try:
                client = self._connect()
                refused = client.sendmail("", [report.sender], report.data, mail_options=options)
                if refused:
                    raise smtplib.SMTPRecipientsRefused(refused)
                breaker.succeeded()
                return f"smtp:{s.host}:{s.port}"
            except smtplib.SMTPRecipientsRefused as exc:
                breaker.succeeded()  # the server answered
                error = "; ".join(f"{k}: {v[0]} {v[1].decode('utf-8', 'replace')}" for k, v in exc.recipients.items())
                if all(v[0] >= 500 for v in exc.recipients.values()):
                    break  # a permanent refusal will not change on retry
            except (smtplib.SMTPException, OSError, socket.timeout, ssl.SSLError) as exc:
                breaker.failed()
                error = f"{type(exc).__name__}: {exc}"
                self._drop()
            if attempt + 1 < s.retries and not breaker.open:
                time.sleep(delay)
                delay *= 2
        kept = write_atomic(Path(s.keep_dir), report_filename(report), report.data)
        self.failures.append(f"{report.queue_id}: not sent to {report.sender}: {error}; kept in {kept}")
        return str(kept)

    def close(self) -> None:
        self._drop()
