"""Work units: small, picklable descriptions of where messages are, so workers read the input
themselves ("path + offsets", "zip + member names") instead of receiving message bytes. Only
streams that cannot be sought (compressed files, tar archives, stdin) travel as payloads.

``plan()`` walks the PATHs in a stable order, so every engine and every ``--jobs`` value sees the
same units in the same order and produces the same records.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Union

from ..reading.kinds import compression_of, is_tar, is_zip
from ..reading.mbox import Limits, Problem, RawMessage, has_cr_line_ends, mbox_spans
from ..reading.sources import folder_files, is_maildir, iter_messages, maildir_files

SPAN_THRESHOLD = 4 * 1024 * 1024
"""Plain files larger than this are split by offsets in the planner; smaller ones travel by name."""
UNIT_BYTES = 2 * 1024 * 1024
"""Rough amount of input per unit: big enough to amortise the hand-off, small enough to balance."""
UNIT_MESSAGES = 400
TAIL_SHARE = 4
"""Near the end of an input a unit takes at most 1/TAIL_SHARE of what is left, so the last units
are small and every worker finishes at about the same time (none waits alone on a big last unit)."""
MIN_UNIT_BYTES = 256 * 1024
"""The smallest unit the tail is cut into (about 50 bounces): below it, handing a unit over costs
more than the balance gains."""


def unit_size(remaining: int) -> tuple[int, int]:
    """(bytes, messages) a unit may hold when ``remaining`` bytes of the input are left: the
    bytes shrink near the end; the message count stays (it only bounds a unit of tiny messages)."""
    return max(MIN_UNIT_BYTES, min(UNIT_BYTES, remaining // TAIL_SHARE)), UNIT_MESSAGES


@dataclass(frozen=True, slots=True)
class Spans:
    """Messages of one plain file by byte range; ``first_index`` numbers them."""

    path: str
    spans: tuple[tuple[int, int], ...]
    first_index: int
    nbytes: int


@dataclass(frozen=True, slots=True)
class Files:
    """Whole files read by the worker (small files: single messages, small mboxes, compressed).

    Each entry is (path to open, source name to report, index or -1). An index ≥ 0 means a Maildir
    message: the file is one message (never split as an mbox), reported at that index."""

    files: tuple[tuple[str, str, int], ...]
    nbytes: int


@dataclass(frozen=True, slots=True)
class ZipMembers:
    """Some members of a zip archive, read by the worker."""

    path: str
    members: tuple[str, ...]
    nbytes: int


@dataclass(frozen=True, slots=True)
class Payload:
    """Messages (and problems) read by the planner from a stream that cannot be sought.

    ``nbytes`` in every unit is the on-disk input it covers, for the progress bar."""

    items: tuple[Union[RawMessage, Problem], ...]
    nbytes: int


Unit = Union[Spans, Files, ZipMembers, Payload]


@dataclass(slots=True)
class _FileBatch:
    """Files gathered into one unit of work until it is big enough to hand to a worker."""

    files: list[tuple[str, str, int]] = field(default_factory=list)
    nbytes: int = 0
    limit: tuple[int, int] = (UNIT_BYTES, UNIT_MESSAGES)

    def add(self, path: str, source: str, index: int, size: int, remaining: int) -> Files | None:
        """Add a file; ``remaining`` is what is left of the input from this file on."""
        if not self.files:
            self.limit = unit_size(remaining)
        self.files.append((path, source, index))
        self.nbytes += size
        if self.nbytes >= self.limit[0] or len(self.files) >= self.limit[1]:
            return self.flush()
        return None

    def flush(self) -> Files | None:
        if not self.files:
            return None
        unit = Files(tuple(self.files), self.nbytes)
        self.files, self.nbytes = [], 0
        return unit


def plan(paths: list[str], limits: Limits) -> Iterator[Unit]:
    """The units for these PATHs, in a stable order (the order ``ndr parse`` reads them in)."""
    batch = _FileBatch()
    for given in paths:
        path = Path(given)
        if is_maildir(path):  # each message under its own file name (index 0), like ndr parse
            files = [(str(name), 0) for name in maildir_files(path)]
        else:
            files = [(child, -1) for child in (folder_files(path) if path.is_dir() else [given])]
        sizes = [_size(name) for name, _ in files]
        remaining = sum(sizes)
        for (name, index), size in zip(files, sizes):
            if index < 0 and (is_zip(name) or is_tar(name) or size > SPAN_THRESHOLD or not os.path.isfile(name)):
                if (unit := batch.flush()) is not None:
                    yield unit
                yield from _plan_big(name, size, limits)
            elif (unit := batch.add(name, name, index, size, remaining)) is not None:
                yield unit
            remaining -= size
    if (unit := batch.flush()) is not None:
        yield unit


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _plan_big(path: str, size: int, limits: Limits) -> Iterator[Unit]:
    if not os.path.isfile(path):
        yield Files(((path, path, -1),), 0)  # the worker reports why it cannot be read
    elif is_zip(path):
        yield from _plan_zip(path)
    elif is_tar(path) or compression_of(path) or _cr_only(path):
        yield from _plan_stream(path, size, limits)
    else:
        yield from _plan_spans(path, size)


def _cr_only(path: str) -> bool:
    """An mbox with bare-CR line ends is split as a stream (as ``ndr parse`` does), not by offsets."""
    try:
        return has_cr_line_ends(path)
    except OSError:
        return False  # _plan_spans reports why it cannot be read


def _plan_spans(path: str, size: int) -> Iterator[Unit]:
    spans: list[tuple[int, int]] = []
    first = nbytes = 0
    limit = unit_size(size)
    try:
        for start, end in mbox_spans(path):
            if not spans:
                limit = unit_size(size - start)
            spans.append((start, end))
            nbytes += end - start
            if nbytes >= limit[0] or len(spans) >= limit[1]:
                yield Spans(path, tuple(spans), first, nbytes)
                first += len(spans)
                spans, nbytes = [], 0
    except OSError as exc:
        if spans:
            yield Spans(path, tuple(spans), first, nbytes)
            first += len(spans)
        yield Payload((Problem(path, first, f"cannot read: {exc.strerror or exc}"),), 0)
        return
    if spans:
        yield Spans(path, tuple(spans), first, nbytes)


def _plan_zip(path: str) -> Iterator[Unit]:
    import zipfile  # here: a plain mbox is planned without the archive modules

    from ..reading.archives import zip_members

    try:
        members = zip_members(path)
    except (OSError, zipfile.BadZipFile, ValueError):  # the worker reports it, with the reason
        yield Files(((path, path, -1),), 0)
        return
    names: list[str] = []
    nbytes = 0
    remaining = sum(size for _, size in members)
    limit = unit_size(remaining)
    for name, size in members:
        if not names:
            limit = unit_size(remaining)
        names.append(name)
        nbytes += size
        remaining -= size
        if nbytes >= limit[0] or len(names) >= limit[1]:
            yield ZipMembers(path, tuple(names), nbytes)
            names, nbytes = [], 0
    if names:
        yield ZipMembers(path, tuple(names), nbytes)


def _plan_stream(path: str, size: int, limits: Limits) -> Iterator[Unit]:
    """Compressed files and tar archives: the planner streams them and ships message bytes."""
    items: list[RawMessage | Problem] = []
    held = 0
    for item in iter_messages(path, path, limits):
        items.append(item)
        held += len(item.data) if isinstance(item, RawMessage) else 0
        if held >= UNIT_BYTES or len(items) >= UNIT_MESSAGES:
            yield Payload(tuple(items), 0)
            items, held = [], 0
    # progress counts on-disk bytes: the file's size is reported with its last unit
    yield Payload(tuple(items), size)
