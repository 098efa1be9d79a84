"""Worker processes for the local engine, started once and kept busy.

Each worker has its own pipe for units and its own pipe for results, and always holds the next
unit before it finishes the current one, so it never waits for the parent between units (with a
shared queue, a worker that finished asked the parent's threads for more and waited until the
OS scheduled them, on a machine whose cores the workers themselves keep busy). The parent is a
single thread that hands units out and collects results; no locks are shared, so a worker that
dies cannot leave one held. Because every unit's worker is known, a worker that dies loses
exactly the unit it was working on: that unit is reported, the units it held next go to a new
worker, the run goes on.
"""
from __future__ import annotations

import fcntl
import gc
import multiprocessing
import os
import pickle
import queue
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterator, Union

from .units import Unit
from .work import UnitResult

Outcome = Union[UnitResult, str]
"""A unit's result, or why it was lost."""

AHEAD = 2
"""Units a worker holds: the one it works on and the next."""
_PIPE_BYTES = 1024 * 1024
"""Room asked for in each result pipe: a unit's result (its rendered records) is written in one go
and the worker moves on without waiting for the parent to read it."""
_HEAD = struct.Struct("!QI")
"""A result on its pipe: the pickle's size and how many buffers follow it (each announced by a
``_SIZE``), then the pickle, then the buffers. Pickle 5 keeps large buffers (a unit's rendered
records) out of the pickle: they go from the worker's object to the pipe and from the pipe into
the object the parent keeps, instead of being copied into a pickle, out of a pipe into a buffer,
into a bigger buffer and out of the pickle again (what ``Connection.send``/``recv`` do)."""
_SIZE = struct.Struct("!Q")


def _die_with_parent(parent: int) -> None:
    """A worker whose parent was killed (``kill -9``) exits too: it would otherwise wait on its
    pipe forever (other workers hold copies of the parent's end, so no end of file comes)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="ndr-parent-watch", daemon=True).start()


def _serve(tasks: Connection, results: Connection, work: Callable[..., UnitResult], args: tuple[Any, ...]) -> None:
    """A worker's life: run each unit it is sent until told to stop (``None``)."""
    _die_with_parent(os.getppid())
    # What a forked worker inherited (modules, the compiled catalog) lives as long as it does:
    # kept out of the collector's passes, it costs no collection time and no copied pages.
    gc.freeze()
    # Results leave through a thread, so that this worker reads its next unit even while the
    # parent is still sending it (a payload can be larger than the pipe) and has not read the
    # last result. A unit starts only once every earlier result is in the pipe: when a worker
    # dies, what it sent can still be read, and the unit it was working on is the one lost.
    outbox: queue.SimpleQueue[list[Any] | None] = queue.SimpleQueue()
    flushed = threading.Event()
    flushed.set()
    sender = threading.Thread(target=_send_all, args=(outbox, results, flushed), name="ndr-results",
                              daemon=True)
    sender.start()
    while True:
        try:
            item = tasks.recv()
        except (EOFError, OSError):
            item = None
        flushed.wait()
        if item is None:
            break
        number, unit = item
        try:
            outcome: Outcome = work(unit, *args)
        except Exception as exc:  # a bug outside the per-message guard: lose this unit only
            outcome = _internal(exc)
        flushed.clear()
        outbox.put(_framed((number, outcome)))
    outbox.put(None)
    sender.join()


def _framed(item: tuple[int, Outcome]) -> list[Any]:
    """What goes on the result pipe for one unit (``_HEAD``), as a list of buffers to write."""
    buffers: list[pickle.PickleBuffer] = []
    try:
        data = pickle.dumps(item, pickle.HIGHEST_PROTOCOL, buffer_callback=buffers.append)
    except Exception as exc:  # a result that cannot be pickled: lose this unit only
        buffers = []
        data = pickle.dumps((item[0], _internal(exc)), pickle.HIGHEST_PROTOCOL)
    raws = [buffer.raw() for buffer in buffers]
    head = _HEAD.pack(len(data), len(raws)) + b"".join(_SIZE.pack(raw.nbytes) for raw in raws)
    return [head, data, *raws]


def _send_all(outbox: "queue.SimpleQueue[list[Any] | None]", results: Connection, flushed: threading.Event) -> None:
    while (pieces := outbox.get()) is not None:
        try:
            _write_all(results.fileno(), pieces)
        except OSError:  # the parent is gone, or stopped listening
            os._exit(1)
        flushed.set()


def _write_all(fd: int, pieces: list[Any]) -> None:
    """Every byte of ``pieces`` to ``fd``, in order, however the system splits the writes."""
    views = [memoryview(piece) for piece in pieces if len(piece)]
    while views:
        written = os.writev(fd, views[:64])  # the system's IOV_MAX is at least 1024
        while written and written >= views[0].nbytes:
            written -= views.pop(0).nbytes
        if written:
            views[0] = views[0][written:]


def _receive(results: Connection) -> tuple[int, Outcome]:
    """One unit's result from its pipe (``_HEAD``); EOFError when the worker is gone."""
    fd = results.fileno()
    size, count = _HEAD.unpack(_read(fd, _HEAD.size))
    sizes = [length for (length,) in _SIZE.iter_unpack(_read(fd, _SIZE.size * count))]
    data = _read(fd, size)
    buffers = [_read(fd, length) for length in sizes]
    item: tuple[int, Outcome] = pickle.loads(data, buffers=buffers)
    return item


def _read(fd: int, size: int) -> bytearray:
    """Exactly ``size`` bytes from a pipe, read straight into the buffer that keeps them."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        read = os.readv(fd, [view[got:]])
        if not read:
            raise EOFError("the worker closed its pipe")
        got += read
    view.release()
    return buffer


def _internal(exc: Exception) -> str:
    return f"internal error: {type(exc).__name__}: {exc}"


def _roomy(connection: Connection) -> None:
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        try:
            fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        except OSError:  # over the system's limit: the default size works, with more waits
            pass


@dataclass(eq=False)
class _Worker:
    """One worker process and its two pipes, with the units it holds."""

    process: Any
    tasks: Connection
    results: Connection
    held: deque[int] = field(default_factory=deque)
    """Numbers of the units sent to this worker and not yet answered, oldest first."""


class Pool:
    """``workers`` processes running ``work(unit, *args)``; results come back in unit order."""

    def __init__(self, workers: int, work: Callable[..., UnitResult], args: tuple[Any, ...]) -> None:
        # Forked workers start with every module imported and whatever the parent loaded:
        # nothing is re-imported or re-read per worker. Elsewhere fork is unsafe (macOS) or
        # missing (Windows), and workers start as the platform starts them.
        method = "fork" if sys.platform.startswith("linux") else None
        self._mp: Any = multiprocessing.get_context(method)  # typeshed's BaseContext has no Process
        self.size = workers
        self.work = work
        self.args = args
        self.window = workers * 4
        """Most units handed out and not yet returned to the caller (bounds memory)."""

    def _start(self) -> _Worker:
        task_out, task_in = self._mp.Pipe(duplex=False)
        result_out, result_in = self._mp.Pipe(duplex=False)
        _roomy(result_in)
        process = self._mp.Process(target=_serve, args=(task_out, result_in, self.work, self.args),
                                   name="ndr-analyze-worker", daemon=True)
        process.start()
        task_out.close()
        result_in.close()
        return _Worker(process, task_in, result_out)

    def run(self, units: Iterator[Unit]) -> Iterator[tuple[Unit, Outcome]]:
        """Each unit with its result (or why it was lost), in unit order."""
        workers = [self._start() for _ in range(self.size)]
        sent: dict[int, Unit] = {}
        done: dict[int, Outcome] = {}
        retry: deque[int] = deque()
        counter = 0
        emitted = 0
        try:
            while True:
                for worker in workers:
                    while len(worker.held) < AHEAD:
                        if retry:
                            number = retry.popleft()
                        elif len(sent) < self.window and (unit := next(units, None)) is not None:
                            number, counter = counter, counter + 1
                            sent[number] = unit
                        else:
                            break
                        worker.held.append(number)
                        try:
                            worker.tasks.send((number, sent[number]))
                        except OSError:  # it died: _collect sees its sentinel and replaces it
                            break
                while emitted in done:
                    yield sent.pop(emitted), done.pop(emitted)
                    emitted += 1
                if not sent:
                    return
                self._collect(workers, done, retry)
        finally:
            self._stop(workers)

    def _collect(self, workers: list[_Worker], done: dict[int, Outcome], retry: deque[int]) -> None:
        """Wait for results (or a dead worker) and take them in."""
        busy = [w for w in workers if w.held]
        ready = wait([w.results for w in busy] + [w.process.sentinel for w in busy])
        for index, worker in enumerate(workers):
            if worker.results in ready:
                try:
                    number, outcome = _receive(worker.results)
                except (EOFError, OSError):  # it died, and everything it sent has been read
                    workers[index] = self._replace(worker, done, retry)
                    continue
                worker.held.remove(number)
                done[number] = outcome
            elif worker.process.sentinel in ready and not worker.results.poll():
                workers[index] = self._replace(worker, done, retry)

    def _replace(self, dead: _Worker, done: dict[int, Outcome], retry: deque[int]) -> _Worker:
        """A new worker for one that died: the unit it was on is lost, alone; the next ones wait
        for the new worker."""
        dead.process.join()
        if dead.held:
            done[dead.held.popleft()] = "a worker died on these messages"
        retry.extend(dead.held)
        dead.held.clear()
        dead.tasks.close()
        dead.results.close()
        return self._start()

    def _stop(self, workers: list[_Worker]) -> None:
        for worker in workers:
            try:
                worker.tasks.send(None)
            except OSError:  # already gone
                pass
        for worker in workers:
            if worker.held:  # stopped early (--strict, an error): do not wait for its unit
                worker.process.terminate()
            worker.process.join()
            worker.tasks.close()
            worker.results.close()
