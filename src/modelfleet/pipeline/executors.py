"""Executors run tenant tasks somewhere and hand back outcomes as they complete.

The protocol is deliberately small (one method) so a cluster backend (Ray) can slot in later;
:mod:`modelfleet.pipeline.executor_backends` chooses one by name.
:class:`LocalProcessExecutor` is the default: a process pool, because a tenant's training is
CPU-bound and a crash in native code (LightGBM) must not take the runner down with it.
:class:`InlineExecutor` runs in the calling process: for tests, debugging and ``--workers 0``.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import pickle
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain, count, islice
from multiprocessing.process import BaseProcess
from typing import Final, Generic, Protocol, TypeVar

from modelfleet.errors import ExecutorError
from modelfleet.pipeline.pool_recovery import Verdicts, classify, death_reason
from modelfleet.pipeline.task_watch import Ledger, TaskUsage, read_ledger, run_watched
from modelfleet.pipeline.worker_guard import init_worker
from modelfleet.tracking.lease import process_alive

T = TypeVar("T")
R = TypeVar("R")

# Workers import these once when the fork server starts instead of once per worker.
_PRELOAD = ["modelfleet.pipeline.tenant", "modelfleet.pipeline.worker_guard"]
# A pool that keeps breaking before any task finishes is a machine problem, not a tenant's.
MAX_BREAKS_WITHOUT_PROGRESS: Final = 10
_NOTHING: Final = object()


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """What became of one item: its result, or why there is none."""

    item: T
    result: R | None
    error: str | None = None
    usage: TaskUsage | None = None  # what the task cost, or how its worker died


class Executor(Protocol):
    """Runs ``fn`` over items, yielding outcomes in completion order."""

    def run(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[Outcome[T, R]]:
        """Run ``fn`` on every item; an item whose worker dies yields an outcome with an error."""
        ...


class InlineExecutor:
    """Runs items one after another in this process (the tiny in-memory executor)."""

    def run(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[Outcome[T, R]]:
        """Run ``fn`` on every item in order; exceptions become error outcomes."""
        for item in items:
            try:
                result, usage = run_watched(fn, item)
            except Exception as exc:  # isolation: one item's failure never stops the others
                yield Outcome(item, None, f"{type(exc).__name__}: {exc}")
            else:
                yield Outcome(item, result, usage=usage)


class LocalProcessExecutor:
    """A pool of worker processes; a dead worker fails only the items it was running."""

    def __init__(self, workers: int, *, max_in_flight: int | None = None) -> None:
        if workers < 1:
            raise ExecutorError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        # A bounded window keeps memory flat for 10,000 tenants and bounds the suspects a
        # dead worker leaves to re-run.
        self.max_in_flight = max_in_flight or workers * 2

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        # forkserver, not fork: the parent has DuckDB and OpenMP threads running, and forking a
        # threaded process can deadlock the child.
        context.set_forkserver_preload(_PRELOAD)
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(os.getpid(),),
        )

    def run(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[Outcome[T, R]]:
        """Run ``fn`` on every item across the pool, yielding as each finishes.

        A pool that breaks (a worker died, the fork server died, a worker could not start) is
        replaced, and the tasks it held are sorted by :func:`pool_recovery.classify`: a task
        past its limits fails; one whose worker died by itself is re-run alone, and fails if
        it kills its worker again; the others are simply re-run. ``fn`` and the first item
        must pickle (see :func:`check_picklable`), else no worker is started at all.
        """
        pending = _checked(fn, items)
        if pending is None:
            return
        with Ledger() as ledger:
            yield from _PoolRun(self, fn, pending, ledger.path).outcomes()


class _PoolRun(Generic[T, R]):
    """One :meth:`LocalProcessExecutor.run`: the pool, what it holds, and what to re-run."""

    def __init__(
        self, owner: LocalProcessExecutor, fn: Callable[[T], R], pending: Iterator[T], ledger: str
    ) -> None:
        self.owner, self.fn, self.pending, self.ledger = owner, fn, pending, ledger
        self.tokens = count()
        self.items: dict[int, T] = {}
        self.in_flight: dict[Future[tuple[R, TaskUsage]], int] = {}
        self.again: deque[int] = deque()  # bystanders of a broken pool, re-run as normal
        self.suspects: deque[int] = deque()  # their worker died: re-run one at a time
        self.deaths: dict[int, int] = {}
        self.breaks = 0  # pools broken since the last finished task
        self.processes: dict[int, BaseProcess] = {}
        self.spawn_failed = False
        self.pool = owner._new_pool()

    def outcomes(self) -> Iterator[Outcome[T, R]]:
        """Every item's outcome, in completion order, across as many pools as it takes."""
        try:
            while True:
                isolated = self._fill()
                if self.spawn_failed:
                    yield from self._recover(set(), isolated, spawn_failed=True)
                    continue
                if not self.in_flight:
                    return
                done, _ = wait(self.in_flight, return_when=FIRST_COMPLETED)
                lost: set[int] = set()
                for future in done:
                    token = self.in_flight.pop(future)
                    try:
                        result, usage = future.result()
                    except BrokenProcessPool:
                        lost.add(token)
                        continue
                    except Exception as exc:
                        yield self._finished(token, None, f"{type(exc).__name__}: {exc}")
                        continue
                    yield self._finished(token, result, None, usage)
                if lost:
                    yield from self._recover(lost, isolated, spawn_failed=False)
        except BaseException:
            # Ctrl-C (or the consumer giving up): stop at once. Work in flight is abandoned;
            # artifact writes are atomic and records are written by the parent, so killing
            # workers mid-task leaves nothing half-written.
            _terminate(self.pool)
            raise
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _fill(self) -> bool:
        """Submit what may run now; True when a suspect runs alone."""
        if not self.in_flight and self.suspects:
            self._submit(self.suspects.popleft())
            return True
        if any(token in self.deaths for token in self.in_flight.values()):
            return True  # a suspect runs alone until it is cleared or convicted
        while len(self.in_flight) < self.owner.max_in_flight and not self.spawn_failed:
            if self.again:
                self._submit(self.again.popleft())
                continue
            item = next(self.pending, _NOTHING)
            if item is _NOTHING:
                break
            token = next(self.tokens)
            self.items[token] = item  # type: ignore[assignment]  # not _NOTHING here
            self._submit(token)
        return False

    def _submit(self, token: int) -> None:
        try:
            future = self.pool.submit(run_watched, self.fn, self.items[token], token, self.ledger)
        except (BrokenProcessPool, EOFError, OSError, RuntimeError):
            # The pool could not start a worker: its fork server died under it (a raw
            # EOFError or ConnectionRefusedError from multiprocessing). Re-run on a new pool.
            self.again.appendleft(token)
            self.spawn_failed = True
            return
        self.in_flight[future] = token
        self.processes.update(getattr(self.pool, "_processes", None) or {})

    def _finished(
        self, token: int, result: R | None, error: str | None, usage: TaskUsage | None = None
    ) -> Outcome[T, R]:
        self.breaks = 0
        self.deaths.pop(token, None)
        return Outcome(self.items.pop(token), result, error, usage)

    def _recover(
        self, lost: set[int], isolated: bool, *, spawn_failed: bool
    ) -> Iterator[Outcome[T, R]]:
        """Replace the broken pool; fail, isolate or re-run each task it held."""
        lost |= set(self.in_flight.values())  # every future still in flight shared its fate
        self.in_flight.clear()
        verdicts = self._replace_pool(lost, spawn_failed=spawn_failed)
        for token, (reason, spent) in verdicts.failed.items():
            yield self._finished(token, None, f"ResourceLimitExceeded: the task {reason}", spent)
        for token in sorted(verdicts.suspects):
            self.deaths[token] = self.deaths.get(token, 0) + 1
            died = verdicts.deaths.get(token)
            if isolated:  # it was alone: it killed its worker by itself, twice now
                yield self._finished(token, None, death_reason(died), died)
            else:
                self.suspects.append(token)
        self.again.extend(sorted(verdicts.bystanders))

    def _replace_pool(self, lost: set[int], *, spawn_failed: bool) -> Verdicts:
        """End the broken pool, start a new one, and say who is to blame for the break."""
        self.breaks += 1
        self.spawn_failed = False
        if self.breaks > MAX_BREAKS_WITHOUT_PROGRESS:
            raise ExecutorError(
                f"the worker pool broke {self.breaks - 1} times in a row without finishing a "
                "task (workers cannot start, or every task kills its worker); check free "
                "memory and `ulimit -u`, or run with --executor inline to see the error"
            )
        # A worker that could not start says nothing about the tasks in flight: re-run them.
        fork_server_died = spawn_failed or not _fork_server_alive()
        _terminate(self.pool)
        exitcodes = {pid: _exitcode(p) for pid, p in self.processes.items()}
        self.processes.clear()
        verdicts = classify(
            frozenset(lost), read_ledger(self.ledger), exitcodes, fork_server_died=fork_server_died
        )
        if self.breaks > 1:
            # Breaking again at once: give a dying fork server time to be reaped, or
            # multiprocessing takes it for alive and the next worker's connection is refused.
            time.sleep(min(0.05 * 2 ** (self.breaks - 1), 2.0))
        self.pool = self.owner._new_pool()
        return verdicts


def _checked(fn: Callable[[T], R], items: Iterable[T]) -> Iterator[T] | None:
    """All items again once ``fn`` and the first item are known to pickle; None when empty.

    Checked before the pool starts: a task that cannot pickle would otherwise surface as a
    traceback from inside concurrent.futures, once per task.
    """
    pending = iter(items)
    head = list(islice(pending, 1))
    if not head:
        return None
    check_picklable(fn, head[0])
    return chain(head, pending)


def check_picklable(fn: Callable[..., object], item: object) -> None:
    """Raise ExecutorError unless ``fn`` and ``item`` pickle, naming the part that does not.

    Worker processes receive both by pickle. For a dataclass item (a tenant task) the first
    field that fails is named, so the message points at e.g. the spec rather than the task.
    """
    what = getattr(fn, "__qualname__", repr(fn))
    error = _pickle_error(fn)
    if error is not None:
        raise ExecutorError(
            f"the task function {what} cannot be sent to worker processes: it does not pickle "
            f"({error}); use a module-level function, or the inline executor (--executor inline)"
        )
    error = _pickle_error(item)
    if error is None:
        return
    label = type(item).__name__
    tenant = getattr(item, "tenant", None)
    if tenant is not None:
        label += f" of tenant {tenant!r}"
    part = ""
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        for f in dataclasses.fields(item):
            field_error = _pickle_error(getattr(item, f.name))
            if field_error is not None:
                part, error = f" (its field {f.name!r})", field_error
                break
    raise ExecutorError(
        f"the {label}{part} cannot be sent to worker processes: it does not pickle ({error}); "
        "tasks must be plain data (no lambdas, local classes or open connections), or use the "
        "inline executor (--executor inline)"
    )


def _pickle_error(value: object) -> str | None:
    """Why ``value`` does not pickle, or None when it does."""
    try:
        pickle.dumps(value)
    except Exception as exc:  # pickling can fail with almost any type (TypeError, Attribute...)
        return f"{type(exc).__name__}: {exc}"
    return None


def _fork_server_alive() -> bool:
    """Whether multiprocessing's fork server (if one was started) still runs."""
    from multiprocessing import forkserver

    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    return pid is None or process_alive(pid)


def _exitcode(process: BaseProcess) -> int | None:
    """A worker's exit code once it has ended (waits a moment for the pool to reap it)."""
    process.join(timeout=1.0)
    return process.exitcode


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Cancel queued work and end the pool's worker processes now."""
    # ProcessPoolExecutor gains terminate_workers() only in Python 3.14; until then reach for
    # the processes it keeps, before shutdown() forgets them.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    # shutdown(wait=False) forgets the pool's manager thread, so a later shutdown(wait=True)
    # no longer joins it. Left running, it races the interpreter's exit hook, which wakes it
    # through a pipe the thread may be closing at that moment (Python 3.11: a stray
    # "OSError: Bad file descriptor" traceback after Ctrl-C). Its workers are dead, so it ends.
    if manager is not None:
        manager.join(timeout=10)


def make_executor(workers: int) -> Executor:
    """The default executor for a worker count: 0 runs inline, N uses N processes."""
    if workers == 0:
        return InlineExecutor()
    return LocalProcessExecutor(workers)
