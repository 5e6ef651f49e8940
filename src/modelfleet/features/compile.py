"""A feature view compiled to one DuckDB query: keys, event time and feature values per event.

The query deduplicates rows that share an entity and event time (latest ``created_timestamp``
wins, then the last row written), then computes expressions, lags and rolling aggregates over
each entity's own timeline. Lags and windows are ``RANGE`` frames on the clock, not row offsets,
so a gap in an entity's history never shifts a value onto the wrong time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from modelfleet.config.feature_blocks import FeatureSpec, FeatureViewSpec
from modelfleet.errors import FeatureError
from modelfleet.features.sources import (
    TIE_ORDER,
    SourceColumns,
    describe,
    literal,
    quote,
    source_sql,
)

TS_COLUMN = "__mf_ts"
ONE_MICROSECOND = timedelta(microseconds=1)

CALENDAR_SQL = {
    "dayofweek": "isodow({ts})",
    "day": "day({ts})",
    "month": "month({ts})",
    "weekofyear": "weekofyear({ts})",
    "dayofyear": "dayofyear({ts})",
    "year": "year({ts})",
    "quarter": "quarter({ts})",
    "is_weekend": "CAST(isodow({ts}) >= 6 AS INTEGER)",
}
_ROLLING_SQL = {
    "mean": "avg",
    "sum": "sum",
    "count": "count",
    "min": "min",
    "max": "max",
    "std": "stddev_samp",
}
_NUMERIC_AGGS = frozenset({"mean", "sum", "std"})
_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
_NUMERIC_PREFIXES = (  # BOOLEAN is not here: DuckDB has no avg/stddev of booleans
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)
AWARE = "TIMESTAMP WITH TIME ZONE"


def interval(value: timedelta) -> str:
    """A DuckDB interval literal, exact to the microsecond."""
    return f"INTERVAL '{value // ONE_MICROSECOND} microseconds'"


def key_kind(duck_type: str) -> str | None:
    """'int' or 'str' for a usable entity key type, None for anything else."""
    if duck_type in _INTEGER_TYPES:
        return "int"
    if duck_type == "VARCHAR":
        return "str"
    return None


def time_sql(column: str, duck_type: str, *, owner: str, field: str) -> str:
    """The column as a microsecond TIMESTAMP (or TIMESTAMPTZ); other types are an error."""
    if duck_type == AWARE:
        return quote(column)
    if duck_type == "DATE" or duck_type.startswith("TIMESTAMP"):
        return f"CAST({quote(column)} AS TIMESTAMP)"
    raise FeatureError(
        f"{owner}: {field} {column!r} has type {duck_type}, not a date or timestamp; convert it "
        "in the source (for CSV, check the column parses as a date)"
    )


def is_aware(duck_type: str) -> bool:
    """Whether a DuckDB type carries a time zone."""
    return duck_type == AWARE


@dataclass(frozen=True)
class CompiledView:
    """A view ready to join: its SQL, key types, timestamp type and window lookback."""

    view: FeatureViewSpec
    sql: str
    key_types: Mapping[str, str]
    aware: bool
    lookback: timedelta
    output_types: Mapping[str, str]

    @property
    def owner(self) -> str:
        """How errors name this view."""
        return f"feature view {self.view.name!r}"


def lookback(view: FeatureViewSpec) -> timedelta:
    """How far back a feature at time t can look: the longest lag or window of the view."""
    spans = [timedelta(0)]
    for feature in view.features:
        if feature.lag is not None:
            spans.append(feature.lag.by)
        if feature.rolling is not None:
            spans.append(feature.rolling.window)
    return max(spans)


def _feature_sql(feature: FeatureSpec, columns: SourceColumns, view: str, window: str) -> str:
    ts = quote(TS_COLUMN)
    if feature.expr is not None:
        return f"({feature.expr})"
    if feature.calendar is not None:
        return CALENDAR_SQL[feature.calendar].format(ts=ts)
    if feature.lag is not None:
        columns.require(view, f"features.{feature.name}.lag.column", feature.lag.column)
        if feature.lag.by == timedelta(0):
            return quote(feature.lag.column)
        by = interval(feature.lag.by)
        # max() over a frame holding exactly the instant `by` earlier: that value, else NULL.
        frame = f"RANGE BETWEEN {by} PRECEDING AND {by} PRECEDING"
        return f"max({quote(feature.lag.column)}) OVER ({window} {frame})"
    rolling = feature.rolling
    assert rolling is not None  # validated: exactly one kind is set
    kind = columns.require(view, f"features.{feature.name}.rolling.column", rolling.column)
    if rolling.agg in _NUMERIC_AGGS and not kind.startswith(_NUMERIC_PREFIXES):
        raise FeatureError(
            f"feature view {view!r}: features.{feature.name}.rolling takes the {rolling.agg} of "
            f"{rolling.column!r}, which has type {kind}; use a numeric column or agg count/min/max"
        )
    # Events in (t - window, t]: the frame is inclusive, so stop one microsecond short.
    frame = f"RANGE BETWEEN {interval(rolling.window - ONE_MICROSECOND)} PRECEDING AND CURRENT ROW"
    return f"{_ROLLING_SQL[rolling.agg]}({quote(rolling.column)}) OVER ({window} {frame})"


def compile_view(
    con: duckdb.DuckDBPyConnection,
    view: FeatureViewSpec,
    tables: Mapping[str, pa.Table],
    base_dir: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    check_ties: bool = True,
) -> CompiledView:
    """The view's feature rows as SQL, optionally only events in (since, until]; checked.

    ``check_ties=False`` skips the scan for duplicate events: for callers that only need the
    view's types (online lookups), never for callers that read rows.
    """
    owner = f"feature view {view.name!r}"
    source = source_sql(con, view, tables, base_dir)
    columns = describe(con, source, view.name)
    key_types: dict[str, str] = {}
    for key in view.entities:
        kind = columns.require(view.name, "entities", key)
        if key_kind(kind) is None:
            raise FeatureError(
                f"{owner}: entity column {key!r} has type {kind}; entity keys must be integers "
                "or text"
            )
        key_types[key] = kind
    ts_type = columns.require(view.name, "timestamp", view.timestamp)
    ts_sql = time_sql(view.timestamp, ts_type, owner=owner, field="timestamp")
    keys = ", ".join(quote(k) for k in view.entities)
    where = [f"{quote(TS_COLUMN)} IS NOT NULL"] + [f"{quote(k)} IS NOT NULL" for k in view.entities]
    if since is not None:
        # Windows need the events before `since` too; the outer filter drops those rows.
        where.append(
            f"{quote(TS_COLUMN)} > {stamp(since, is_aware(ts_type))} - {interval(lookback(view))}"
        )
    if until is not None:
        where.append(f"{quote(TS_COLUMN)} <= {stamp(until, is_aware(ts_type))}")
    tie = TIE_ORDER
    if view.created_timestamp is not None:
        columns.require(view.name, "created_timestamp", view.created_timestamp)
        tie = f"{quote(view.created_timestamp)} DESC NULLS LAST, {TIE_ORDER}"
    rows = (
        f"SELECT * FROM (SELECT *, {ts_sql} AS {quote(TS_COLUMN)} FROM {source}) AS timed "
        f"WHERE {' AND '.join(where)}"
    )
    if check_ties and _has_ties(con, rows, view):
        rows += (
            f" QUALIFY row_number() OVER (PARTITION BY {keys}, {quote(TS_COLUMN)} "
            f"ORDER BY {tie}) = 1"
        )
    window = f"PARTITION BY {keys} ORDER BY {quote(TS_COLUMN)}"
    selects = [
        f"{_feature_sql(f, columns, view.name, window)} AS {quote(f.name)}" for f in view.features
    ]
    sql = f"SELECT {keys}, {quote(TS_COLUMN)}, {', '.join(selects)} FROM ({rows}) AS rows"
    if since is not None:
        sql = f"SELECT * FROM ({sql}) AS windowed WHERE {quote(TS_COLUMN)} > " + stamp(
            since, is_aware(ts_type)
        )
    output = _check(con, sql, view, source)
    sql, output = _as_doubles(sql, view, output)
    return CompiledView(
        view=view,
        sql=sql,
        key_types=key_types,
        aware=is_aware(ts_type),
        lookback=lookback(view),
        output_types=output,
    )


def _wide(duck_type: str) -> bool:
    return duck_type in {"HUGEINT", "UHUGEINT", "UBIGINT"} or duck_type.startswith("DECIMAL")


def _as_doubles(
    sql: str, view: FeatureViewSpec, output: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """Wide integers and decimals (a sum of integers is HUGEINT) become DOUBLE, the one type
    both paths share: online stores hold 64-bit numbers, and offline must match them."""
    wide = [f for f in view.feature_names if _wide(output[f])]
    if not wide:
        return sql, output
    columns = [
        f"CAST({quote(c)} AS DOUBLE) AS {quote(c)}" if c in wide else quote(c) for c in output
    ]
    return (
        f"SELECT {', '.join(columns)} FROM ({sql}) AS narrow",
        {c: ("DOUBLE" if c in wide else t) for c, t in output.items()},
    )


def stamp(value: datetime, aware: bool) -> str:
    """A timestamp literal matching the view's kind (naive values are read as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if aware:
        return f"{literal(value.isoformat())}::TIMESTAMPTZ"
    return f"{literal(value.astimezone(UTC).replace(tzinfo=None).isoformat())}::TIMESTAMP"


def _has_ties(con: duckdb.DuckDBPyConnection, rows: str, view: FeatureViewSpec) -> bool:
    """Whether two rows share an entity and event time (a cheap hash aggregate, no sort)."""
    keys = ", ".join(quote(k) for k in (*view.entities, TS_COLUMN))
    try:
        found = con.sql(
            f"SELECT 1 FROM ({rows}) AS r GROUP BY {keys} HAVING count(*) > 1 LIMIT 1"
        ).fetchall()
    except duckdb.Error as exc:
        raise FeatureError(f"feature view {view.name!r}: cannot read its source ({exc})") from exc
    return bool(found)


def _check(
    con: duckdb.DuckDBPyConnection, sql: str, view: FeatureViewSpec, source: str
) -> dict[str, str]:
    """Output column types; a broken expression is reported with the feature that holds it."""
    try:
        rows = con.sql(f"DESCRIBE {sql}").fetchall()
    except duckdb.Error as exc:
        for feature in view.features:
            if feature.expr is None:
                continue
            try:
                con.sql(f"DESCRIBE SELECT ({feature.expr}) FROM {source}").fetchall()
            except duckdb.Error as inner:
                raise FeatureError(
                    f"feature view {view.name!r}: features.{feature.name}.expr "
                    f"{feature.expr!r} is not valid SQL over the source: {_first(inner)}"
                ) from inner
        raise FeatureError(f"feature view {view.name!r}: {_first(exc)}") from exc
    return {str(r[0]): str(r[1]) for r in rows}


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
