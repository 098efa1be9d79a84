"""The Dask engine: the same units and the same worker function as the local engine, run on a
Dask distributed cluster (``--engine dask --scheduler ADDRESS``; install ``ndr[dask]``).

Results come back in unit order, so records are identical to the local engine's. The context
(with the ledger's known hashes) is scattered to every worker once; each worker process loads the
catalog once (``load_catalog`` caches it). Workers read inputs by path, so the PATHs must be
reachable at the same place on every worker (a shared file system) — except streams (compressed
files, tar archives), which the planner reads and ships as message bytes.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Iterable, Iterator

from ..errors import NdrError
from .engine import lost_unit
from .units import Unit
from .work import UnitResult, WorkContext, process_unit


class DaskUnavailable(NdrError):
    """Dask is not installed."""


class DaskEngine:
    """Run units on the Dask cluster whose scheduler is at ``scheduler``."""

    def __init__(self, context: WorkContext, scheduler: str, window: int | None = None) -> None:
        self.context = context
        self.scheduler = scheduler
        self.window = window

    def run(self, units: Iterable[Unit], input_bytes: int = 0) -> Iterator[UnitResult]:
        """Results in unit order, streamed, with a bounded number of units in flight
        (``input_bytes`` is the local engine's hint; the cluster's threads set the window)."""
        try:
            from distributed import Client
        except ImportError:
            raise DaskUnavailable("the dask engine needs Dask: pip install 'ndr[dask]'") from None
        try:
            client = Client(self.scheduler, timeout="15s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise NdrError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
        with client:
            threads = sum(client.nthreads().values()) or 1
            window = self.window or threads * 3
            context = client.scatter(self.context, broadcast=True)
            pending: deque[tuple[Unit, Any]] = deque()
            for unit in units:
                pending.append((unit, client.submit(process_unit, unit, context, pure=False)))
                if len(pending) >= window:
                    yield _result(*pending.popleft())
            while pending:
                yield _result(*pending.popleft())


def _result(unit: Unit, future: Any) -> UnitResult:
    try:
        result: UnitResult = future.result()
        return result
    except Exception as exc:  # a lost worker or a task error: this unit only, the run goes on
        return lost_unit(unit, f"dask task failed: {type(exc).__name__}: {exc}")
