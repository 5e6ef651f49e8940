"""The prediction log's table and its bulk writes and reads.

One row per scored record: which request, tenant, version and arm answered, the timestamp the
prediction is for, the value, the record's inputs (JSON text) and the request's latency. Ground
truth joins later by request id or by (fleet, tenant, timestamp); both are indexed. Rows are
written in batches by the server's background logger, one ``executemany`` per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Float, Index, Integer, String, Table, Text, func, select

from modelfleet.store.schema import UTCDateTime, metadata
from modelfleet.store.sealed_inputs import open_values, seal_rows

predictions = Table(
    "predictions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String, nullable=False),
    Column("position", Integer, nullable=False),  # the record's place in its request
    Column("fleet", String, nullable=False),
    Column("tenant", String, nullable=False),
    Column("environment", String, nullable=False),
    Column("version", String, nullable=False),
    Column("arm", String, nullable=False),
    Column("ts", UTCDateTime, nullable=False),
    Column("value", Float, nullable=True),
    Column("inputs", Text, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("logged_at", UTCDateTime, nullable=False),
    Index(None, "request_id"),
    Index(None, "fleet", "tenant", "ts"),
    Index(None, "logged_at"),
)


@dataclass(frozen=True)
class PredictionRow:
    """One logged prediction (the store's shape; ``inputs`` is the record as JSON text)."""

    request_id: str
    position: int
    fleet: str
    tenant: str
    environment: str
    version: str
    arm: str
    ts: datetime
    value: float | None
    inputs: str
    latency_ms: float
    logged_at: datetime


COLUMNS: tuple[str, ...] = (
    "request_id",
    "position",
    "fleet",
    "tenant",
    "environment",
    "version",
    "arm",
    "ts",
    "value",
    "inputs",
    "latency_ms",
    "logged_at",
)
_TIMES = (COLUMNS.index("ts"), COLUMNS.index("logged_at"))
_SEALING = {
    "inputs_at": COLUMNS.index("inputs"),
    "fleet_at": COLUMNS.index("fleet"),
    "tenant_at": COLUMNS.index("tenant"),
}


def insert_predictions(connection: Connection, rows: Sequence[PredictionRow]) -> None:
    """Write ``rows`` in one executemany."""
    insert_prediction_tuples(connection, [tuple(asdict(row).values()) for row in rows])


def insert_prediction_tuples(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Write rows given as tuples in :data:`COLUMNS` order (times aware UTC): one executemany
    straight to the driver, without per-value type processing (the log's hot path).

    With a keyring set, the inputs column is sealed here, the one write seam of the log."""
    if not rows:
        return
    rows = seal_rows(rows, **_SEALING)
    dialect = connection.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO predictions ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join(mark for _ in COLUMNS)})"
    )
    if dialect.name == "sqlite":  # naive UTC text, as the UTCDateTime column stores it
        texts: dict[datetime, str] = {}  # a request's rows share one logged_at
        rows = [_sqlite_times(row, texts) for row in rows]
    connection.exec_driver_sql(sql, list(rows))


def _sqlite_times(row: tuple[Any, ...], texts: dict[datetime, str]) -> tuple[Any, ...]:
    values = list(row)
    for at in _TIMES:
        value = values[at]
        text = texts.get(value)
        if text is None:
            text = texts[value] = sqlite_time(value)
        values[at] = text
    return tuple(values)


def sqlite_time(value: datetime) -> str:
    """An aware datetime as SQLAlchemy's SQLite text of it in UTC (``%Y-%m-%d %H:%M:%S.%f``)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # isoformat is one C call; its first 26 characters are exactly that form.
    return value.isoformat(sep=" ", timespec="microseconds")[:26]


def select_predictions(
    connection: Connection, fleet: str, tenant: str | None, limit: int
) -> list[PredictionRow]:
    """The newest logged predictions of a fleet (or one tenant), newest first."""
    statement = select(*[c for c in predictions.c if c.name != "id"]).where(
        predictions.c.fleet == fleet
    )
    if tenant is not None:
        statement = statement.where(predictions.c.tenant == tenant)
    statement = statement.order_by(predictions.c.id.desc()).limit(limit)
    found = [row._mapping for row in connection.execute(statement)]
    inputs = open_values([row["inputs"] for row in found], fleet, [row["tenant"] for row in found])
    return [
        PredictionRow(**{**row, "inputs": text}) for row, text in zip(found, inputs, strict=True)
    ]


@dataclass(frozen=True, eq=False)
class PredictionColumns:
    """Logged predictions as columns (the monitoring window's shape), in the order written."""

    tenant: list[str]
    version: list[str]
    arm: list[str]
    inputs: list[str]
    value: list[float | None]
    ts: list[datetime]

    def __len__(self) -> int:
        return len(self.tenant)


def select_prediction_columns(
    connection: Connection, fleet: str, environment: str, since: datetime, until: datetime
) -> PredictionColumns:
    """The rows of ``fleet`` in ``environment`` logged in ``[since, until)``, as columns, in
    the order they were written."""
    c = predictions.c
    statement = (
        select(c.tenant, c.version, c.arm, c.inputs, c.value, c.ts)
        .where(
            c.fleet == fleet,
            c.environment == environment,
            c.logged_at >= since,
            c.logged_at < until,
        )
        .order_by(c.id)
    )
    rows = connection.execute(statement).all()
    if not rows:
        return PredictionColumns([], [], [], [], [], [])
    tenant, version, arm, inputs, value, ts = (list(column) for column in zip(*rows, strict=True))
    inputs = open_values(inputs, fleet, tenant)  # the log's one read seam of inputs
    return PredictionColumns(tenant, version, arm, inputs, value, ts)


def count_predictions(connection: Connection, fleet: str | None) -> int:
    """How many predictions are logged (of one fleet, or all)."""
    statement = select(func.count()).select_from(predictions)
    if fleet is not None:
        statement = statement.where(predictions.c.fleet == fleet)
    return int(connection.execute(statement).scalar_one())
