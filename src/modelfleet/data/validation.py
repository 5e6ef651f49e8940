"""Per-tenant data checks, each one DuckDB query grouped by tenant.

Checks: required fields null, declared columns null (warning unless nullable), ranges, duplicate
(tenant, timestamp) rows, timestamps after ``now`` and too little history. Conversion failures
are found while mapping; they are subtracted here so one bad cell is not also called "missing".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import duckdb
import pyarrow as pa

from modelfleet.config.spec import ChecksSpec, ColumnType, SchemaSpec, ValidationSpec
from modelfleet.data.canonical import (
    MAX_EXAMPLES,
    ROW_COLUMN,
    SOURCE_COLUMN,
    TENANT_COLUMN,
    Finding,
    Severity,
    canonical_types,
)
from modelfleet.data.engine import connect, fetch_all, literal, quote
from modelfleet.data.joins import origin_columns
from modelfleet.errors import ConfigError
from modelfleet.quoting import listing

_WHERE = f"{SOURCE_COLUMN} || ' ' || {ROW_COLUMN}"
_NUMERIC: tuple[ColumnType, ...] = ("int", "float")
_ROWS_PER_EXAMPLE = 3  # rows cited for one repeated timestamp


def validate(
    table: pa.Table,
    *,
    schema: SchemaSpec,
    checks: ChecksSpec,
    validation: ValidationSpec,
    now: datetime,
    bad_cells: Mapping[tuple[str, str], int],
    origins: Mapping[str, str] | None = None,
) -> list[Finding]:
    """All checks for the tenants in ``table`` under one set of rules.

    ``origins`` maps a joined column to the source it came from: its findings cite that
    source's file and line rather than the observation row it was joined onto.
    """
    if table.num_rows == 0:
        return []
    con = connect()
    con.register("t", table)
    ts = quote(schema.timestamp)
    where = _Where(origins or {}, set(table.column_names))
    findings = [
        *_nulls(con, schema, checks, bad_cells, where),
        *_ranges(con, schema, checks, where),
        *_duplicates(con, ts),
        *_future(con, ts, now, checks.future_timestamps),
        *_history(con, ts, validation),
    ]
    con.close()
    return findings


class _Where:
    """SQL citing the file and line that holds a column's value in each row."""

    def __init__(self, origins: Mapping[str, str], present: set[str]) -> None:
        self._origins = {c: n for c, n in origins.items() if origin_columns(n)[0] in present}

    def __call__(self, column: str) -> str:
        name = self._origins.get(column)
        if name is None:
            return _WHERE
        source, row = (quote(c) for c in origin_columns(name))
        # No joined row: cite the observation row and say that the source has no match for it.
        return (
            f"(CASE WHEN {row} IS NOT NULL THEN {source} || ' ' || {row} "
            f"ELSE {_WHERE} || {literal(f' (no matching row in source {name!r})')} END)"
        )


def _ts_text(ts: str) -> str:
    """Dates print as 2024-01-31, timestamps with a time of day in full."""
    return (
        f"(CASE WHEN {ts} = date_trunc('day', {ts}) THEN strftime({ts}, '%Y-%m-%d') "
        f"ELSE CAST({ts} AS VARCHAR) END)"
    )


def _nulls(
    con: duckdb.DuckDBPyConnection,
    schema: SchemaSpec,
    checks: ChecksSpec,
    bad_cells: Mapping[tuple[str, str], int],
    where: _Where,
) -> list[Finding]:
    required = {schema.timestamp: "timestamp", schema.target: "target"}
    columns = [schema.timestamp, schema.target, *schema.columns]
    aggregates = ", ".join(
        f"count(*) FILTER (WHERE {quote(c)} IS NULL), "
        f"arg_min({where(c)}, {ROW_COLUMN}, {MAX_EXAMPLES}) FILTER (WHERE {quote(c)} IS NULL)"
        for c in columns
    )
    any_null = " OR ".join(f"{quote(c)} IS NULL" for c in columns)
    rows = fetch_all(
        con,
        f"SELECT {TENANT_COLUMN}, count(*), {aggregates} FROM t GROUP BY ALL "
        f"HAVING count(*) FILTER (WHERE {any_null}) > 0 ORDER BY 1",
    )
    findings = []
    for tenant, total, *per_column in rows:
        for index, column in enumerate(columns):
            raw_count, cited_rows = per_column[2 * index], per_column[2 * index + 1]
            # Cells that failed conversion are already a "types" finding: do not count them twice.
            bad = bad_cells.get((tenant, column), 0)
            count = raw_count - bad
            if count <= 0 or (column not in required and column in checks.nullable):
                continue
            examples = tuple(cited_rows or ()) if not bad else ()
            cited = f", e.g. {'; '.join(examples)}" if examples else ""
            if column in required:
                severity: Severity = "error"
                advice = (
                    f"the {required[column]} is required: fill or drop those rows at the source"
                )
            else:
                severity = "warning"
                advice = f"fill them, or list '{column}' under checks.nullable if gaps are expected"
                if count == total:
                    advice = (
                        "the column has no values at all for this tenant (is it missing from "
                        f"its source, or is there no matching row in a joined source?); {advice}"
                    )
            findings.append(
                Finding(
                    tenant=tenant,
                    check="nulls",
                    severity=severity,
                    column=column,
                    count=count,
                    message=(
                        f"tenant {tenant}: {count} of {total} rows have no value for "
                        f"'{column}'{cited}; {advice}"
                    ),
                    examples=examples,
                )
            )
    return findings


def _ranges(
    con: duckdb.DuckDBPyConnection, schema: SchemaSpec, checks: ChecksSpec, where: _Where
) -> list[Finding]:
    types = canonical_types(schema)
    findings = []
    for column, rule in checks.ranges.items():
        if types.get(column) not in _NUMERIC:
            raise ConfigError(
                f"checks.ranges.{column}: '{column}' is of type {types.get(column)}; ranges "
                "apply to int and float columns"
            )
        bounds = []
        if rule.min is not None:
            bounds.append(f"{quote(column)} < {rule.min!r}")
        if rule.max is not None:
            bounds.append(f"{quote(column)} > {rule.max!r}")
        if not bounds:
            continue
        outside = " OR ".join(bounds)
        rows = fetch_all(
            con,
            f"SELECT {TENANT_COLUMN}, count(*), arg_min({where(column)} || ': ' || "
            f"CAST({quote(column)} AS VARCHAR), {ROW_COLUMN}, {MAX_EXAMPLES}) "
            f"FROM t WHERE {outside} GROUP BY ALL ORDER BY 1",
        )
        low = "-inf" if rule.min is None else f"{rule.min:g}"
        high = "inf" if rule.max is None else f"{rule.max:g}"
        allowed = f"[{low}, {high}]"
        for tenant, count, examples in rows:
            findings.append(
                Finding(
                    tenant=tenant,
                    check="range",
                    severity=rule.severity,
                    column=column,
                    count=int(count),
                    message=(
                        f"tenant {tenant}: {count} value(s) of '{column}' are outside the "
                        f"allowed range {allowed} (checks.ranges.{column}), e.g. "
                        f"{'; '.join(examples)}. Fix them at the source or widen the range"
                    ),
                    examples=tuple(examples),
                )
            )
    return findings


def _duplicates(con: duckdb.DuckDBPyConnection, ts: str) -> list[Finding]:
    rows = fetch_all(
        con,
        # Find repeated keys with a cheap count first; cite rows only for those, and only a few:
        # one timestamp may repeat in thousands of rows (the message must not list them all).
        f"WITH k AS (SELECT {TENANT_COLUMN}, {ts} AS ts FROM t WHERE {ts} IS NOT NULL "
        f"GROUP BY ALL HAVING count(*) > 1), "
        f"d AS (SELECT t.{TENANT_COLUMN}, k.ts, count(*) AS n, "
        f"list({_WHERE} ORDER BY {ROW_COLUMN})[1:{_ROWS_PER_EXAMPLE}] AS w FROM t "
        f"JOIN k ON t.{TENANT_COLUMN} = k.{TENANT_COLUMN} AND t.{ts} = k.ts GROUP BY ALL) "
        f"SELECT {TENANT_COLUMN}, count(*), sum(n), "
        f"arg_min({_ts_text('ts')}, ts, {MAX_EXAMPLES}), arg_min(w, ts, {MAX_EXAMPLES}), "
        f"arg_min(n, ts, {MAX_EXAMPLES}) FROM d GROUP BY ALL ORDER BY 1",
    )
    findings = []
    for tenant, count, rows_, stamps, places, repeats in rows:
        examples = tuple(
            f"{stamp} ({listing(where, n, limit=_ROWS_PER_EXAMPLE, sep=' and ')})"
            for stamp, where, n in zip(stamps, places, repeats, strict=True)
        )
        findings.append(
            Finding(
                tenant=tenant,
                check="duplicates",
                severity="error",
                column=None,
                count=int(count),
                message=(
                    f"tenant {tenant}: {count:,} timestamp(s) appear in more than one row "
                    f"({int(rows_):,} rows in all), e.g. {listing(examples, count, each=200)}. "
                    "Keep one row per timestamp: roll the rows up with aggregate: in the source, "
                    "use a finer tenant_key, or drop the repeats at the source"
                ),
                examples=examples,
            )
        )
    return findings


def _future(con: duckdb.DuckDBPyConnection, ts: str, now: datetime, policy: str) -> list[Finding]:
    if policy == "allow":
        return []
    severity: Severity = "error" if policy == "error" else "warning"
    rows = fetch_all(
        con,
        f"SELECT {TENANT_COLUMN}, count(*), arg_min({_ts_text(ts)} || ' (' || {_WHERE} || ')', "
        f"{ts}, {MAX_EXAMPLES}) FROM t WHERE {ts} > ? GROUP BY ALL ORDER BY 1",
        [now],
    )
    return [
        Finding(
            tenant=tenant,
            check="future_timestamps",
            severity=severity,
            column=None,
            count=int(count),
            message=(
                f"tenant {tenant}: {count} row(s) are dated after now ({now:%Y-%m-%d %H:%M}), "
                f"e.g. {'; '.join(examples)}. Fix the dates (day and month swapped? set "
                "csv.date_format) or set checks.future_timestamps: allow for planned values"
            ),
            examples=tuple(examples),
        )
        for tenant, count, examples in rows
    ]


def _history(con: duckdb.DuckDBPyConnection, ts: str, validation: ValidationSpec) -> list[Finding]:
    needed = validation.horizon + validation.min_train_periods
    rows = fetch_all(
        con,
        f"SELECT {TENANT_COLUMN}, count(DISTINCT {ts}) AS n FROM t GROUP BY ALL "
        "HAVING count(DISTINCT " + ts + ") < ? ORDER BY 1",
        [needed],
    )
    return [
        Finding(
            tenant=tenant,
            check="history",
            severity="error",
            column=None,
            count=int(periods),
            message=(
                f"tenant {tenant}: only {periods} distinct period(s) of history; it needs at "
                f"least {needed} (validation.horizon {validation.horizon} + "
                f"validation.min_train_periods {validation.min_train_periods}). Provide more "
                "history or lower those settings for this tenant (tenants.overrides)"
            ),
        )
        for tenant, periods in rows
    ]
