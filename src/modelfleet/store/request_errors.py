"""Requests the prediction server refused or failed: one row each, for error rates per tenant.

The prediction log holds answered requests only; a refused one (a bad field, an unknown date:
4xx) or a failed one (5xx) has no prediction to log, so it gets a row here, written by the same
background writer. ``modelfleet usage`` sets them against the answered requests of the span.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import datetime

from sqlalchemy import Column, Connection, Index, Integer, String, Table, func, insert, select

from modelfleet.store.schema import UTCDateTime, metadata

request_errors = Table(
    "request_errors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String, nullable=False),
    Column("fleet", String, nullable=False),
    Column("tenant", String, nullable=False),
    Column("environment", String, nullable=False),
    Column("status", Integer, nullable=False),  # the HTTP status answered
    Column("error", String, nullable=False),  # the error's class, e.g. InputError
    Column("at", UTCDateTime, nullable=False),
    Index(None, "fleet", "environment", "at"),
)

COLUMNS = ("request_id", "fleet", "tenant", "environment", "status", "error", "at")


@dataclass(frozen=True)
class RequestErrorRow:
    """One refused or failed request."""

    request_id: str
    fleet: str
    tenant: str
    environment: str
    status: int
    error: str
    at: datetime


@dataclass(frozen=True)
class ErrorCount:
    """Refused (4xx) and failed (5xx) requests of one tenant over a span."""

    tenant: str
    client_errors: int
    server_errors: int


def insert_request_errors(connection: Connection, rows: Sequence[RequestErrorRow]) -> None:
    """Record refused or failed requests (one executemany)."""
    if rows:
        connection.execute(
            insert(request_errors), [dict(zip(COLUMNS, astuple(r), strict=True)) for r in rows]
        )


def select_error_counts(
    connection: Connection, fleet: str, environment: str, since: datetime, until: datetime
) -> list[ErrorCount]:
    """Per tenant, refused and failed requests in ``[since, until)`` (one grouped query)."""
    table = request_errors
    server = func.sum((table.c.status >= 500).cast(Integer))
    statement = (
        select(table.c.tenant, func.count().label("total"), server.label("server"))
        .where(
            table.c.fleet == fleet,
            table.c.environment == environment,
            table.c.at >= since,
            table.c.at < until,
        )
        .group_by(table.c.tenant)
        .order_by(table.c.tenant)
    )
    return [
        ErrorCount(row.tenant, int(row.total) - int(row.server or 0), int(row.server or 0))
        for row in connection.execute(statement)
    ]
