"""Run-time traffic settings: how a tenant's requests split in one environment.

One row per (model, environment), replacing the spec's ``serving.routing`` for that tenant
while it exists. Written inside a registry write (with its event); read by the prediction
server with one indexed lookup.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Column, Connection, Float, String, Table, Text, select

from modelfleet.store.schema import UTCDateTime, metadata

traffic = Table(
    "traffic",
    metadata,
    Column("model", String, primary_key=True),
    Column("environment", String, primary_key=True),
    Column("mode", String, nullable=False),
    Column("challenger", String, nullable=False),
    Column("share", Float, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("actor", String, nullable=False),
    Column("reason", Text, nullable=False),
)


@dataclass(frozen=True)
class TrafficRow:
    """One tenant's routing in one environment, and who set it when."""

    model: str
    environment: str
    mode: str
    challenger: str
    share: float | None
    updated_at: datetime
    actor: str
    reason: str


def set_traffic(connection: Connection, row: TrafficRow) -> None:
    """Insert or replace the row of ``(row.model, row.environment)``."""
    where = (traffic.c.model == row.model) & (traffic.c.environment == row.environment)
    connection.execute(traffic.delete().where(where))
    connection.execute(traffic.insert(), [asdict(row)])


def remove_traffic(connection: Connection, model: str, environment: str) -> bool:
    """Delete the row; whether there was one."""
    where = (traffic.c.model == model) & (traffic.c.environment == environment)
    return bool(connection.execute(traffic.delete().where(where)).rowcount)


def traffic_of(connection: Connection, model: str, environment: str) -> TrafficRow | None:
    """The row of ``(model, environment)``, or None."""
    statement = select(traffic).where(
        (traffic.c.model == model) & (traffic.c.environment == environment)
    )
    found = connection.execute(statement).first()
    return None if found is None else TrafficRow(**found._mapping)
