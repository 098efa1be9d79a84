"""Hand-written RFC 3464 bounces for the tests (our own fixtures, built at test time).

``report()`` is the one builder of a multipart/report: a human-readable part, then the
delivery-status fields, one block per recipient, optionally the returned header. ``dsn()`` is
its common one-recipient case.
"""
from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path


def report(human: str, *recipients: str, reporting_mta: str = "mail.example.org",
           message_fields: str = "", sender: str = "MAILER-DAEMON@mail.example.org",
           to: str = "sender@example.org", subject: str = "Undelivered Mail Returned to Sender",
           boundary: str = "b", headers: str = "", returned: str | None = None,
           returned_type: str = "text/rfc822-headers") -> str:
    """A multipart/report bounce: ``human`` as its text/plain part, then a delivery-status part
    with ``message_fields`` after the Reporting-MTA and one block of fields per recipient (each
    as written, one field a line), then ``returned`` as a ``returned_type`` part if given.
    ``headers`` are extra header lines (each ending in a newline)."""
    blocks = "".join(f"\n{fields.strip()}\n" for fields in recipients)
    status = f"Reporting-MTA: dns; {reporting_mta}\n{message_fields}{blocks}"
    tail = f"--{boundary}\nContent-Type: {returned_type}\n\n{returned}\n" if returned is not None else ""
    return (f"From: {sender}\nTo: {to}\n{headers}Subject: {subject}\nMIME-Version: 1.0\n"
            f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n\n'
            f"--{boundary}\nContent-Type: text/plain\n\n{human}\n\n"
            f"--{boundary}\nContent-Type: message/delivery-status\n\n{status}\n"
            f"{tail}--{boundary}--\n")


def dsn(recipient: str, status: str = "5.1.1", reply: str = "550", *, mta: str = "mx1.example.net",
        date: str = "Mon, 06 May 2024 09:15:00 +0000", serial: int = 0, action: str = "failed",
        text: str = "user unknown") -> bytes:
    """A small multipart/report bounce for one recipient; ``serial`` makes each one unique."""
    return report(
        f"Delivery to {recipient} {action}.\n\nFrom the archive of 1999, a line that an mbox writer quotes.",
        f"Final-Recipient: rfc822; {recipient}\nAction: {action}\nStatus: {status}\n"
        f"Remote-MTA: dns; {mta}\nDiagnostic-Code: smtp; {reply} {status} {text}\n"
        f"Last-Attempt-Date: {date}",
        headers=f"Date: {date}\nMessage-ID: <bounce-{serial}@mail.example.org>\n", boundary=f"b{serial}",
        returned=f"From: sender@example.org\nTo: {recipient}\nSubject: newsletter {serial}\n"
                 f"Message-ID: <orig-{serial}@example.org>\n",
    ).encode()


def mixed(count: int) -> list[bytes]:
    """``count`` distinct bounces: user unknown, mailbox full and connection-refused delays."""
    out = []
    for i in range(count):
        hour = 9 + i % 3
        date = f"Mon, {6 + i % 4:02d} May 2024 {hour:02d}:{i % 60:02d}:00 +0000"
        if i % 3 == 0:
            out.append(dsn(f"user{i}@example.com", "5.1.1", "550", date=date, serial=i,
                           mta="mx1.example.com"))
        elif i % 3 == 1:
            out.append(dsn(f"full{i % 5}@example.net", "4.2.2", "452", date=date, serial=i,
                           mta="mx.example.net", text="mailbox full"))
        else:
            out.append(dsn(f"far{i}@contoso.example", "4.4.1", "450", date=date, serial=i,
                           mta="mx1.contoso.example", action="delayed", text="connection refused"))
    return out


def mbox(messages: list[bytes]) -> bytes:
    """An mboxrd file: ``From `` separators, ``From `` body lines quoted with ``>``."""
    chunks = []
    for i, data in enumerate(messages):
        body = b"\n".join(b">" + line if line.startswith(b"From ") else line
                          for line in data.split(b"\n"))
        chunks.append(b"From MAILER-DAEMON Mon May  6 09:15:%02d 2024\n" % (i % 60) + body.rstrip(b"\n") + b"\n\n")
    return b"".join(chunks)


def write_maildir(root: Path, messages: list[bytes]) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(messages):
        (root / "cur" / f"{1700000000 + i}.M{i}.host:2,S").write_bytes(data)
    return root


def write_tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)
