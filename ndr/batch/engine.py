"""The local engine: units run in-process (one job) or on a process pool (several).

The pool gets as many workers as the input's size is worth (``workers_for``): a small input runs
in this process even with ``--jobs 2``, so that asking for more jobs is never slower.

Results come back in unit order, so ``--jobs 2`` writes exactly what ``--jobs 1`` writes, and
only a bounded window of units is in flight, so memory stays flat however big the input. The
context (catalog path, limits, known hashes) reaches each worker once, through the initializer.
A worker that dies (killed, out of memory) breaks the pool: the units in flight are rerun one at
a time on fresh pools, and the unit that kills a worker again becomes a problem record.
"""
from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Iterator

from ..reading.archives import Problem
from .units import Files, Payload, Spans, Unit, ZipMembers
from .fold import Fold
from .work import UnitResult, WorkContext, process_unit, worker_catalog

_CONTEXT: WorkContext | None = None
_FOLD: Fold | None = None


def _init_worker(context: WorkContext, fold: Fold | None) -> None:
    # The context arrives once per worker; the catalog is compiled on the first message that
    # needs it and cached for the life of the worker (a re-run that skips everything never pays).
    global _CONTEXT, _FOLD
    _CONTEXT, _FOLD = context, fold
    # What a forked worker inherited (modules, the compiled catalog) lives as long as it does:
    # kept out of the collector's passes, it costs no collection time and no copied pages.
    gc.freeze()
    _die_with_parent(os.getppid())


def _die_with_parent(parent: int) -> None:
    """A worker whose parent was killed (``kill -9``) exits too: it would otherwise wait on the
    pool's queue forever (it holds the queue's write end itself, so no end of file comes)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="ndr-parent-watch", daemon=True).start()


def _run_in_worker(unit: Unit) -> UnitResult:
    assert _CONTEXT is not None, "worker used without its initializer"
    return run_unit(unit, _CONTEXT, _FOLD)


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

    def run(self, units: Iterable[Unit]) -> Iterator[UnitResult]:
        """Results in unit order, streamed as they are ready."""
        iterator = iter(units)
        if self.jobs > 1:
            ahead, self.workers = workers_for(iterator, self.jobs)
            iterator = itertools.chain(ahead, iterator)
        else:
            self.workers = 1
        if self.workers == 1:
            for unit in iterator:
                yield run_unit(unit, self.context, self.fold)
            return
        yield from self._pool(iterator)

    def _new_pool(self) -> ProcessPoolExecutor:
        context = None
        if sys.platform.startswith("linux"):
            # Forked workers start with every module imported and the catalog compiled (loaded
            # here first): nothing is re-imported or re-read per worker. Elsewhere fork is unsafe
            # (macOS) or missing (Windows), and workers start as the platform starts them.
            try:
                worker_catalog(self.context.catalog)
            except Exception:  # noqa: BLE001 - each message then reports it, as without the preload
                pass
            context = multiprocessing.get_context("fork")
        return ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker,
                                   initargs=(self.context, self.fold))

    def _pool(self, units: Iterator[Unit]) -> Iterator[UnitResult]:
        window = self.workers * 3
        self._executor = self._new_pool()
        pending: deque[tuple[Unit, Future[UnitResult]]] = deque()
        try:
            while True:
                while len(pending) < window:
                    unit = next(units, None)
                    if unit is None:
                        break
                    pending.append((unit, self._submit(unit)))
                if not pending:
                    return
                unit, future = pending.popleft()
                try:
                    yield future.result()
                except BrokenProcessPool:
                    # Some unit in flight killed its worker; which one is unknown. Rerun them one
                    # at a time on a fresh pool: the one that breaks it again is lost, alone.
                    suspects = [unit] + [u for u, _ in pending]
                    pending.clear()
                    for suspect in suspects:
                        yield self._isolated(suspect)
                except Exception as exc:  # e.g. a result that cannot be pickled: lose the unit only
                    yield lost_unit(unit, f"internal error: {type(exc).__name__}: {exc}")
        finally:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def _submit(self, unit: Unit) -> Future[UnitResult]:
        try:
            return self._executor.submit(_run_in_worker, unit)
        except BrokenProcessPool as exc:  # broken since the last result: report it in order
            failed: Future[UnitResult] = Future()
            failed.set_exception(exc)
            return failed

    def _isolated(self, unit: Unit) -> UnitResult:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._new_pool()
        try:
            return self._executor.submit(_run_in_worker, unit).result()
        except BrokenProcessPool:
            return lost_unit(unit, "a worker died on these messages")
        except Exception as exc:
            return lost_unit(unit, f"internal error: {type(exc).__name__}: {exc}")
