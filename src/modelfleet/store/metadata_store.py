"""The metadata store: one object per database, opened by URL, migrated on first use.

:class:`MetadataStore` is the only door to the database. Every method is one transaction;
reads use a plain ``BEGIN`` and writes ``BEGIN IMMEDIATE`` on SQLite (see :mod:`.engine`), and
every database failure leaves as a :class:`~modelfleet.errors.StoreError` naming the store.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Final

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError

from modelfleet.errors import NotFoundError
from modelfleet.store import fleet_runs, runs, tenants
from modelfleet.store.auth_tables import AuthTables
from modelfleet.store.autopilot_tables import AutopilotTables
from modelfleet.store.engine import build_engines
from modelfleet.store.migrate import current_revision, ensure_schema
from modelfleet.store.monitoring_tables import MonitoringTables
from modelfleet.store.registry.fast import AliasLookup
from modelfleet.store.registry.rows import VersionRow
from modelfleet.store.registry.schema import model_events
from modelfleet.store.registry.search import refresh_statistics, statistics_missing
from modelfleet.store.registry.traffic import TrafficRow, traffic_of
from modelfleet.store.registry.tx import RegistryTx
from modelfleet.store.rows import (
    COMPLETED_RUN_STATUSES,
    FLEET_RUN_STATUSES,
    FleetRunRow,
    RunBundle,
    RunQuery,
    TenantRow,
)
from modelfleet.store.translate import translated_errors
from modelfleet.store.urls import StoreURL, parse_store_url

MIN_PREFIX: Final = 6  # shorter prefixes match too many runs to be useful


def open_store(url: str) -> MetadataStore:
    """Open the store at ``url`` (sqlite:///file, sqlite://, postgresql://), migrating it first."""
    store_url = parse_store_url(url)
    with translated_errors(store_url.display, "open it"):
        read_engine, write_engine = build_engines(store_url)
        try:
            ensure_schema(read_engine, write_engine, store_url.display)
            _collect_missing_statistics(read_engine, write_engine)
        except BaseException:
            read_engine.dispose()  # no half-open pool left behind by a failed open
            raise
    return MetadataStore(store_url, read_engine, write_engine)


def _collect_missing_statistics(read_engine: Engine, write_engine: Engine) -> None:
    """Give a SQLite registry filled before modelfleet kept planner statistics its first ones.

    New registries get them as they grow (:mod:`.registry.tx`); one that is already large
    would otherwise wait for its next doubling, and a process that only reads it (a server)
    would search it the slow way until then. The check is two or three indexed reads on every
    open; the ``ANALYZE`` runs once per store (then the statistics exist).
    """
    if read_engine.dialect.name != "sqlite":
        return
    with read_engine.connect() as connection:
        if not statistics_missing(connection):
            return
    try:
        with write_engine.begin() as connection:
            if statistics_missing(connection):  # another process may have just done it
                refresh_statistics(connection)
    except DBAPIError:
        # Statistics only make searches faster: a read-only database opens without them.
        return


class MetadataStore(MonitoringTables, AutopilotTables, AuthTables):
    """Runs, fleet runs, tenants and the model registry in one SQL database."""

    def __init__(self, store_url: StoreURL, read_engine: Engine, write_engine: Engine) -> None:
        self._url = store_url
        self._read_engine = read_engine
        self._write_engine = write_engine
        self._alias_lookup = AliasLookup(read_engine, keep_connections=not store_url.is_memory)

    @property
    def url(self) -> str:
        """The store URL with any password masked."""
        return self._url.display

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._url.backend

    def __repr__(self) -> str:
        return f"MetadataStore({self.url!r})"

    @contextmanager
    def _reading(self, action: str) -> Iterator[Connection]:
        with translated_errors(self.url, action), self._read_engine.connect() as connection:
            yield connection

    @contextmanager
    def _writing(self, action: str) -> Iterator[Connection]:
        with translated_errors(self.url, action), self._write_engine.begin() as connection:
            yield connection

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at."""
        with self._reading("read the schema revision") as connection:
            return current_revision(connection)

    # -- fleet runs -----------------------------------------------------------------------

    def add_fleet_run(self, row: FleetRunRow) -> None:
        """Record the start of a fleet run."""
        with self._writing(f"record fleet run {row.id}") as connection:
            fleet_runs.insert_fleet_run(connection, row)

    def finish_fleet_run(
        self,
        fleet_run_id: str,
        *,
        status: str,
        finished_at: datetime,
        succeeded: int,
        rejected: int,
        failed: int,
        skipped: int,
    ) -> None:
        """Record how a fleet run ended; NotFoundError if it was never started."""
        if status not in FLEET_RUN_STATUSES:
            raise ValueError(f"fleet run status {status!r} is not one of {FLEET_RUN_STATUSES}")
        counts = dict(succeeded=succeeded, rejected=rejected, failed=failed, skipped=skipped)
        with self._writing(f"finish fleet run {fleet_run_id}") as connection:
            found = fleet_runs.finish_fleet_run(
                connection, fleet_run_id, status=status, finished_at=finished_at, counts=counts
            )
        if not found:
            raise self._missing_fleet_run(fleet_run_id)

    def interrupt_fleet_run(
        self, fleet_run_id: str, finished_at: datetime, *, with_counts: bool = False
    ) -> None:
        """Mark a running fleet run interrupted (finished ones keep their outcome).

        ``with_counts`` also stores the tenant runs it recorded, for a run whose owner died
        before it could write its own counts.
        """
        with self._writing(f"interrupt fleet run {fleet_run_id}") as connection:
            counts = None
            if with_counts:
                recorded = fleet_runs.recorded_counts(connection, fleet_run_id)
                counts = {s: recorded.get(s, 0) for s in ("succeeded", "rejected", "failed")}
            found = fleet_runs.interrupt_fleet_run(connection, fleet_run_id, finished_at, counts)
        if not found:
            raise self._missing_fleet_run(fleet_run_id)

    def beat_fleet_run(self, fleet_run_id: str, at: datetime, planned: int | None = None) -> bool:
        """Renew a running fleet run's lease; False once it is no longer running."""
        with self._writing(f"renew the lease of fleet run {fleet_run_id}") as connection:
            return fleet_runs.beat_fleet_run(connection, fleet_run_id, at, planned)

    def recorded_counts(self, fleet_run_id: str) -> dict[str, int]:
        """Tenant runs recorded under a fleet run, by status."""
        with self._reading(f"count the tenant runs of {fleet_run_id}") as connection:
            return fleet_runs.recorded_counts(connection, fleet_run_id)

    def get_fleet_run(self, fleet_run_id: str) -> FleetRunRow:
        """One fleet run by id; NotFoundError if there is none."""
        with self._reading(f"read fleet run {fleet_run_id}") as connection:
            row = fleet_runs.select_fleet_run(connection, fleet_run_id)
        if row is None:
            raise self._missing_fleet_run(fleet_run_id)
        return row

    def list_fleet_runs(
        self, fleet: str | None = None, limit: int | None = 20, *, running_only: bool = False
    ) -> list[FleetRunRow]:
        """Fleet runs newest first, optionally of one fleet or still marked running only."""
        with self._reading("list fleet runs") as connection:
            return fleet_runs.select_fleet_runs(connection, fleet, limit, running_only=running_only)

    def _missing_fleet_run(self, fleet_run_id: str) -> NotFoundError:
        return NotFoundError(
            f"fleet run {fleet_run_id!r} does not exist in metadata store {self.url}; "
            "list fleet runs to find its id"
        )

    # -- tenant runs ----------------------------------------------------------------------

    def add_runs(self, bundles: Sequence[RunBundle]) -> None:
        """Record tenant runs with all their rows and upsert their tenants, in one transaction."""
        if not bundles:
            return
        with self._writing(f"record {len(bundles)} run(s)") as connection:
            runs.insert_bundles(connection, bundles)
            tenants.upsert_tenants(connection, (bundle.run for bundle in bundles))

    def registry_generation(self) -> int:
        """The newest registry event's id: it changes whenever an alias, a version's status or a
        traffic setting does, so a reader's cache stays valid while it does not (one read of
        the primary key's end)."""
        with self._reading("read the registry's generation") as connection:
            found = connection.execute(select(func.max(model_events.c.id))).scalar()
            return int(found or 0)

    def traffic_of(self, model: str, environment: str) -> TrafficRow | None:
        """A tenant's run-time traffic setting in one environment (one indexed read)."""
        with self._reading(f"read the traffic of {model}@{environment}") as connection:
            return traffic_of(connection, model, environment)

    def completed_task_keys(
        self,
        fleet: str,
        environment: str,
        task_keys: Collection[str],
        statuses: Collection[str] = COMPLETED_RUN_STATUSES,
    ) -> set[str]:
        """The subset of ``task_keys`` already run to an end in ``statuses`` (default:
        succeeded or rejected)."""
        if not task_keys:
            return set()
        with self._reading("look up completed tasks") as connection:
            return runs.select_completed_task_keys(
                connection, fleet, environment, task_keys, statuses
            )

    def unregistered_run_ids(
        self, fleet: str, environment: str, task_keys: Collection[str]
    ) -> list[str]:
        """Succeeded runs of ``task_keys`` that were recorded but never registered as versions.

        A run is recorded and registered in two transactions; a crash between them leaves
        such a run, and the next ``train`` registers it instead of skipping it forever.
        """
        if not task_keys:
            return []
        with self._reading("look up unregistered runs") as connection:
            return runs.select_unregistered_run_ids(connection, fleet, environment, task_keys)

    def list_runs(self, query: RunQuery | None = None) -> list[RunBundle]:
        """Tenant runs matching ``query``, newest first, with all their rows."""
        with self._reading("list runs") as connection:
            run_rows = runs.select_runs(connection, query or RunQuery())
            return runs.load_bundles(connection, run_rows)

    def get_run(self, run_id_or_prefix: str) -> RunBundle:
        """One run by full id or a unique prefix of at least six characters."""
        wanted = run_id_or_prefix.strip()
        allow_prefix = len(wanted) >= MIN_PREFIX
        with self._reading(f"read run {wanted}") as connection:
            matches = runs.find_run_ids(connection, wanted, allow_prefix=allow_prefix)
            run_row = runs.select_run(connection, matches[0]) if len(matches) == 1 else None
            if run_row is not None:
                return runs.load_bundles(connection, [run_row])[0]
        if len(matches) > 1:
            raise NotFoundError(
                f"run id prefix {wanted!r} is ambiguous: it matches {matches[0]}, {matches[1]} "
                "and maybe more; give more characters of the id"
            )
        hint = "" if allow_prefix else f" (an id prefix needs at least {MIN_PREFIX} characters)"
        raise NotFoundError(f"no run with id {wanted!r} in metadata store {self.url}{hint}")

    # -- tenants --------------------------------------------------------------------------

    def list_tenants(self, fleet: str | None = None) -> list[TenantRow]:
        """Tenants with recorded runs, optionally of one fleet."""
        with self._reading("list tenants") as connection:
            return tenants.select_tenants(connection, fleet)

    # -- model registry -------------------------------------------------------------------

    @contextmanager
    def registry(self, action: str, *, write: bool = False) -> Iterator[RegistryTx]:
        """One registry transaction: a write one commits everything done in it, or nothing."""
        if write:
            with self._writing(action) as connection:
                yield RegistryTx(connection)
        else:
            with self._reading(action) as connection:
                yield RegistryTx(connection)

    def version_by_alias(self, model: str, alias: str) -> VersionRow | None:
        """The version an alias points at, in one indexed lookup; None if there is no such alias."""
        with translated_errors(self.url, f"resolve {model}@{alias}"):
            return self._alias_lookup(model, alias)

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Release all pooled connections (an in-memory store is gone after this)."""
        self._alias_lookup.close()
        self._read_engine.dispose()

    def __enter__(self) -> MetadataStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
