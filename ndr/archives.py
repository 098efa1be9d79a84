"""Streaming readers for bounce archives: they find messages and yield their bytes, nothing more.

Any file is read as a stream: a single message, an mbox, a compressed file (.gz, .bz2, .xz), a tar
archive (.tar, .tar.gz/.tgz, .tar.bz2, .tar.xz) or a zip archive. No archive is ever held in
memory: messages are split line by line and each one is capped at ``Limits.max_message_bytes``.

Decompression is guarded against bombs: the bytes produced by one compressed stream or archive
member may not exceed ``Limits.max_decompressed_bytes``, nor ``Limits.max_ratio`` times the
compressed bytes read (checked once ``Limits.ratio_floor`` bytes have come out, so small, highly
compressible files are never refused). Whatever cannot be read — a corrupt member, a limit hit, a
missing file — becomes a ``Problem`` (file, member, index, error); reading goes on where it can.
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, Protocol, cast

_MIB = 1024 * 1024
MAX_LINE = _MIB
"""Longest piece read at once; longer lines come in pieces so a 1 GB line never sits in memory."""

_DECOMPRESSORS: dict[str, Callable[[_Counting], io.BufferedIOBase]] = {
    ".gz": lambda f: gzip.GzipFile(fileobj=_as_file(f), mode="rb"),
    ".bz2": lambda f: bz2.BZ2File(_as_file(f), "rb"), ".xz": lambda f: lzma.LZMAFile(_as_file(f), "rb")}
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_READ_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error, tarfile.TarError,
                zipfile.BadZipFile, ValueError)
_FROM_QUOTED = re.compile(rb"(?m)^>From ")


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits on what reading one input may cost; all configurable, all with safe defaults."""

    max_message_bytes: int = 32 * _MIB
    """A longer message keeps its first bytes only (the parser records a ``size-limit`` defect)."""
    max_decompressed_bytes: int = 4 * 1024 * _MIB
    """Most bytes one compressed file or archive member may produce."""
    max_ratio: float = 100.0
    """Most decompressed bytes per compressed byte (a zip or gzip bomb goes far beyond)."""
    ratio_floor: int = 8 * _MIB
    """The ratio is checked only once this many bytes have been produced."""


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message found in an input."""

    source: str
    """The PATH as the user gave it (``-`` for stdin), or the file inside a folder."""
    index: int
    """Position inside an mbox or archive member (0 for a single message or a Maildir file)."""
    data: bytes
    member: str | None = None
    """The archive member the message came from (``None`` outside archives)."""
    truncated: bool = False
    """True when the message was longer than ``Limits.max_message_bytes`` and was cut."""

    @property
    def label(self) -> str:
        """Where the message came from, as one string: ``file`` or ``archive!member``."""
        return f"{self.source}!{self.member}" if self.member else self.source


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that could not be read; it is reported, never silently dropped."""

    source: str
    index: int
    error: str
    member: str | None = None

    @property
    def label(self) -> str:
        return f"{self.source}!{self.member}" if self.member else self.source


class LimitExceeded(Exception):
    """A decompression limit was hit; the message names the limit."""


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def compression_of(name: str) -> str | None:
    """The single-stream compression suffix of ``name`` (``.gz``, ``.bz2``, ``.xz``) or None."""
    suffix = Path(name).suffix.lower()
    return suffix if suffix in _DECOMPRESSORS else None


def is_tar(name: str) -> bool:
    return name.lower().endswith(_TAR_SUFFIXES)


def is_zip(name: str) -> bool:
    return name.lower().endswith(".zip")


def open_binary(path: str | Path) -> io.BufferedIOBase:
    """Open a file for reading bytes, decompressing by extension (no limits: small files only)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gz":
        return gzip.GzipFile(path, "rb")
    if suffix == ".bz2":
        return bz2.BZ2File(path, "rb")
    if suffix == ".xz":
        return lzma.LZMAFile(path, "rb")
    return open(path, "rb")


class _Counting:
    """A read-only wrapper counting the compressed bytes a decompressor consumed."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        data = self.read(len(buffer))  # any IO[bytes] reads; not all of them readinto
        buffer[:len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.raw.close()

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed)


def _as_file(counting: _Counting) -> IO[bytes]:
    """``counting`` as the file object the stdlib readers' type stubs ask for.

    gzip, bz2, lzma and tarfile's stream mode only ``read`` (and close) the file they
    decompress; their stubs name a full, seekable file, which a counting wrapper is not.
    """
    return cast(IO[bytes], counting)


class _Guard:
    """Counts decompressed bytes and raises ``LimitExceeded`` when a limit is crossed."""

    def __init__(self, limits: Limits, compressed: "_Counting | None" = None,
                 compressed_size: int | None = None) -> None:
        self.limits = limits
        self.compressed = compressed
        self.compressed_size = compressed_size
        self.produced = 0
        self._next_check = min(_MIB, limits.max_decompressed_bytes)

    def add(self, n: int) -> None:
        self.produced += n
        if self.produced >= self._next_check:
            self._next_check = self.produced + _MIB
            self.check()

    def check(self) -> None:
        limits = self.limits
        if self.produced > limits.max_decompressed_bytes:
            raise LimitExceeded(f"decompressed size exceeds the limit of "
                                f"{limits.max_decompressed_bytes} bytes (possible bomb)")
        consumed = self.compressed.count if self.compressed is not None else self.compressed_size
        if consumed is not None and self.produced >= limits.ratio_floor:
            if self.produced > limits.max_ratio * max(consumed, 1):
                raise LimitExceeded(f"decompression ratio exceeds the limit of "
                                    f"{limits.max_ratio:g}:1 (possible bomb)")


class _LineReader(Protocol):
    """What ``_lines`` reads: any binary stream's ``readline``."""

    def readline(self, size: int = -1, /) -> bytes: ...


def _lines(handle: _LineReader, guard: _Guard | None) -> Iterator[bytes]:
    readline = handle.readline
    if guard is None:
        while line := readline(MAX_LINE):
            yield line
        return
    add = guard.add
    while line := readline(MAX_LINE):
        add(len(line))
        yield line


def _cr_lines(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    """Lines of a stream whose line ends are bare CRs (each line keeps its CR)."""
    pending = b""
    chunk = first
    while chunk:
        pieces = (pending + chunk).split(b"\r")
        pending = pieces.pop()
        for piece in pieces:
            yield piece + b"\r"
        if len(pending) >= MAX_LINE:  # a long line comes in pieces, as readline gives them
            yield pending
            pending = b""
        chunk = next(rest, b"")
    if pending:
        yield pending


def split_stream(lines: Iterable[bytes], source: str, member: str | None = None,
                 limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage]:
    """Split a stream of lines into messages: an mbox if it starts with ``From ``, else one message.

    A ``From `` line after a blank line starts the next message; ``>From `` lines lose one ``>``
    (mboxrd quoting). Each message keeps at most ``limits.max_message_bytes`` bytes.
    """
    cap = limits.max_message_bytes
    iterator = iter(lines)
    first = next(iterator, b"")
    if first.startswith(b"From ") and b"\r" in first.rstrip(b"\r\n"):
        # bare CR line ends: the whole file reads as one "line"; split it at CR instead
        iterator = _cr_lines(first, iterator)
        first = next(iterator, b"")
    parts: list[bytes] = []
    size = 0
    truncated = False
    if not first.startswith(b"From "):
        parts, size = [first[:cap]], min(len(first), cap)
        truncated = len(first) > cap
        for line in iterator:
            if size >= cap:
                truncated = True
                continue
            parts.append(line[: cap - size])
            size += len(parts[-1])
            truncated = truncated or len(line) > len(parts[-1])
        yield RawMessage(source, 0, b"".join(parts), member, truncated)
        return
    index = 0
    previous_blank = True
    for line in iterator:
        if line.startswith(b"From ") and previous_blank and parts:
            yield RawMessage(source, index, b"".join(parts), member, truncated)
            index += 1
            parts, size, truncated = [], 0, False
            previous_blank = False
            continue
        if line.startswith(b">From "):
            line = line[1:]
        previous_blank = line in (b"\n", b"\r\n", b"\r")
        if size + len(line) > cap:
            truncated = True
            line = line[: max(cap - size, 0)]
            if not line:
                continue
        parts.append(line)
        size += len(line)
    yield RawMessage(source, index, b"".join(parts), member, truncated)


def mbox_spans(path: str | Path, chunk: int = _MIB) -> Iterator[tuple[int, int]]:
    """The byte ranges of the messages of a plain (uncompressed) file, read in chunks.

    Splits by the same rule as ``split_stream`` (a ``From `` line after a blank line, in a message
    that has content), but searches with ``bytes.find`` instead of looping over lines. The range
    excludes the ``From `` separator line. Lets the batch engine hand out (path, offsets) instead
    of message bytes.
    """
    with open(path, "rb") as handle:
        first = handle.readline(MAX_LINE)
        if not first.startswith(b"From "):
            yield 0, os.fstat(handle.fileno()).st_size
            return
        start: int | None = len(first)  # None while the separator line's end is still ahead
        separator = 0
        last_hit = -1
        offset = 0
        buffer = first
        while True:
            data = handle.read(chunk)
            keep = buffer[-7:]  # a hit may straddle the chunks; two bytes of context before it
            offset += len(buffer) - len(keep)
            buffer = keep + data
            if start is None:
                end_of_line = buffer.find(b"\n", max(separator - offset, 0))
                if end_of_line < 0 and data:
                    continue
                start = offset + end_of_line + 1 if end_of_line >= 0 else offset + len(buffer)
            at = buffer.find(b"\nFrom ")
            while at >= 0:
                hit = offset + at
                if hit > last_hit and hit + 1 > start and at >= 1 and (
                        buffer[at - 1] == 10 or (buffer[at - 1] == 13 and at >= 2 and buffer[at - 2] == 10)):
                    last_hit = hit
                    yield start, hit + 1
                    separator = hit + 1
                    end_of_line = buffer.find(b"\n", at + 1)
                    if end_of_line < 0:
                        start = None
                        break
                    start = offset + end_of_line + 1
                elif hit > last_hit:
                    last_hit = hit
                at = buffer.find(b"\nFrom ", at + 1)
            if not data:
                break
        if start is None:
            start = offset + len(buffer)
        yield start, offset + len(buffer)


def read_span(handle: IO[bytes], start: int, end: int, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, bool]:
    """The message bytes in ``[start, end)`` (unquoted, capped); and whether it was cut."""
    handle.seek(start)
    want = end - start
    data = handle.read(min(want, limits.max_message_bytes))
    if b">From " in data:
        data = _FROM_QUOTED.sub(b"From ", data)
    return data, want > limits.max_message_bytes


def iter_messages(path: str, source: str | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage | Problem]:
    """Every message of one file of any supported kind, streamed; failures become ``Problem``s."""
    source = source if source is not None else path
    if is_zip(path):
        yield from iter_zip(path, source, None, limits)
    elif is_tar(path):
        yield from iter_tar(path, source, limits)
    else:
        yield from _iter_plain_or_compressed(path, source, limits)


def _iter_plain_or_compressed(path: str, source: str, limits: Limits) -> Iterator[RawMessage | Problem]:
    try:
        raw = open(path, "rb")
    except OSError as exc:
        yield Problem(source, 0, f"cannot open: {_error_text(exc)}")
        return
    count = 0
    with raw:
        try:
            suffix = compression_of(path)
            if suffix is None:
                lines = _lines(raw, None)
            else:
                counting = _Counting(raw)
                stream = _DECOMPRESSORS[suffix](counting)
                lines = _lines(stream, _Guard(limits, counting))
            for message in split_stream(lines, source, None, limits):
                count += 1
                yield message
        except LimitExceeded as exc:
            yield Problem(source, count, f"{exc}; the rest of the file was not read")
        except _READ_ERRORS as exc:
            yield Problem(source, count, f"cannot read: {_error_text(exc)}")


def _member_stream(handle: IO[bytes], name: str, limits: Limits,
                   compressed_size: int | None, counting: _Counting | None = None) -> Iterator[bytes]:
    """Lines of one archive member, decompressing ``.gz``/``.bz2``/``.xz`` members too."""
    suffix = compression_of(name)
    if suffix is not None:
        inner_count = _Counting(handle)
        stream = _DECOMPRESSORS[suffix](inner_count)
        return _lines(stream, _Guard(limits, inner_count))
    if compressed_size is None and counting is None:
        return _lines(handle, None)
    return _lines(handle, _Guard(limits, counting, compressed_size))


def iter_zip(path: str, source: str, members: Iterable[str] | None = None,
             limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage | Problem]:
    """Messages of a zip archive's members (all, or the named ones), member by member."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        yield Problem(source, 0, f"cannot read zip archive: {_error_text(exc)}")
        return
    with archive:
        infos = [archive.getinfo(name) for name in members] if members is not None else \
            [info for info in archive.infolist() if not info.is_dir()]
        for info in infos:
            yield from _zip_member(archive, info, source, limits)


def zip_members(path: str) -> list[tuple[str, int]]:
    """(name, compressed size) of a zip archive's file members, in archive order."""
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, info.compress_size) for info in archive.infolist() if not info.is_dir()]


def _zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str,
                limits: Limits) -> Iterator[RawMessage | Problem]:
    name = info.filename
    if is_zip(name) or is_tar(name):
        yield Problem(source, 0, "nested archive not read", name)
        return
    if info.file_size > limits.max_decompressed_bytes:
        yield Problem(source, 0, f"member declares {info.file_size} bytes, over the limit of "
                                 f"{limits.max_decompressed_bytes} (possible bomb)", name)
        return
    if info.file_size >= limits.ratio_floor and \
            info.file_size > limits.max_ratio * max(info.compress_size, 1):
        yield Problem(source, 0, f"member's compression ratio exceeds the limit of "
                                 f"{limits.max_ratio:g}:1 (possible bomb)", name)
        return
    count = 0
    try:
        with archive.open(info) as handle:
            lines = _member_stream(handle, name, limits, info.compress_size)
            for message in split_stream(lines, source, name, limits):
                count += 1
                yield message
    except LimitExceeded as exc:
        yield Problem(source, count, f"{exc}; the rest of the member was not read", name)
    except (*_READ_ERRORS, RuntimeError, NotImplementedError) as exc:  # RuntimeError: encrypted
        yield Problem(source, count, f"corrupt member: {_error_text(exc)}", name)


def iter_tar(path: str, source: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage | Problem]:
    """Messages of a tar archive (compressed or not), read strictly as a stream."""
    try:
        raw = open(path, "rb")
    except OSError as exc:
        yield Problem(source, 0, f"cannot open: {_error_text(exc)}")
        return
    counting = _Counting(raw)
    guard = _Guard(limits, counting)
    member_name: str | None = None
    count = 0
    with raw:
        try:
            with tarfile.open(fileobj=_as_file(counting), mode="r|*") as archive:
                for info in archive:
                    if not info.isfile():
                        continue
                    member_name, count = info.name, 0
                    if is_zip(info.name) or is_tar(info.name):
                        yield Problem(source, 0, "nested archive not read", info.name)
                        continue
                    if info.size > limits.max_decompressed_bytes:
                        raise LimitExceeded(f"member declares {info.size} bytes, over the limit "
                                            f"of {limits.max_decompressed_bytes} (possible bomb)")
                    handle = archive.extractfile(info)
                    if handle is None:
                        continue
                    if compression_of(info.name):
                        lines = _member_stream(handle, info.name, limits, None)
                    else:  # the archive-wide guard sees every byte: the ratio is the tar's
                        lines = _lines(handle, guard)
                    for message in split_stream(lines, source, info.name, limits):
                        count += 1
                        yield message
                    member_name = None
        except LimitExceeded as exc:
            yield Problem(source, count, f"{exc}; the rest of the archive was not read", member_name)
        except _READ_ERRORS as exc:
            yield Problem(source, count, f"corrupt archive: {_error_text(exc)}", member_name)

