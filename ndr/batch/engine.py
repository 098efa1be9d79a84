"""The local engine: units run in-process (one job) or on a pool of worker processes (several).

The pool gets as many workers as the input's size is worth (``workers_for``): a small input runs
in this process even with ``--jobs 2``, so that asking for more jobs is never slower.

Results come back in unit order, so ``--jobs 2`` writes exactly what ``--jobs 1`` writes, and
only a bounded window of units is in flight, so memory stays flat however big the input. The
workers start once (``pool.Pool``) with the context (catalog path, limits, known hashes) and the
fold; each unit comes back folded, so the parent only merges. A worker that dies (killed, out of
memory) loses the unit it was working on, which becomes a problem record; the run goes on.
"""
from __future__ import annotations

import itertools
import os
import sys
from typing import Iterable, Iterator

from ..reading.mbox import Problem
from .fold import Fold
from .pool import Pool
from .units import Files, Payload, Spans, Unit, ZipMembers
from .work import UnitResult, WorkContext, process_unit, worker_catalog


def run_unit(unit: Unit, context: WorkContext, fold: Fold | None) -> UnitResult:
    """One unit processed, and folded when asked (in the worker: only the shares travel back)."""
    result = process_unit(unit, context)
    return fold.apply(result) if fold is not None else result


def default_jobs() -> int:
    """The CPU count available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def describe(unit: Unit) -> tuple[str, int]:
    """A (source, first index) naming a unit in a problem record."""
    if isinstance(unit, Spans):
        return unit.path, unit.first_index
    if isinstance(unit, ZipMembers):
        return unit.path, 0
    if isinstance(unit, Files):
        return (unit.files[0][1], max(unit.files[0][2], 0)) if unit.files else ("?", 0)
    first = unit.items[0] if unit.items else None
    return (first.source, first.index) if first is not None else ("?", 0)


def lost_unit(unit: Unit, why: str) -> UnitResult:
    source, index = describe(unit)
    count = {Spans: lambda u: len(u.spans), ZipMembers: lambda u: len(u.members),
             Files: lambda u: len(u.files), Payload: lambda u: len(u.items)}[type(unit)](unit)
    return UnitResult(problems=[Problem(source, index, f"{why} ({count} item(s) from here not analysed)")],
                      nbytes=unit.nbytes)


BYTES_PER_WORKER = 3 * 1024 * 1024
"""Input below this much per worker is parsed in fewer processes: starting a worker and handing
results back costs more than a second process saves on a small input (about 500 bounces, 2 MB,
take under half a second in one process)."""


def workers_for(units: Iterator[Unit], jobs: int) -> tuple[list[Unit], int]:
    """How many workers the input deserves (at most ``jobs``), from the size of its first units.

    Reads units ahead until there is enough input for every worker, or none is left; returns
    the units read (to be run first) and the count.
    """
    ahead: list[Unit] = []
    nbytes = 0
    for unit in units:
        ahead.append(unit)
        nbytes += _weight(unit)
        if nbytes >= jobs * BYTES_PER_WORKER:
            return ahead, jobs
    return ahead, max(1, min(jobs, nbytes // BYTES_PER_WORKER))


def _weight(unit: Unit) -> int:
    """Bytes of input a unit carries (a payload's own messages: its ``nbytes`` is the whole
    compressed file's, reported with its last unit only)."""
    if isinstance(unit, Payload):
        return sum(len(item.data) for item in unit.items if not isinstance(item, Problem))
    return unit.nbytes


class LocalEngine:
    """Run units here (``jobs == 1``) or on a pool of ``jobs`` processes."""

    def __init__(self, context: WorkContext, jobs: int | None = None, fold: Fold | None = None) -> None:
        self.context = context
        self.fold = fold
        """How results are folded where they are made (None: results carry whole messages)."""
        self.jobs = jobs if jobs and jobs > 0 else default_jobs()
        self.workers = self.jobs
        """The processes actually used: ``jobs`` at most, fewer for a small input."""

    def run(self, units: Iterable[Unit], input_bytes: int = 0) -> Iterator[UnitResult]:
        """Results in unit order, streamed as they are ready.

        ``input_bytes``: what the caller knows the input holds at least (the sizes of plain files,
        from ``stat``). When that is enough for every worker, the workers start at once; otherwise
        the first units are read ahead to weigh the input (``workers_for``), which takes a
        planner's pass over the first megabytes before any worker starts."""
        iterator = iter(units)
        if self.jobs > 1 and input_bytes >= self.jobs * BYTES_PER_WORKER:
            self.workers = self.jobs
        elif self.jobs > 1:
            ahead, self.workers = workers_for(iterator, self.jobs)
            iterator = itertools.chain(ahead, iterator)
        else:
            self.workers = 1
        if self.workers == 1:
            for unit in iterator:
                yield run_unit(unit, self.context, self.fold)
            return
        yield from self._pool(iterator)

    def _pool(self, units: Iterator[Unit]) -> Iterator[UnitResult]:
        if sys.platform.startswith("linux"):  # forked workers inherit the catalog loaded here
            try:
                worker_catalog(self.context.catalog)
            except Exception:  # noqa: BLE001 - each message then reports it, as without the preload
                pass
        pool = Pool(self.workers, run_unit, (self.context, self.fold))
        for unit, outcome in pool.run(units):
            yield lost_unit(unit, outcome) if isinstance(outcome, str) else outcome
