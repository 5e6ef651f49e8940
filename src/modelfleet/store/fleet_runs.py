"""Queries on fleet runs: one row per ``modelfleet train`` invocation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from modelfleet.store.rows import FleetRunRow
from modelfleet.store.schema import fleet_runs, runs


def insert_fleet_run(connection: Connection, row: FleetRunRow) -> None:
    """Insert a new fleet run."""
    connection.execute(
        insert(fleet_runs).values(
            id=row.id,
            fleet=row.fleet,
            environment=row.environment,
            status=row.status,
            started_at=row.started_at,
            finished_at=row.finished_at,
            config_hash=row.config_hash,
            succeeded=row.succeeded,
            rejected=row.rejected,
            failed=row.failed,
            skipped=row.skipped,
            actor=row.actor,
            trigger=row.trigger,
            owner_host=row.owner_host,
            owner_pid=row.owner_pid,
            heartbeat_at=row.heartbeat_at,
            planned=row.planned,
        )
    )


def finish_fleet_run(
    connection: Connection,
    fleet_run_id: str,
    *,
    status: str,
    finished_at: datetime,
    counts: dict[str, int],
) -> bool:
    """Set the outcome of a fleet run; False if no such fleet run exists."""
    result = connection.execute(
        update(fleet_runs)
        .where(fleet_runs.c.id == fleet_run_id)
        .values(status=status, finished_at=finished_at, **counts)
    )
    return result.rowcount > 0


def beat_fleet_run(
    connection: Connection, fleet_run_id: str, at: datetime, planned: int | None
) -> bool:
    """Renew a running fleet run's lease (and record its planned tenants); False if not running."""
    values: dict[str, object] = {"heartbeat_at": at}
    if planned is not None:
        values["planned"] = planned
    result = connection.execute(
        update(fleet_runs)
        .where(fleet_runs.c.id == fleet_run_id, fleet_runs.c.status == "running")
        .values(**values)
    )
    return result.rowcount > 0


def recorded_counts(connection: Connection, fleet_run_id: str) -> dict[str, int]:
    """Tenant runs recorded under a fleet run, by status (what a dead run got done)."""
    statement = (
        select(runs.c.status, func.count())
        .where(runs.c.fleet_run_id == fleet_run_id)
        .group_by(runs.c.status)
    )
    return {str(status): int(count) for status, count in connection.execute(statement)}


def interrupt_fleet_run(
    connection: Connection,
    fleet_run_id: str,
    finished_at: datetime,
    counts: dict[str, int] | None = None,
) -> bool:
    """Mark a still-running fleet run interrupted; False if no such fleet run exists.

    A fleet run that already finished keeps its outcome: an interrupt arriving after the last
    tenant was recorded must not overwrite a real result.
    """
    connection.execute(
        update(fleet_runs)
        .where(fleet_runs.c.id == fleet_run_id, fleet_runs.c.status == "running")
        .values(status="interrupted", finished_at=finished_at, **(counts or {}))
    )
    return select_fleet_run(connection, fleet_run_id) is not None


def select_fleet_run(connection: Connection, fleet_run_id: str) -> FleetRunRow | None:
    """One fleet run by id, or None."""
    row = connection.execute(select(fleet_runs).where(fleet_runs.c.id == fleet_run_id)).first()
    return None if row is None else FleetRunRow(**row._mapping)


def select_fleet_runs(
    connection: Connection, fleet: str | None, limit: int | None, *, running_only: bool = False
) -> list[FleetRunRow]:
    """Fleet runs, newest first, optionally of one fleet or still marked running only."""
    statement = select(fleet_runs).order_by(fleet_runs.c.started_at.desc(), fleet_runs.c.id.desc())
    if fleet is not None:
        statement = statement.where(fleet_runs.c.fleet == fleet)
    if running_only:
        statement = statement.where(fleet_runs.c.status == "running")
    if limit is not None:
        statement = statement.limit(limit)
    return [FleetRunRow(**row._mapping) for row in connection.execute(statement)]
