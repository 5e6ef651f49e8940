"""Ground truth that arrives after serving: one actual per (fleet, tenant, timestamp).

``modelfleet feedback`` writes them; performance monitoring joins them with the prediction log
on (fleet, tenant, ts) in one indexed SQL join. An actual sent again with the same value changes
nothing; with another value it replaces the stored one (a correction), and both cases are
counted by the caller, which compares before writing (:func:`select_actuals`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    String,
    Table,
    and_,
    bindparam,
    insert,
    select,
    update,
)

from modelfleet.store.predictions import predictions
from modelfleet.store.schema import UTCDateTime, metadata

actuals = Table(
    "actuals",
    metadata,
    Column("fleet", String, primary_key=True),
    Column("tenant", String, primary_key=True),
    Column("ts", UTCDateTime, primary_key=True),
    Column("value", Float, nullable=False),
    Column("request_id", String, nullable=True),  # when the sender knew which request it answers
    Column("received_at", UTCDateTime, nullable=False),
    Column("source", String, nullable=False),  # the file, query or route it came from
    Index(None, "fleet", "received_at"),
)


@dataclass(frozen=True)
class ActualRow:
    """One observed value of a tenant's target at ``ts``."""

    fleet: str
    tenant: str
    ts: datetime
    value: float
    request_id: str | None
    received_at: datetime
    source: str


@dataclass(frozen=True, eq=False)
class JoinedColumns:
    """Logged predictions with their actuals, as columns (one row per logged prediction)."""

    tenant: list[str]
    version: list[str]
    arm: list[str]
    ts: list[datetime]
    prediction: list[float | None]
    actual: list[float]

    def __len__(self) -> int:
        return len(self.tenant)


def select_actuals(
    connection: Connection, fleet: str, tenants: Sequence[str], since: datetime, until: datetime
) -> list[tuple[str, datetime, float]]:
    """(tenant, ts, value) of the stored actuals of ``tenants`` with ``since <= ts <= until``."""
    found: list[tuple[str, datetime, float]] = []
    for start in range(0, len(tenants), 500):
        chunk = list(tenants[start : start + 500])
        statement = select(actuals.c.tenant, actuals.c.ts, actuals.c.value).where(
            actuals.c.fleet == fleet,
            actuals.c.tenant.in_(chunk),
            actuals.c.ts >= since,
            actuals.c.ts <= until,
        )
        found.extend((r.tenant, r.ts, r.value) for r in connection.execute(statement))
    return found


def insert_actuals(connection: Connection, rows: Sequence[ActualRow]) -> None:
    """Write new actuals in one executemany."""
    if rows:
        connection.execute(insert(actuals), [_values(r) for r in rows])


def update_actuals(connection: Connection, rows: Sequence[ActualRow]) -> None:
    """Replace stored actuals (corrections) in one executemany."""
    if not rows:
        return
    statement = (
        update(actuals)
        .where(
            and_(
                actuals.c.fleet == bindparam("k_fleet"),
                actuals.c.tenant == bindparam("k_tenant"),
                actuals.c.ts == bindparam("k_ts"),
            )
        )
        .values(
            value=bindparam("value"),
            request_id=bindparam("request_id"),
            received_at=bindparam("received_at"),
            source=bindparam("source"),
        )
    )
    connection.execute(
        statement,
        [
            {
                "k_fleet": r.fleet,
                "k_tenant": r.tenant,
                "k_ts": r.ts,
                "value": r.value,
                "request_id": r.request_id,
                "received_at": r.received_at,
                "source": r.source,
            }
            for r in rows
        ],
    )


def _values(row: ActualRow) -> dict[str, Any]:
    return {
        "fleet": row.fleet,
        "tenant": row.tenant,
        "ts": row.ts,
        "value": row.value,
        "request_id": row.request_id,
        "received_at": row.received_at,
        "source": row.source,
    }


def select_joined(
    connection: Connection, fleet: str, environment: str, since: datetime, until: datetime
) -> JoinedColumns:
    """Every logged prediction of ``fleet`` in ``environment`` for a timestamp in ``[since,
    until)`` that has an actual, with it (one indexed join)."""
    p, a = predictions.c, actuals.c
    statement = (
        select(p.tenant, p.version, p.arm, p.ts, p.value, a.value.label("actual"))
        .join_from(
            predictions,
            actuals,
            and_(a.fleet == p.fleet, a.tenant == p.tenant, a.ts == p.ts),
        )
        .where(p.fleet == fleet, p.environment == environment, p.ts >= since, p.ts < until)
        .order_by(p.id)
    )
    rows = connection.execute(statement).all()
    if not rows:
        return JoinedColumns([], [], [], [], [], [])
    columns = [list(c) for c in zip(*rows, strict=True)]
    return JoinedColumns(*columns)
