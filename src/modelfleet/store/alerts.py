"""Alerts: one record per breach while it lasts (opened, seen again, resolved, acknowledged).

At most one *open* alert per (fleet, tenant, kind): a check that finds the same breach again
updates its figures and ``last_seen_at`` instead of opening another, and a check that finds the
condition gone resolves it. Acknowledging records who has seen it; it stays open until resolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from modelfleet.store.schema import UTCDateTime, metadata

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fleet", String, nullable=False),
    Column("tenant", String, nullable=False),
    Column("environment", String, nullable=False),
    Column("kind", String, nullable=False),  # drift | performance
    Column("version", String, nullable=True),
    Column("state", String, nullable=False),  # open | resolved
    Column("message", Text, nullable=False),
    Column("figures", Text, nullable=False),  # JSON object
    Column("opened_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("acked_at", UTCDateTime, nullable=True),
    Column("acked_by", String, nullable=True),
    Index(None, "fleet", "environment", "state"),
)


@dataclass(frozen=True)
class AlertRow:
    """One alert as stored."""

    id: int
    fleet: str
    tenant: str
    environment: str
    kind: str
    version: str | None
    state: str
    message: str
    figures: str
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    acked_at: datetime | None
    acked_by: str | None


@dataclass(frozen=True)
class NewAlertRow:
    """An alert to open."""

    fleet: str
    tenant: str
    environment: str
    kind: str
    version: str | None
    message: str
    figures: str
    at: datetime


def select_alerts(
    connection: Connection,
    fleet: str | None,
    environment: str | None,
    state: str | None,
    limit: int,
) -> list[AlertRow]:
    """Alerts, newest first, filtered by fleet, environment and state (None: any)."""
    statement = select(alerts).order_by(alerts.c.id.desc()).limit(limit)
    if fleet is not None:
        statement = statement.where(alerts.c.fleet == fleet)
    if environment is not None:
        statement = statement.where(alerts.c.environment == environment)
    if state is not None:
        statement = statement.where(alerts.c.state == state)
    return [AlertRow(**row._mapping) for row in connection.execute(statement)]


def insert_alerts(connection: Connection, rows: Sequence[NewAlertRow]) -> list[int]:
    """Open alerts; their ids, in order."""
    ids = []
    for row in rows:  # one statement each: the ids are needed (a check opens few at a time)
        result = connection.execute(
            insert(alerts).values(
                fleet=row.fleet,
                tenant=row.tenant,
                environment=row.environment,
                kind=row.kind,
                version=row.version,
                state="open",
                message=row.message,
                figures=row.figures,
                opened_at=row.at,
                last_seen_at=row.at,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        ids.append(int(key[0]))
    return ids


def touch_alert(
    connection: Connection,
    alert_id: int,
    version: str | None,
    message: str,
    figures: str,
    at: datetime,
) -> None:
    """Record that an open alert's breach was seen again, with the current figures."""
    connection.execute(
        update(alerts)
        .where(alerts.c.id == alert_id)
        .values(version=version, message=message, figures=figures, last_seen_at=at)
    )


def resolve_alerts(connection: Connection, ids: Sequence[int], at: datetime) -> None:
    """Resolve open alerts whose condition is gone."""
    if ids:
        connection.execute(
            update(alerts)
            .where(alerts.c.id.in_(list(ids)), alerts.c.state == "open")
            .values(state="resolved", resolved_at=at)
        )


def ack_alert(connection: Connection, alert_id: int, actor: str, at: datetime) -> bool:
    """Acknowledge an alert; False when there is no such alert."""
    result = connection.execute(
        update(alerts).where(alerts.c.id == alert_id).values(acked_at=at, acked_by=actor)
    )
    return bool(result.rowcount)
