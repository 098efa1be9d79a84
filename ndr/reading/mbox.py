"""Splitting a byte stream into messages (a single message or an mbox), each capped by ``Limits``;
the message and problem records every reader yields."""
from __future__ import annotations

import errno
import io
import itertools
import os
import stat
from typing import IO, TYPE_CHECKING, Iterable, Iterator, NamedTuple, Protocol

from ..lazy import regex

if TYPE_CHECKING:
    from pathlib import Path

_MIB = 1024 * 1024
MAX_LINE = _MIB
"""Longest piece read at once; longer lines come in pieces so a 1 GB line never sits in memory."""
_FROM_QUOTED = regex(rb"(?m)^>From ")
_SEPARATOR = regex(rb"From (?:(?<=\n\nFrom )|(?<=\n\r\nFrom ))")
"""A ``From `` line after a blank line (LF or CRLF): one scan in C finds only those, where
``bytes.find`` of the line start stopped at every ``From `` for a Python test. Written from the
literal ``From `` (the blank line checked behind it), the scan looks for that literal's rare
first byte instead of stopping at every line end: 40 % faster on a large mbox."""
_CONTEXT = 8
"""Bytes kept from one chunk for the next: a separator may straddle them (``\n\r\nFrom ``)."""


class Limits(NamedTuple):
    """Limits on what reading one input may cost; all configurable, all with safe defaults."""

    max_message_bytes: int = 32 * _MIB
    """A longer message keeps its first bytes only (the parser records a ``size-limit`` defect)."""
    max_decompressed_bytes: int = 4 * 1024 * _MIB
    """Most bytes one compressed file or archive member may produce."""
    max_ratio: float = 40.0
    """Most decompressed bytes per compressed byte (a zip or gzip bomb goes far beyond; mail
    archives compress 5-20:1). Also what one input MB may cost: parsing 40 MB of the cheapest
    text costs about twice a megabyte of ordinary bounces (benchmarks/bench_hostile.py)."""
    ratio_floor: int = 8 * _MIB
    """The ratio is checked only once this many bytes have been produced."""


DEFAULT_LIMITS = Limits()


def _label(source: str, member: str | None) -> str:
    """A ``RawMessage``'s or a ``Problem``'s ``label`` (named tuples share no base class)."""
    return f"{source}!{member}" if member else source


class RawMessage(NamedTuple):
    """One message found in an input."""

    source: str
    """The PATH as the user gave it (``-`` for stdin), or the file inside a folder."""
    index: int  # type: ignore[assignment]  # a field, over tuple.index (nothing calls that)
    """Position inside an mbox or archive member (0 for a single message or a Maildir file)."""
    data: bytes
    member: str | None = None
    """The archive member the message came from (``None`` outside archives)."""
    truncated: bool = False
    """True when the message was longer than ``Limits.max_message_bytes`` and was cut."""

    @property
    def label(self) -> str:
        """Where it came from, as one string: ``file`` or ``archive!member``."""
        return _label(self.source, self.member)


class Problem(NamedTuple):
    """Something that could not be read; it is reported, never silently dropped."""

    source: str
    index: int  # type: ignore[assignment]  # as in RawMessage
    error: str
    member: str | None = None

    @property
    def label(self) -> str:
        """Where it came from, as one string: ``file`` or ``archive!member``."""
        return _label(self.source, self.member)


_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0))


def read_file(path: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage] | None:
    """The messages of a regular file that fits the size limit: one message, or those of an mbox
    split in memory (``split_bytes``); ``None`` for anything else (a folder, a special or
    unreadable file, a larger one), which the general readers then take, and report.

    The common case of ``ndr parse FILE...``: without a buffered reader and a first-line probe,
    reading a bounce costs about what the stdlib's ``open().read()`` does, and an mbox is not
    read a second time, line by line.
    """
    data = _read_whole(path, limits)
    if data is None:
        return None
    if not data.startswith(b"From "):
        return iter((RawMessage(path, 0, data),))
    return split_bytes(data, path, None, limits)


def _read_whole(path: str, limits: Limits) -> bytes | None:
    """The bytes of a regular file shorter than ``limits.max_message_bytes``, with one open, one
    fstat and one read; ``None`` for anything else (the general readers take it and report)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size >= limits.max_message_bytes:
            return None
        want = info.st_size + 1  # one more: a file that grew since is still seen whole, or cut
        data = more = os.read(fd, want)
        # A read may return less (a signal, some file systems): read on, but not once the file
        # as fstat saw it is whole (the read that would find its end costs a system call).
        while more and info.st_size > len(data):
            more = os.read(fd, want - len(data))
            data += more
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > limits.max_message_bytes:
        return None  # a file that grew past the limit: read as a stream
    return data


def open_input(path: str | os.PathLike[str]) -> io.BufferedReader:
    """Open a file to read, refusing anything but a regular file (after symlinks): a FIFO would
    block the open or the read forever, ``/dev/zero`` never ends. Raises ``OSError``."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or \
                stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "a directory" \
                if stat.S_ISDIR(mode) else "no regular file"
            raise OSError(errno.EINVAL, f"not a regular file ({kind}); pipe it to stdin instead")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def has_cr_line_ends(path: str | os.PathLike[str]) -> bool:
    """True when a plain file is an mbox whose lines end in bare CRs (old Mac): its messages
    cannot be found by offsets of ``\\nFrom `` and it must be read as a stream."""
    with open_input(path) as handle:
        first = handle.readline(MAX_LINE)
    return first.startswith(b"From ") and b"\r" in first.rstrip(b"\r\n")


class _Counter(Protocol):
    """What counts the bytes a stream produced (the decompression guard in archives.py)."""

    def add(self, n: int) -> None: ...


class _LineReader(Protocol):
    """What ``_lines`` reads: any binary stream's ``readline``."""

    def readline(self, size: int = -1, /) -> bytes: ...


def _lines(handle: _LineReader, guard: _Counter | None) -> Iterator[bytes]:
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
            if size >= cap:  # one message, cut: nothing after this is kept, so stop reading
                truncated = True
                break
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


def split_bytes(data: bytes, source: str, member: str | None = None,
                limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage]:
    """``split_stream`` over the lines of ``data`` (as ``readline(MAX_LINE)`` gives them), the same
    messages; an mbox that fits both ``MAX_LINE`` and the size limit is split by ``bytes.find``
    instead of a loop over its lines.

    Why that is the same: in such an mbox no message is cut and no line comes in pieces, so a
    line starts at 0 or after a newline; a separator is a ``From `` line whose previous line is
    blank (``\\n`` or ``\\r\\n``, never the first line nor a separator, which start with ``From ``:
    so the message before it always has content); a ``>From `` at a line start loses its ``>``.
    """
    first_end = data.find(b"\n") + 1
    if (len(data) > MAX_LINE or len(data) > limits.max_message_bytes or first_end == 0
            or not data.startswith(b"From ") or b"\r" in data[:first_end].rstrip(b"\r\n")):
        # not an mbox, one line only, bare CR line ends, long lines or a cut: the general rules
        yield from split_stream(_lines(io.BytesIO(data), None), source, member, limits)
        return
    index = 0
    start = first_end  # the first From line is dropped
    for found in _SEPARATOR.finditer(data, first_end):  # after the separator line, in order
        at = found.start() - 1  # the line end before ``From ``
        yield RawMessage(source, index, _unquoted(data[start:at + 1]), member)
        index += 1
        end = data.find(b"\n", at + 1)
        if end < 0:  # the separator is the last line: an empty message follows
            start = len(data)
            break
        start = end + 1
    yield RawMessage(source, index, _unquoted(data[start:]), member)


def _unquoted(message: bytes) -> bytes:
    """``>From `` at the start of a line loses one ``>`` (mboxrd quoting)."""
    return _FROM_QUOTED.sub(b"From ", message) if b">From " in message else message


def mbox_spans(path: str | Path, chunk: int = _MIB) -> Iterator[tuple[int, int]]:
    """The byte ranges of the messages of a plain (uncompressed) file, read in chunks.

    Splits by the same rule as ``split_stream`` (a ``From `` line after a blank line, in a message
    that has content), but searches with ``bytes.find`` instead of looping over lines. The range
    excludes the ``From `` separator line. Lets the batch engine hand out (path, offsets) instead
    of message bytes.
    """
    with open_input(path) as handle:
        first = handle.readline(MAX_LINE)
        if not first.startswith(b"From "):
            yield 0, os.fstat(handle.fileno()).st_size
            return
        start: int | None = len(first)  # None while the separator line's end is still ahead
        separator = 0
        last_hit = -1
        # One buffer, read into again and again: a new bytes object per chunk (and a joined copy
        # with the context) cost the planner a page fault per 4 KiB of the file.
        buffer = bytearray(chunk + _CONTEXT)
        view = memoryview(buffer)
        filled = min(len(first), _CONTEXT)
        buffer[:filled] = first[len(first) - filled:]
        offset = len(first) - filled  # the file position of buffer[0]
        try:
            while True:
                keep = min(filled, _CONTEXT)  # a hit may straddle the chunks: context before it
                buffer[:keep] = bytes(view[filled - keep:filled])  # may overlap: copied first
                offset += filled - keep
                read = handle.readinto(view[keep:keep + chunk])
                filled = keep + read
                if start is None:
                    end_of_line = buffer.find(b"\n", max(separator - offset, 0), filled)
                    if end_of_line < 0 and read:
                        continue
                    start = offset + end_of_line + 1 if end_of_line >= 0 else offset + filled
                for found in _SEPARATOR.finditer(buffer, 0, filled):
                    at = found.start() - 1  # the line end before ``From ``
                    hit = offset + at
                    if hit > last_hit and hit + 1 > start:
                        last_hit = hit
                        yield start, hit + 1
                        separator = hit + 1
                        end_of_line = buffer.find(b"\n", at + 1, filled)
                        if end_of_line < 0:
                            start = None
                            break
                        start = offset + end_of_line + 1
                if not read:
                    break
        finally:
            view.release()
        if start is None:
            start = offset + filled
        yield start, offset + filled


def read_span(handle: IO[bytes], start: int, end: int, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, bool]:
    """The message bytes in ``[start, end)`` (unquoted, capped); and whether it was cut."""
    handle.seek(start)
    want = end - start
    data = handle.read(min(want, limits.max_message_bytes))
    return _unquoted(data), want > limits.max_message_bytes


def error_text(exc: BaseException) -> str:
    """What an unreadable input's ``Problem`` says: the system's words for an OSError."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def opened(path: str, source: str) -> io.BufferedReader | Problem:
    """``path`` opened to read (``open_input``), or the problem saying why it cannot be."""
    try:
        return open_input(path)
    except OSError as exc:
        return Problem(source, 0, f"cannot open: {error_text(exc)}")


def iter_plain(path: str, source: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawMessage | Problem]:
    """The messages of an uncompressed file that is not an archive: one message, or an mbox.

    Here, not in archives.py, so that reading one bounce imports no compression or archive module.
    """
    raw = opened(path, source)
    if isinstance(raw, Problem):
        yield raw
        return
    count = 0
    with raw:
        try:
            first = raw.readline(MAX_LINE)
            if not first.startswith(b"From "):
                # One message (not an mbox): read whole, as split_stream would join its lines.
                cap = limits.max_message_bytes
                data = first + raw.read(max(cap - len(first), 0) + 1)
                count += 1
                yield RawMessage(source, 0, data[:cap], None, len(data) > cap)
                return
            for message in split_stream(itertools.chain((first,), _lines(raw, None)), source, None, limits):
                count += 1
                yield message
        except (OSError, EOFError, ValueError) as exc:  # what reading a plain file can raise
            yield Problem(source, count, f"cannot read: {error_text(exc)}")
