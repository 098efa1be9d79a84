"""What a worker does with one unit: read its messages, skip those already in the ledger, parse
the rest, and return flat records. Every message is handled in its own ``try`` so a message that
crashes the parser becomes a problem record and the rest of the unit goes on.

The same function runs in-process (``--jobs 1``), in a process pool and on Dask workers, which is
why results are identical across engines. The catalog is loaded once per worker process
(``load_catalog`` caches it); the context travels once, through the pool initializer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

# BLAKE2 from CPython's own module: hashlib would load OpenSSL first (a few milliseconds at every
# start of ``analyze``) for a hash it does not take from there anyway. The same digest either way.
if TYPE_CHECKING:
    from hashlib import blake2b
else:
    try:
        from _blake2 import blake2b
    except ImportError:  # another implementation may not have it
        from hashlib import blake2b

from ..lazy import regex
from ..safetext import no_surrogates
from ..reading.mbox import DEFAULT_LIMITS, Limits, Problem, RawMessage, open_input, read_span
from ..reading.sources import iter_messages
from ..catalog import Catalog, load_catalog
from ..reading.text import parse_date
from ..parse import parse_bytes
from ..policy import DEFAULT, Policy
from ..reading.records import records
from .units import Payload, Spans, Unit, ZipMembers

_DATE = regex(rb"(?im)^date:[ \t]*([^\r\n]*)")
_HEADER_SCAN = 64 * 1024


@dataclass(frozen=True, slots=True)
class WorkContext:
    """Everything a worker needs, sent once per worker (keep it small and picklable)."""

    catalog: str | None = None
    lang: str = "en"
    limits: Limits = DEFAULT_LIMITS
    include_all: bool = False
    known: frozenset[str] = frozenset()
    """Content hashes already in the ledger: these messages are skipped, not parsed."""
    policy: Policy = DEFAULT
    """Parser limits (``--max-depth`` ...); ``lang`` and ``limits.max_message_bytes`` win."""


@dataclass(frozen=True, slots=True)
class MessageResult:
    """One message parsed: its content hash, when it happened, and its records."""

    source: str
    index: int
    digest: str
    records: tuple[dict[str, Any], ...]
    times: tuple[str | None, ...]
    """Per record: when the failure happened (UTC ISO 8601), or None when nothing says."""


@dataclass(slots=True)
class UnitResult:
    """What one unit produced."""

    messages: list[MessageResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0
    """Messages skipped because the ledger already has them."""
    nbytes: int = 0
    folded: Any = None
    """A ``fold.Folded``: the messages folded into the outputs' shares (``Fold.apply``);
    ``messages`` is then emptied unless the ledger needs them. Typed there: naming it here would
    make the two modules import each other."""


_CATALOGS: dict[str | None, Catalog] = {}


def worker_catalog(user: str | None) -> Catalog:
    """The catalog, loaded once per worker process on first use (``load_catalog`` itself stats
    the files on every call to notice edits; a worker parsing thousands of messages must not)."""
    catalog = _CATALOGS.get(user)
    if catalog is None:
        catalog = _CATALOGS[user] = load_catalog(user)
    return catalog


def digest_of(data: bytes) -> str:
    """The content hash that identifies a message in the ledger."""
    return blake2b(data, digest_size=16).hexdigest()


def read_unit(unit: Unit, limits: Limits) -> Iterator[RawMessage | Problem]:
    """The messages a unit points at, read by whoever runs the unit."""
    if isinstance(unit, Payload):
        yield from unit.items
    elif isinstance(unit, Spans):
        try:
            handle = open_input(unit.path)
        except OSError as exc:
            yield Problem(unit.path, unit.first_index, f"cannot open: {exc.strerror or exc}")
            return
        with handle:
            for offset, (start, end) in enumerate(unit.spans):
                index = unit.first_index + offset
                try:
                    data, cut = read_span(handle, start, end, limits)
                except OSError as exc:
                    yield Problem(unit.path, index, f"cannot read: {exc.strerror or exc}")
                    continue
                yield RawMessage(unit.path, index, data, None, cut)
    elif isinstance(unit, ZipMembers):
        from ..reading.archives import iter_zip  # here: a plain mbox is read without the archive modules

        yield from iter_zip(unit.path, unit.path, unit.members, limits)
    else:
        for path, source, index in unit.files:
            if index < 0:
                yield from iter_messages(path, source, limits)
                continue
            for item in iter_messages(path, source, limits):  # a Maildir message: one per file
                if isinstance(item, Problem):
                    yield Problem(source, index, f"{Path(path).name}: {item.error}")
                else:
                    yield RawMessage(source, index, item.data, None, item.truncated)
                break


def process_unit(unit: Unit, context: WorkContext) -> UnitResult:
    """Read, dedup and parse the messages of one unit; never raises for a bad message."""
    policy = context.policy.clone(lang=context.lang, max_message_bytes=context.limits.max_message_bytes)
    result = UnitResult(nbytes=unit.nbytes)
    items = read_unit(unit, context.limits)
    while True:
        try:
            item = next(items, None)
        except Exception as exc:  # a reader bug must not stop the batch: say where it stopped
            last = result.messages[-1] if result.messages else None
            result.problems.append(Problem(last.source if last else "?", last.index + 1 if last else 0,
                                           f"reading stopped: {type(exc).__name__}: {exc}"))
            break
        if item is None:
            break
        if isinstance(item, Problem):
            result.problems.append(item)
            continue
        try:
            outcome = _one_message(item, context, policy)
        except Exception as exc:  # a crashing message is a problem record; the batch goes on
            outcome = Problem(item.source, item.index,
                              f"crashed the parser: {type(exc).__name__}: {exc}", item.member)
        if outcome is None:
            result.skipped += 1
        elif isinstance(outcome, Problem):
            result.problems.append(outcome)
        else:
            result.messages.append(outcome)
    return result


def _one_message(raw: RawMessage, context: WorkContext, policy: Any) -> MessageResult | Problem | None:
    if not raw.data.strip():
        return Problem(raw.source, raw.index, "empty message", raw.member)
    digest = digest_of(raw.data)
    if digest in context.known:
        return None
    report = parse_bytes(raw.data, worker_catalog(context.catalog), policy)
    if any(d.kind == "not-a-message" for d in report.defects):
        return Problem(raw.source, raw.index, "not readable as a mail message (no header fields)",
                       raw.member)
    rows = records(report, raw.label, raw.index, include_all=context.include_all)
    if raw.truncated:
        note = (f"size-limit: message longer than {context.limits.max_message_bytes} bytes; "
                f"the first {context.limits.max_message_bytes} were read")
        for row in rows:
            row["defects"] = [*row["defects"], note]
    times = [_utc(row.get("last_attempt_date")) or _utc(row.get("arrival_date")) for row in rows]
    if None in times:  # only then read the bounce's own Date header (parsing dates is not free)
        sent = _header_date(raw.data)
        times = [when or sent for when in times]
    # a file name that is not UTF-8 holds surrogates: they must not reach SQLite or JSON
    return MessageResult(no_surrogates(raw.label), raw.index, digest, tuple(rows), tuple(times))


def _header_date(data: bytes) -> str | None:
    """The bounce's own Date header, from the top header block only."""
    head = data[:_HEADER_SCAN]
    end = min((i for i in (head.find(b"\n\n"), head.find(b"\r\n\r\n")) if i >= 0), default=len(head))
    match = _DATE.search(head, 0, end)
    if match is None:
        return None
    when = parse_date(match.group(1).decode("ascii", "replace"))
    return _iso(when) if when is not None else None


def _utc(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return _iso(datetime.fromisoformat(value))
    except ValueError:
        return None


def _iso(when: datetime) -> str | None:
    if when.tzinfo is None:  # "-0000" and zone-less dates: taken as UTC
        when = when.replace(tzinfo=timezone.utc)
    try:
        return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError):  # a date at the edge of the calendar: unknown time
        return None
