"""Ground truth that arrives after serving: one actual per (fleet, tenant, timestamp).

``modelfleet feedback`` (and ``POST /api/v1/fleets/F/feedback``) write them; performance
monitoring joins them with the prediction log in one indexed SQL join on (fleet, tenant, ts),
and, where an actual names the request it answers, on that request id too
(:func:`select_joined`). An actual sent again with the same value changes nothing; with another
value it replaces the stored one (a correction), and both cases are counted by the caller, which
compares before writing (:func:`select_actuals`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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
    exists,
    func,
    insert,
    or_,
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
    """Logged predictions with their actuals, as columns (one row per logged prediction), and
    per tenant the actuals of the span naming a request that logged no prediction of their
    date (``unmatched``: a wrong id, or a request not logged yet)."""

    tenant: list[str]
    version: list[str]
    arm: list[str]
    ts: list[datetime]
    prediction: list[float | None]
    actual: list[float]
    unmatched: dict[str, int] = field(default_factory=dict)

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
    until)`` that has an actual, with it, and the unmatched count (:class:`JoinedColumns`).

    An actual without a request id answers every prediction of its (tenant, ts); one with a
    request id answers that request's predictions of its ts only (each arm of the request).
    One join on the (fleet, tenant, ts) index with the request condition in it.
    """
    p, a = predictions.c, actuals.c
    answers = or_(a.request_id.is_(None), a.request_id == p.request_id)
    statement = (
        select(p.tenant, p.version, p.arm, p.ts, p.value, a.value.label("actual"))
        .join_from(
            predictions,
            actuals,
            and_(a.fleet == p.fleet, a.tenant == p.tenant, a.ts == p.ts, answers),
        )
        .where(p.fleet == fleet, p.environment == environment, p.ts >= since, p.ts < until)
        .order_by(p.id)
    )
    rows = connection.execute(statement).all()
    unmatched = _unmatched(connection, fleet, since, until)
    if not rows:
        return JoinedColumns([], [], [], [], [], [], unmatched)
    tenant, version, arm, ts, prediction, actual = (list(c) for c in zip(*rows, strict=True))
    return JoinedColumns(tenant, version, arm, ts, prediction, actual, unmatched)


def _unmatched(
    connection: Connection, fleet: str, since: datetime, until: datetime
) -> dict[str, int]:
    """Per tenant, the actuals in ``[since, until)`` whose request id logged no prediction of
    their (tenant, ts) in any environment (one anti-join, counted in SQL)."""
    p, a = predictions.c, actuals.c
    logged = exists().where(
        p.request_id == a.request_id, p.fleet == a.fleet, p.tenant == a.tenant, p.ts == a.ts
    )
    statement = (
        select(a.tenant, func.count())
        .where(
            a.fleet == fleet,
            a.request_id.is_not(None),
            a.ts >= since,
            a.ts < until,
            ~logged,
        )
        .group_by(a.tenant)
    )
    return {tenant: int(count) for tenant, count in connection.execute(statement)}
