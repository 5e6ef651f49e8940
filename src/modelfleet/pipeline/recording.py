"""Recording results as they arrive: run records in small transactions, then registration.

A succeeded run becomes a model version right after its record is written. The two writes are
separate transactions (tracking and registry are separate modules over one store), so a crash
can fall between them; :meth:`Recorder.register_leftovers` closes that gap on the next run.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol, TypeVar

from modelfleet.caller import Caller
from modelfleet.errors import ModelfleetError, StoreError
from modelfleet.registry import Registry
from modelfleet.tracking.records import TenantRunRecord
from modelfleet.tracking.tracker import Tracker

FLUSH_EVERY = 64
FLUSH_SECONDS = 1.0
RECORD_STATUSES = ("succeeded", "rejected", "failed")


class RunListener(Protocol):
    """Receives progress from a fleet run (the CLI draws a progress bar from it)."""

    def stage(self, message: str) -> None:
        """A coarse step started (loading data, building features...)."""

    def started(self, total: int, skipped: int) -> None:
        """Training is about to start for ``total`` tenants; ``skipped`` were already done."""

    def tenant_finished(self, record: TenantRunRecord) -> None:
        """One tenant's record was written."""


class SilentListener:
    """A listener that ignores everything (library use, tests)."""

    def stage(self, message: str) -> None:
        pass

    def started(self, total: int, skipped: int) -> None:
        pass

    def tenant_finished(self, record: TenantRunRecord) -> None:
        pass


class Recorder:
    """Writes records in small batches (each one transaction) and registers the successes."""

    def __init__(
        self,
        tracker: Tracker,
        registry: Registry,
        listener: RunListener,
        *,
        caller: Caller,
        reuse_identical: bool = True,
    ) -> None:
        self.tracker, self.registry, self.listener = tracker, registry, listener
        self.caller, self.reuse_identical = caller, reuse_identical
        self.pending: list[TenantRunRecord] = []
        self.written: list[TenantRunRecord] = []
        self.versions: dict[str, str] = {}
        self.reused: dict[str, str] = {}  # tenant -> the identical version a retrain got back
        self.unregistered: dict[str, str] = {}  # tenant -> why its registration failed
        # tenant -> why not even a failed record could be written (an id no store accepts)
        self.unrecorded: dict[str, str] = {}
        self.invalid_ids = 0  # tenant ids the data held that break the rule: failed, unrecordable
        self.still_failing = 0  # failed validation before on the same data: on record already
        self.skipped = 0  # finished before with the same config and data
        self.last_flush = time.monotonic()

    def add(self, record: TenantRunRecord) -> None:
        """Queue a record; write the queue when it is large or old enough."""
        self.pending.append(record)
        if len(self.pending) >= FLUSH_EVERY or time.monotonic() - self.last_flush > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write queued records, register their successes, then tell the listener."""
        batch, self.pending = self.pending, []
        self.last_flush = time.monotonic()
        if not batch:
            return
        batch = self._record(batch)
        # Bookkeeping before anything else can raise: the batch is written and must not be
        # written twice (a Ctrl-C in a progress bar lands in the listener).
        self.written.extend(batch)
        self._register(batch)
        for record in batch:
            self.listener.tenant_finished(record)

    def counts(self) -> dict[str, int]:
        """Records by status (succeeded, rejected, failed), for the fleet run row.

        Tenants that could not be recorded at all (invalid ids) count as failed: a run that
        dropped them did not do everything it was asked.
        """
        counts = {s: sum(1 for r in self.written if r.status == s) for s in RECORD_STATUSES}
        counts["failed"] += len(self.unrecorded) + self.invalid_ids
        return counts

    def status(self) -> str:
        """The fleet run's status over the fleet it covers: all, none or some tenants failed.

        Rejected tenants ran fine (the gate said no). Skipped tenants (done before) count as
        fine and still-failing ones (failed before on the same data) as failed, so running a
        finished fleet again gives the same status, and the same exit code, as the first run.
        """
        counts = self.counts()
        failed = counts["failed"] + self.still_failing
        total = sum(counts.values()) + self.still_failing + self.skipped
        if failed == 0:
            return "partial" if self.unregistered else "succeeded"
        return "failed" if failed == total else "partial"

    def register_leftovers(self, fleet: str, environment: str, task_keys: Sequence[str]) -> None:
        """Register succeeded runs that an interrupted run recorded but never registered."""
        self._register(self.tracker.unregistered_runs(fleet, environment, task_keys))

    def _record(self, batch: list[TenantRunRecord]) -> list[TenantRunRecord]:
        """Write a batch in one transaction; a record that breaks it is written as failed."""

        def write(records: Sequence[TenantRunRecord]) -> list[TenantRunRecord]:
            self.tracker.record_runs(records)
            return list(records)

        def as_failed(record: TenantRunRecord, exc: ModelfleetError) -> None:
            try:
                written.extend(write([_failed(record, f"its record could not be written: {exc}")]))
            except StoreError:
                raise
            except ModelfleetError as again:  # even a failed record is refused: say so, go on
                self.unrecorded[record.tenant] = str(again)

        written: list[TenantRunRecord] = []
        written.extend(each_alone(batch, write, as_failed))
        order = {record.run_id: position for position, record in enumerate(batch)}
        return sorted(written, key=lambda record: order[record.run_id])

    def _register(self, records: Sequence[TenantRunRecord]) -> None:
        """Register succeeded runs in one transaction; one that cannot be is left out alone."""
        succeeded = [(r, None) for r in records if r.status == "succeeded"]

        def unregistered(one: tuple[TenantRunRecord, None], exc: ModelfleetError) -> None:
            self.unregistered[one[0].tenant] = str(exc)

        register = partial(
            self.registry.register_many, caller=self.caller, reuse_identical=self.reuse_identical
        )
        run_ids = {r.tenant: r.run_id for r, _ in succeeded}
        for version in each_alone(succeeded, register, unregistered) if succeeded else ():
            self.versions[version.tenant] = str(version.version)
            if version.run_id != run_ids.get(version.tenant):
                self.reused[version.tenant] = str(version.version)


T = TypeVar("T")
R = TypeVar("R")


def each_alone(
    items: Sequence[T],
    write: Callable[[Sequence[T]], list[R]],
    on_error: Callable[[T, ModelfleetError], None],
) -> list[R]:
    """``write(items)`` in one go; if that fails, each item alone, handing failures to
    ``on_error``. A broken store (StoreError) fails every write alike, so it is raised."""
    try:
        return write(items)
    except StoreError:
        raise
    except ModelfleetError:
        pass
    results: list[R] = []
    for item in items:
        try:
            results.extend(write([item]))
        except StoreError:
            raise
        except ModelfleetError as exc:
            on_error(item, exc)
    return results


def _failed(record: TenantRunRecord, reason: str) -> TenantRunRecord:
    """``record`` as a failed run with ``reason`` (its artifacts and trials dropped)."""
    return dataclasses.replace(
        record, status="failed", reason=reason, artifacts=(), trials=(), signature=None
    )
