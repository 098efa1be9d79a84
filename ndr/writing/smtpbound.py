"""An SMTP client whose every attempt ends: a deadline over the whole attempt (connect, greeting,
EHLO, the transaction), a bound on reply lines (a server that sends ``220-`` forever), and a
circuit breaker that stops trying a server after consecutive failed attempts, so that 1,000
reports to a server that never answers cost a few timeouts, not 1,000 of them."""
from __future__ import annotations

import smtplib
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

MAX_REPLY_LINES = 200
"""Most lines of one reply (EHLO lists a few dozen)."""
_MAXLINE = 8192


class BoundedSMTP(smtplib.SMTP):
    """``smtplib.SMTP`` with a deadline for the whole attempt and bounded replies."""

    def __init__(self, host: str, port: int, local_hostname: str | None, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        super().__init__(host, port, local_hostname=local_hostname, timeout=timeout)

    def restart_clock(self, timeout: float) -> None:
        """A new attempt on a connection kept from the last report."""
        self.deadline = time.monotonic() + timeout

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.close()
            raise smtplib.SMTPServerDisconnected("the server took longer than the attempt's time limit")
        if self.sock is not None:
            self.sock.settimeout(left)
        return left

    def send(self, s: "ReadableBuffer | str") -> None:
        self._left()
        super().send(s)

    def getreply(self) -> tuple[int, bytes]:
        lines: list[bytes] = []
        if self.file is None and self.sock is not None:
            self.file = self.sock.makefile("rb")
        code = -1
        while True:
            self._left()
            if self.file is None:
                raise smtplib.SMTPServerDisconnected("not connected")
            try:
                line = self.file.readline(_MAXLINE + 1)
            except OSError as exc:
                self.close()
                raise smtplib.SMTPServerDisconnected(f"connection unexpectedly closed: {exc}") from None
            if not line:
                self.close()
                raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
            if len(line) > _MAXLINE:
                self.close()
                raise smtplib.SMTPResponseException(500, b"line too long")
            lines.append(line[4:].strip(b" \t\r\n"))
            try:
                code = int(line[:3])
            except ValueError:
                code = -1
                break
            if line[3:4] != b"-":
                break
            if len(lines) >= MAX_REPLY_LINES:
                self.close()
                raise smtplib.SMTPResponseException(code, b"reply longer than %d lines" % MAX_REPLY_LINES)
        return code, b"\n".join(lines)


class Breaker:
    """Opens after ``limit`` consecutive failed attempts; while open, nothing is tried."""

    def __init__(self, limit: int = 3) -> None:
        self.limit = limit
        self.failures = 0

    @property
    def open(self) -> bool:
        return self.failures >= self.limit

    def failed(self) -> None:
        self.failures += 1

    def succeeded(self) -> None:
        self.failures = 0
