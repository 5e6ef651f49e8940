"""Point-in-time correct retrieval: each entity row gets each feature as of its own timestamp.

For every view, an ``ASOF LEFT JOIN`` picks the latest feature row of the same entity at or
before the row's time (never after it); a value older than the view's TTL is null. Everything
runs inside DuckDB with a memory limit, spilling to disk if needed, so 1M entity rows against
1M feature rows stay well under 2 GB. Output rows keep the entity frame's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from modelfleet.config.feature_blocks import OnDemandFeatureSpec
from modelfleet.errors import FeatureError
from modelfleet.features.compile import (
    TS_COLUMN,
    CompiledView,
    interval,
    is_aware,
    key_kind,
    time_sql,
)
from modelfleet.features.on_demand import on_demand_sql
from modelfleet.features.sources import literal, quote

ROW_COLUMN = "__mf_row"
ASOF_COLUMN = "__mf_asof"


@dataclass(frozen=True)
class ViewSelection:
    """Which features of a compiled view to return, and under which output names."""

    compiled: CompiledView
    features: tuple[str, ...]
    output_names: tuple[str, ...]


def entity_relation(con: duckdb.DuckDBPyConnection, entities: pa.Table | str | Path) -> str:
    """Register the entity frame with its row positions; returns the SQL naming it."""
    if isinstance(entities, str | Path):
        path = Path(entities)
        if not path.exists():
            raise FeatureError(f"entity frame file {path} does not exist")
        return (
            f"(SELECT * EXCLUDE (filename, file_row_number), dense_rank() OVER (ORDER BY "
            f"filename) * 1099511627776 + file_row_number AS {ROW_COLUMN} FROM "
            f"read_parquet({literal(str(path))}, filename = true, file_row_number = true))"
        )
    if ROW_COLUMN in entities.column_names:
        raise FeatureError(f"entity frame: column name {ROW_COLUMN!r} is reserved; rename it")
    numbered = entities.append_column(
        ROW_COLUMN, pa.array(np.arange(entities.num_rows, dtype=np.int64))
    )
    con.register("__mf_entities", numbered)
    return quote("__mf_entities")


def entity_types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """The entity frame's column names and DuckDB types."""
    rows = con.sql(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return {str(r[0]): str(r[1]) for r in rows if r[0] != ROW_COLUMN}


def check_entities(
    types: dict[str, str], timestamp: str, selections: Sequence[ViewSelection]
) -> str:
    """Check keys and time columns line up with every view; returns the as-of SQL expression."""
    if timestamp not in types:
        raise FeatureError(
            f"entity frame has no timestamp column {timestamp!r} (columns: {sorted(types)}); "
            "pass timestamp=<column> naming the time each row is scored at"
        )
    as_of = time_sql(timestamp, types[timestamp], owner="entity frame", field="timestamp column")
    aware = is_aware(types[timestamp])
    for selection in selections:
        compiled = selection.compiled
        for key, view_type in compiled.key_types.items():
            if key not in types:
                raise FeatureError(
                    f"{compiled.owner} is keyed by {key!r}, which the entity frame lacks "
                    f"(columns: {sorted(types)}); add the column or drop the view's features"
                )
            if key_kind(types[key]) != key_kind(view_type):
                raise FeatureError(
                    f"{compiled.owner}: entity key {key!r} is {view_type} in the view but "
                    f"{types[key]} in the entity frame; cast one side so both are integers "
                    "or both text"
                )
        if compiled.aware != aware:
            kinds = ("time-zone aware", "naive")
            view_kind, frame_kind = (kinds[0], kinds[1]) if compiled.aware else kinds[::-1]
            raise FeatureError(
                f"{compiled.owner}: its timestamp {compiled.view.timestamp!r} is {view_kind} "
                f"but the entity frame's {timestamp!r} is {frame_kind}; make both aware (UTC) "
                "or both naive"
            )
        clash = sorted(set(selection.output_names) & set(types))
        if clash:
            raise FeatureError(
                f"{compiled.owner}: features {clash} have the same names as entity frame "
                "columns; rename the columns or ask for full names (view__feature)"
            )
    return as_of


def retrieval_sql(
    entities: str,
    as_of: str,
    selections: Sequence[ViewSelection],
    on_demand: Sequence[OnDemandFeatureSpec] = (),
    aliases: Mapping[str, str] | None = None,
) -> str:
    """One query joining every view as of each entity row's time, in the frame's order."""
    asof = quote(ASOF_COLUMN)
    joins: list[str] = []
    outputs: list[str] = []
    for index, selection in enumerate(selections):
        alias = f"v{index}"
        compiled = selection.compiled
        on = " AND ".join(f"e.{quote(k)} = {alias}.{quote(k)}" for k in compiled.view.entities)
        joins.append(
            f"ASOF LEFT JOIN ({compiled.sql}) AS {alias} "
            f"ON {on} AND e.{asof} >= {alias}.{quote(TS_COLUMN)}"
        )
        ttl = compiled.view.ttl
        for feature, name in zip(selection.features, selection.output_names, strict=True):
            value = f"{alias}.{quote(feature)}"
            if ttl is not None:
                value = (
                    f"CASE WHEN {alias}.{quote(TS_COLUMN)} >= e.{asof} - {interval(ttl)} "
                    f"THEN {value} END"
                )
            outputs.append(f"{value} AS {quote(name)}")
    head = f"e.* EXCLUDE ({asof})"
    select = ", ".join([head, *outputs])
    sql = f"SELECT {select} FROM (SELECT *, {as_of} AS {asof} FROM {entities}) AS e " + " ".join(
        joins
    )
    if on_demand:
        sql = on_demand_sql(f"({sql})", on_demand, aliases or {})
    return f"SELECT * EXCLUDE ({quote(ROW_COLUMN)}) FROM ({sql}) AS out ORDER BY {ROW_COLUMN}"


def run_retrieval(
    con: duckdb.DuckDBPyConnection, sql: str, *, output: Path | None = None
) -> pa.Table | None:
    """Run the query into an Arrow table, or stream it to a Parquet file (bounded memory)."""
    try:
        if output is not None:
            con.execute(f"COPY ({sql}) TO {literal(str(output))} (FORMAT parquet)")
            return None
        return con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        text = str(exc).strip().splitlines()[0]
        raise FeatureError(f"historical retrieval failed: {text}") from exc
