"""Materialization: the latest feature row of every entity, written to the online store.

A full run reads the whole source; an incremental run only the events after the view version's
watermark (plus the lookback its lags and windows need). Rows stream out of DuckDB in batches, so
memory stays flat however many entities there are. The watermark advances only after every batch
is written: an interrupted run leaves older-but-whole rows behind and the next run redoes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from modelfleet.errors import FeatureError
from modelfleet.features.clock import to_micros
from modelfleet.features.compile import TS_COLUMN, CompiledView
from modelfleet.features.online.base import (
    ENTITY_KEY_COLUMN,
    EVENT_TS_COLUMN,
    OnlineStore,
    ViewKey,
)
from modelfleet.features.sources import quote

KEY_SEPARATOR = "\x1f"  # unit separator: cannot appear in a sensible key value
BATCH_ROWS = 50_000


@dataclass(frozen=True)
class MaterializationResult:
    """What one materialization of one view version did."""

    view: str
    version: str
    mode: str  # "full" or "incremental"
    since: datetime | None
    until: datetime
    rows: int
    seconds: float


def online_value_sql(column: str, duck_type: str, view: str) -> str:
    """The SQL that turns a feature column into a scalar an online store can hold."""
    name = quote(column)
    if duck_type.startswith("TIMESTAMP") or duck_type == "DATE":
        return f"epoch_us(CAST({name} AS {_time_type(duck_type)}))"
    if duck_type in {"BOOLEAN", "VARCHAR", "DOUBLE", "BIGINT"}:
        return name
    if duck_type in {"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER"}:
        return f"CAST({name} AS BIGINT)"
    if duck_type in {"FLOAT", "HUGEINT", "UBIGINT"} or duck_type.startswith("DECIMAL"):
        return f"CAST({name} AS DOUBLE)"
    raise FeatureError(
        f"feature view {view!r}: feature {column!r} has type {duck_type}; online stores hold "
        "numbers, booleans, text and timestamps (cast it in the feature's expr)"
    )


def _time_type(duck_type: str) -> str:
    return "TIMESTAMPTZ" if duck_type == "TIMESTAMP WITH TIME ZONE" else "TIMESTAMP"


def latest_rows_sql(compiled: CompiledView) -> str:
    """One row per entity: its latest event's features, keyed and timed for the online store."""
    view = compiled.view
    keys = ", ".join(quote(k) for k in view.entities)
    if len(view.entities) == 1:
        entity_key = f"CAST({quote(view.entities[0])} AS VARCHAR)"
    else:
        parts = ", ".join(f"CAST({quote(k)} AS VARCHAR)" for k in view.entities)
        entity_key = f"concat_ws(chr(31), {parts})"
    values = [
        f"{online_value_sql(f, compiled.output_types[f], view.name)} AS {quote(f)}"
        for f in view.feature_names
    ]
    return (
        f"SELECT {entity_key} AS {quote(ENTITY_KEY_COLUMN)}, "
        f"epoch_us({quote(TS_COLUMN)}) AS {quote(EVENT_TS_COLUMN)}, {', '.join(values)} "
        f"FROM ({compiled.sql}) AS features "
        f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {quote(TS_COLUMN)} DESC) = 1"
    )


def _batches(con: duckdb.DuckDBPyConnection, sql: str) -> Iterator[pa.RecordBatch]:
    reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    yield from reader


def materialize_view(
    con: duckdb.DuckDBPyConnection,
    compiled: CompiledView,
    store: OnlineStore,
    *,
    since: datetime | None,
    until: datetime,
    progress: Callable[[str, int], None] | None = None,
) -> MaterializationResult:
    """Write the latest rows of one compiled view (already bounded to (since, until])."""
    clock = time.perf_counter()
    view = compiled.view
    key = ViewKey(view.name, view.version)
    written = 0
    try:
        for batch in _batches(con, latest_rows_sql(compiled)):
            written += store.write(key, pa.Table.from_batches([batch]))
            if progress is not None:
                progress(view.name, written)
    except duckdb.Error as exc:
        text = str(exc).strip().splitlines()[0]
        raise FeatureError(f"feature view {view.name!r}: materialization failed: {text}") from exc
    store.set_watermark(key, to_micros(until))
    return MaterializationResult(
        view=view.name,
        version=view.version,
        mode="full" if since is None else "incremental",
        since=since,
        until=until,
        rows=written,
        seconds=time.perf_counter() - clock,
    )
