"""The Tracker: how the pipeline and the CLI record and read runs.

A thin use-case layer over :class:`~modelfleet.store.MetadataStore`: it stamps times, mints
ids, converts records to rows and back, and keeps the store's row types out of its callers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from modelfleet.store import FleetRunRow, MetadataStore, open_store
from modelfleet.store import RunQuery as StoreRunQuery
from modelfleet.tracking.codec import from_bundle, to_bundle, to_fleet_record
from modelfleet.tracking.lease import Owner, is_stale
from modelfleet.tracking.queries import RunQuery
from modelfleet.tracking.records import (
    FLEET_RUN_STATUSES,
    FleetRunRecord,
    RunTrigger,
    TenantRunRecord,
    new_run_id,
)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Tracker:
    """Records fleet runs and tenant runs in a metadata store and reads them back."""

    def __init__(self, store: MetadataStore, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock  # injectable so tests can order runs deterministically

    @classmethod
    def open(cls, store_url: str) -> Tracker:
        """A tracker on the store at ``store_url``, migrated if needed."""
        return cls(open_store(store_url))

    @property
    def store(self) -> MetadataStore:
        """The store this tracker writes to."""
        return self._store

    # -- fleet runs -----------------------------------------------------------------------

    def start_fleet_run(
        self,
        fleet: str,
        environment: str,
        config_hash: str,
        *,
        actor: str = "unknown",
        trigger: RunTrigger = "manual",
        owner: Owner | None = None,
    ) -> str:
        """Record that a fleet run started now, by whom and why; returns its id.

        ``owner`` (default: this process) holds the run's lease from now on.
        """
        fleet_run_id = new_run_id()
        holder = owner or Owner.this_process()
        now = self._clock()
        self._store.add_fleet_run(
            FleetRunRow(
                id=fleet_run_id,
                fleet=fleet,
                environment=environment,
                status="running",
                started_at=now,
                finished_at=None,
                config_hash=config_hash,
                actor=actor,
                trigger=trigger,
                owner_host=holder.host,
                owner_pid=holder.pid,
                heartbeat_at=now,
            )
        )
        return fleet_run_id

    def finish_fleet_run(
        self,
        fleet_run_id: str,
        status: str,
        *,
        succeeded: int,
        rejected: int,
        failed: int,
        skipped: int,
    ) -> None:
        """Record how a fleet run ended (succeeded, partial, failed, interrupted) and counts."""
        if status not in FLEET_RUN_STATUSES or status == "running":
            raise ValueError(
                f"a fleet run cannot finish as {status!r}: use succeeded, partial, failed "
                "or interrupted"
            )
        self._store.finish_fleet_run(
            fleet_run_id,
            status=status,
            finished_at=self._clock(),
            succeeded=succeeded,
            rejected=rejected,
            failed=failed,
            skipped=skipped,
        )

    def mark_interrupted(self, fleet_run_id: str) -> None:
        """Mark a fleet run that is still running as interrupted (e.g. on Ctrl-C)."""
        self._store.interrupt_fleet_run(fleet_run_id, self._clock())

    def renew_lease(self, fleet_run_id: str, *, planned: int | None = None) -> bool:
        """Renew a running fleet run's heartbeat (and record its planned tenants)."""
        return self._store.beat_fleet_run(fleet_run_id, self._clock(), planned)

    def get_fleet_run(self, fleet_run_id: str) -> FleetRunRecord:
        """One fleet run by id (a stale one shown as interrupted); NotFoundError if none."""
        return self._shown(to_fleet_record(self._store.get_fleet_run(fleet_run_id)))

    def list_fleet_runs(
        self, fleet: str | None = None, limit: int | None = 20
    ) -> list[FleetRunRecord]:
        """Fleet runs newest first, optionally of one fleet; stale ones shown as interrupted."""
        rows = self._store.list_fleet_runs(fleet, limit)
        return [self._shown(to_fleet_record(row)) for row in rows]

    def interrupt_stale(self, fleet: str, environment: str) -> list[FleetRunRecord]:
        """Mark this fleet's runs whose owner is gone interrupted, with what they recorded."""
        now, here = self._clock(), Owner.this_process()
        stale = [
            record
            for record in map(
                to_fleet_record, self._store.list_fleet_runs(fleet, None, running_only=True)
            )
            if record.environment == environment and is_stale(record, now=now, here=here)
        ]
        for record in stale:
            self._store.interrupt_fleet_run(record.id, now, with_counts=True)
        return [self.get_fleet_run(record.id) for record in stale]

    def _shown(self, record: FleetRunRecord) -> FleetRunRecord:
        """A stale running record as what it is: interrupted, with its recorded tenants."""
        if not is_stale(record, now=self._clock(), here=Owner.this_process()):
            return record
        counts = self._store.recorded_counts(record.id)
        return replace(
            record,
            status="interrupted",
            succeeded=counts.get("succeeded", 0),
            rejected=counts.get("rejected", 0),
            failed=counts.get("failed", 0),
        )

    # -- tenant runs ----------------------------------------------------------------------

    def record_runs(self, records: Sequence[TenantRunRecord]) -> None:
        """Record tenant runs and upsert their tenants in one transaction: all or nothing."""
        self._store.add_runs([to_bundle(record) for record in records])

    def unregistered_runs(
        self, fleet: str, environment: str, task_keys: Collection[str]
    ) -> list[TenantRunRecord]:
        """Succeeded runs of these task keys that no model version points at yet."""
        ids = self._store.unregistered_run_ids(fleet, environment, task_keys)
        return [self.get_run(run_id) for run_id in ids]

    def completed_task_keys(
        self, fleet: str, environment: str, task_keys: Collection[str]
    ) -> set[str]:
        """Which of ``task_keys`` already ended succeeded or rejected, so a rerun can skip them."""
        return self._store.completed_task_keys(fleet, environment, task_keys)

    def failed_task_keys(
        self, fleet: str, environment: str, task_keys: Collection[str]
    ) -> set[str]:
        """Which of ``task_keys`` already have a failed run on record (same config, same data)."""
        return self._store.completed_task_keys(fleet, environment, task_keys, {"failed"})

    def list_runs(self, query: RunQuery | None = None, /, **filters: Any) -> list[TenantRunRecord]:
        """Tenant runs matching a :class:`RunQuery` (or its fields as keywords), newest first."""
        found = RunQuery.of(query, filters)
        rows = StoreRunQuery(
            fleet=found.fleet,
            tenant=found.tenant,
            status=found.status,
            environment=found.environment,
            fleet_run_id=found.fleet_run_id,
            limit=found.limit,
        )
        return [from_bundle(bundle) for bundle in self._store.list_runs(rows)]

    def get_run(self, run_id_or_prefix: str) -> TenantRunRecord:
        """One run by id or unique id prefix (6+ characters); NotFoundError if none or ambiguous."""
        return from_bundle(self._store.get_run(run_id_or_prefix))

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the store's connections."""
        self._store.close()

    def __enter__(self) -> Tracker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
