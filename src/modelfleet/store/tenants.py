"""Queries on tenants: which tenants a fleet has, when each was first and last run."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Executable, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from modelfleet.store.rows import RunRow, TenantRow
from modelfleet.store.schema import tenants
from modelfleet.tenant_ids import require_tenant_ids


def upsert_tenants(connection: Connection, run_rows: Iterable[RunRow]) -> None:
    """Insert unseen tenants and widen the first/last times of known ones, in one executemany."""
    spans: dict[tuple[str, str], tuple[datetime, datetime]] = {}
    for run in run_rows:
        key = (run.fleet, run.tenant)
        first, last = spans.get(key, (run.started_at, run.finished_at))
        spans[key] = (min(first, run.started_at), max(last, run.finished_at))
    if not spans:
        return
    require_tenant_ids({tenant for _, tenant in spans}, "recording runs")
    # Sorted so concurrent writers lock tenant rows in the same order (no PostgreSQL deadlock).
    values = [
        {"fleet": fleet, "tenant": tenant, "first_seen_at": first, "last_run_at": last}
        for (fleet, tenant), (first, last) in sorted(spans.items())
    ]
    connection.execute(_upsert_statement(connection.dialect.name), values)


def select_tenants(connection: Connection, fleet: str | None) -> list[TenantRow]:
    """Known tenants ordered by fleet and name, optionally of one fleet."""
    statement = select(tenants).order_by(tenants.c.fleet, tenants.c.tenant)
    if fleet is not None:
        statement = statement.where(tenants.c.fleet == fleet)
    return [TenantRow(**row._mapping) for row in connection.execute(statement)]


def _upsert_statement(dialect_name: str) -> Executable:
    # ON CONFLICT reads the same on both backends but is built by dialect-specific constructs.
    keys = [tenants.c.fleet, tenants.c.tenant]
    if dialect_name == "postgresql":
        pg_insert = postgresql.insert(tenants)
        return pg_insert.on_conflict_do_update(
            index_elements=keys, set_=_widened(pg_insert.excluded)
        )
    lite_insert = sqlite.insert(tenants)
    return lite_insert.on_conflict_do_update(
        index_elements=keys, set_=_widened(lite_insert.excluded)
    )


def _widened(excluded: ReadOnlyColumnCollection[str, Any]) -> dict[str, ColumnElement[Any]]:
    """Keep the earliest first-seen time and the latest last-run time."""
    return {
        "first_seen_at": case(
            (excluded.first_seen_at < tenants.c.first_seen_at, excluded.first_seen_at),
            else_=tenants.c.first_seen_at,
        ),
        "last_run_at": case(
            (excluded.last_run_at > tenants.c.last_run_at, excluded.last_run_at),
            else_=tenants.c.last_run_at,
        ),
    }
