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
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain, islice
from typing import Generic, Protocol, TypeVar

from modelfleet.errors import ExecutorError
from modelfleet.pipeline.worker_guard import init_worker

T = TypeVar("T")
R = TypeVar("R")

# Workers import these once when the fork server starts instead of once per worker.
_PRELOAD = ["modelfleet.pipeline.tenant", "modelfleet.pipeline.worker_guard"]
WORKER_DIED = "worker process died (killed or out of memory)"


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """What became of one item: its result, or why there is none."""

    item: T
    result: R | None
    error: str | None = None


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
                yield Outcome(item, fn(item))
            except Exception as exc:  # isolation: one item's failure never stops the others
                yield Outcome(item, None, f"{type(exc).__name__}: {exc}")


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

        When a worker dies, the pool cannot say which item killed it, so every item in flight
        becomes a suspect. Suspects are re-run one at a time on a fresh pool: one that kills its
        worker alone is the culprit and fails; the others complete normally. ``fn`` and the
        first item must pickle (see :func:`check_picklable`), else no worker is started at all.
        """
        pending = _checked(fn, items)
        if pending is None:
            return
        suspects: deque[T] = deque()
        isolated = False
        pool = self._new_pool()
        in_flight: dict[Future[R], T] = {}
        try:
            while True:
                if not in_flight:
                    isolated = bool(suspects)
                    if isolated:
                        suspect = suspects.popleft()
                        in_flight[pool.submit(fn, suspect)] = suspect
                if not isolated:
                    for item in islice(pending, self.max_in_flight - len(in_flight)):
                        in_flight[pool.submit(fn, item)] = item
                if not in_flight:
                    return
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    item = in_flight.pop(future)
                    try:
                        yield Outcome(item, future.result())
                    except BrokenProcessPool:
                        broken = True
                        if isolated:
                            yield Outcome(item, None, WORKER_DIED)
                        else:
                            suspects.append(item)
                    except Exception as exc:
                        yield Outcome(item, None, f"{type(exc).__name__}: {exc}")
                if broken:
                    # Every future still in flight belonged to the dead pool.
                    suspects.extend(in_flight.values())
                    in_flight.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._new_pool()
        except BaseException:
            # Ctrl-C (or the consumer giving up): stop at once. Work in flight is abandoned;
            # artifact writes are atomic and records are written by the parent, so killing
            # workers mid-task leaves nothing half-written.
            _terminate(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


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
