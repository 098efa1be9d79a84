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
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, cast

# The records and limits every reader shares live in mbox.py; readers import them from here.
from .mbox import DEFAULT_LIMITS as DEFAULT_LIMITS
from .mbox import Limits as Limits
from .mbox import Problem as Problem
from .mbox import RawMessage as RawMessage
from .mbox import mbox_spans as mbox_spans
from .mbox import read_span as read_span
from .mbox import open_input as open_input
from .mbox import _MIB, _lines, error_text, iter_plain, opened, split_stream
from .kinds import COMPRESSIONS, compression_of as compression_of, is_tar as is_tar, is_zip as is_zip

_DECOMPRESSORS: dict[str, Callable[[_Counting], io.BufferedIOBase]] = {
    ".gz": lambda f: gzip.GzipFile(fileobj=_as_file(f), mode="rb"),
    ".bz2": lambda f: bz2.BZ2File(_as_file(f), "rb"), ".xz": lambda f: lzma.LZMAFile(_as_file(f), "rb")}
assert set(_DECOMPRESSORS) == set(COMPRESSIONS), "a compression without its decompressor"
_READ_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error, tarfile.TarError,
                zipfile.BadZipFile, ValueError)


_error_text = error_text


def open_binary(path: str | Path) -> io.BufferedIOBase:
    """Open a file for reading bytes, decompressing by extension (no limits: small files only)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gz":
        return gzip.GzipFile(fileobj=open_input(path), mode="rb")
    if suffix == ".bz2":
        return bz2.BZ2File(open_input(path), "rb")
    if suffix == ".xz":
        return lzma.LZMAFile(open_input(path), "rb")
    return open_input(path)


class LimitExceeded(Exception):
    """A decompression limit was hit; the message names the limit."""


class _Guard:
    """Counts decompressed bytes and raises ``LimitExceeded`` when a limit is crossed."""

    def __init__(self, limits: Limits, compressed: "_Counting | None" = None,
                 compressed_size: int | None = None, parent: "_Guard | None" = None) -> None:
        self.limits = limits
        self.compressed = compressed
        self.compressed_size = compressed_size
        self.parent = parent
        """The whole archive's guard: many small members must not add up to a bomb."""
        self.produced = 0
        self.exceeded = False
        """True once a limit was crossed (an archive stops there, not only the member)."""
        self._next_check = min(_MIB, limits.max_decompressed_bytes)

    def add(self, n: int) -> None:
        self.produced += n
        if self.parent is not None:
            self.parent.add(n)
        if self.produced >= self._next_check:
            self._next_check = self.produced + _MIB
            self.check()

    def check(self) -> None:
        limits = self.limits
        if self.produced > limits.max_decompressed_bytes:
            self.exceeded = True
            raise LimitExceeded(f"decompressed size exceeds the limit of "
                                f"{limits.max_decompressed_bytes} bytes (possible bomb)")
        consumed = self.compressed.count if self.compressed is not None else self.compressed_size
        if consumed is not None and self.produced >= limits.ratio_floor:
            if self.produced > limits.max_ratio * max(consumed, 1):
                self.exceeded = True
                raise LimitExceeded(f"decompression ratio exceeds the limit of "
                                    f"{limits.max_ratio:g}:1 (possible bomb)")


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
    suffix = compression_of(path)
    if suffix is None:
        yield from iter_plain(path, source, limits)
        return
    raw = opened(path, source)
    if isinstance(raw, Problem):
        yield raw
        return
    count = 0  # messages read before a problem stops the file
    with raw:
        counting = _Counting(raw)
        try:
            stream = _DECOMPRESSORS[suffix](counting)
            lines = _lines(stream, _Guard(limits, counting))
            for message in split_stream(lines, source, None, limits):
                count += 1
                yield message
        except LimitExceeded as exc:
            yield Problem(source, count, f"{exc}; the rest of the file was not read")
        except _READ_ERRORS as exc:
            yield Problem(source, count, f"cannot read: {_error_text(exc)}")


def _member_stream(handle: IO[bytes], name: str, limits: Limits, compressed_size: int | None,
                   counting: _Counting | None = None, archive: _Guard | None = None) -> Iterator[bytes]:
    """Lines of one archive member, decompressing ``.gz``/``.bz2``/``.xz`` members too; every
    byte also counts in the ``archive``'s guard."""
    suffix = compression_of(name)
    if suffix is not None:
        inner_count = _Counting(handle)
        stream = _DECOMPRESSORS[suffix](inner_count)
        return _lines(stream, _Guard(limits, inner_count, parent=archive))
    if compressed_size is None and counting is None:
        return _lines(handle, archive)
    return _lines(handle, _Guard(limits, counting, compressed_size, parent=archive))


def iter_zip(path: str, source: str, members: Iterable[str] | None = None,
             limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage | Problem]:
    """Messages of a zip archive's members (all, or the named ones), member by member."""
    try:
        raw = open_input(path)
    except OSError as exc:
        yield Problem(source, 0, f"cannot read zip archive: {_error_text(exc)}")
        return
    try:
        archive = zipfile.ZipFile(raw)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raw.close()
        yield Problem(source, 0, f"cannot read zip archive: {_error_text(exc)}")
        return
    with raw, archive:
        infos = [archive.getinfo(name) for name in members] if members is not None else \
            [info for info in archive.infolist() if not info.is_dir()]
        # The whole archive against its size on disk: members under the ratio floor add up too.
        whole = _Guard(limits, compressed_size=os.fstat(raw.fileno()).st_size)
        for info in infos:
            yield from _zip_member(archive, info, source, limits, whole)
            if whole.exceeded:
                break


def zip_members(path: str) -> list[tuple[str, int]]:
    """(name, compressed size) of a zip archive's file members, in archive order."""
    with open_input(path) as raw, zipfile.ZipFile(raw) as archive:
        return [(info.filename, info.compress_size) for info in archive.infolist() if not info.is_dir()]


def _zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str,
                limits: Limits, whole: _Guard) -> Iterator[RawMessage | Problem]:
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
        with archive.open(info) as member:
            # zipfile's own readline steps 512 bytes at a time through a line without "\n"
            handle = io.BufferedReader(cast(io.RawIOBase, member), _MIB)
            lines = _member_stream(handle, name, limits, info.compress_size, archive=whole)
            for message in split_stream(lines, source, name, limits):
                count += 1
                yield message
    except LimitExceeded as exc:
        rest = "archive" if whole.exceeded else "member"
        yield Problem(source, count, f"{exc}; the rest of the {rest} was not read", name)
    except (*_READ_ERRORS, RuntimeError, NotImplementedError) as exc:  # RuntimeError: encrypted
        yield Problem(source, count, f"corrupt member: {_error_text(exc)}", name)


MAX_TAR_HEADER = _MIB
"""Largest pax or GNU long-name header read (tarfile holds it in memory whole)."""
_TAR_MAGIC = ((b"\x1f\x8b", ".gz"), (b"BZh", ".bz2"), (b"\xfd7zXZ\x00", ".xz"))


class _BoundedTarInfo(tarfile.TarInfo):
    """A tar header that refuses an extended header larger than ``MAX_TAR_HEADER``."""

    def _proc_member(self, archive: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _EXTENDED and self.size > MAX_TAR_HEADER:
            raise LimitExceeded(f"an extended tar header of {self.size} bytes, over the limit of "
                                f"{MAX_TAR_HEADER} (possible bomb)")
        return super()._proc_member(archive)  # type: ignore[misc, no-any-return]


_EXTENDED = frozenset({tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                       tarfile.GNUTYPE_LONGLINK})


class _Produced:
    """The decompressed tar stream, every byte of it counted: headers, skipped members and
    members read alike."""

    def __init__(self, stream: IO[bytes] | io.BufferedIOBase, guard: _Guard) -> None:
        self.stream = stream
        self.guard = guard

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size if size >= 0 else _MIB)
        self.guard.add(len(data))
        return data

    def close(self) -> None:
        self.stream.close()


def _tar_stream(raw: io.BufferedReader, counting: _Counting, guard: _Guard) -> IO[bytes]:
    """The tar bytes of ``raw``, decompressed here (not by tarfile) so that the guard sees them."""
    head = raw.peek(6)[:6]
    suffix = next((s for magic, s in _TAR_MAGIC if head.startswith(magic)), None)
    stream = _DECOMPRESSORS[suffix](counting) if suffix else _as_file(counting)
    return cast(IO[bytes], _Produced(stream, guard))


def iter_tar(path: str, source: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage | Problem]:
    """Messages of a tar archive (compressed or not), read strictly as a stream."""
    raw = opened(path, source)
    if isinstance(raw, Problem):
        yield raw
        return
    counting = _Counting(raw)
    guard = _Guard(limits, counting)
    member_name: str | None = None
    count = 0
    with raw:
        try:
            with tarfile.open(fileobj=_tar_stream(raw, counting, guard), mode="r|",
                              tarinfo=_BoundedTarInfo) as archive:
                for info in archive:
                    if not info.isfile():
                        continue
                    member_name, count = info.name, 0
                    if info.size > limits.max_decompressed_bytes:
                        raise LimitExceeded(f"member declares {info.size} bytes, over the limit "
                                            f"of {limits.max_decompressed_bytes} (possible bomb)")
                    if is_zip(info.name) or is_tar(info.name):
                        yield Problem(source, 0, "nested archive not read", info.name)
                        continue  # skipping it reads it through the guard
                    handle = archive.extractfile(info)
                    if handle is None:
                        continue
                    # the archive-wide guard already sees every tar byte; a compressed member's
                    # inflated bytes count in it too
                    lines = _member_stream(handle, info.name, limits, None, archive=guard) \
                        if compression_of(info.name) else _lines(handle, None)
                    for message in split_stream(lines, source, info.name, limits):
                        count += 1
                        yield message
                    member_name = None
        except LimitExceeded as exc:
            yield Problem(source, count, f"{exc}; the rest of the archive was not read", member_name)
        except _READ_ERRORS as exc:
            yield Problem(source, count, f"corrupt archive: {_error_text(exc)}", member_name)
