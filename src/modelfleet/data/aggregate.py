"""Roll a mapped source up to one row per key (and period), as ``sources[].aggregate`` declares.

Runs in DuckDB on the canonical, typed columns right after mapping, so every later step (joins,
checks, frequency) sees the rolled-up rows. Each rolled-up row cites the first file line of its
group, so findings still point at a line the user can open. Bucketing days into weeks can leave a
tenant's first and last week incomplete; such edge weeks would look like a sales crash, so they
are dropped (and reported) unless ``partial_periods: keep``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import duckdb

from modelfleet.config.blocks import AGGREGATE_RULES, AggregateSpec
from modelfleet.config.spec import ColumnType, SchemaSpec, SourceSpec
from modelfleet.data.canonical import (
    DUCK_TYPES,
    MAX_EXAMPLES,
    ROW_COLUMN,
    SOURCE_COLUMN,
    TENANT_COLUMN,
    Finding,
    canonical_types,
)
from modelfleet.data.engine import connect, fetch_all, quote
from modelfleet.data.mapping import MappedSource
from modelfleet.errors import ConfigError
from modelfleet.quoting import listing, name_list

_ISODOW = {"MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6, "SUN": 7}
_NUMBERS: tuple[ColumnType, ...] = ("int", "float")
# Which canonical types each rule accepts; the result is cast back to the column's type.
_ACCEPTS: Mapping[str, tuple[ColumnType, ...]] = {
    "sum": _NUMBERS,
    "mean": ("float",),
    "count": _NUMBERS,
    "any": ("bool",),
    "all": ("bool",),
}
_WHY = {
    "sum": "sum adds numbers (int or float columns)",
    "mean": "mean gives fractions, so it needs a float column (declare it float in "
    "schema.columns, or use sum, min or max)",
    "count": "count gives a number of rows, so the column must be int or float",
    "any": "any/all combine booleans (bool columns)",
    "all": "any/all combine booleans (bool columns)",
}


def aggregate_source(
    mapped: MappedSource,
    source: SourceSpec,
    schema: SchemaSpec,
    *,
    keys: Sequence[str],
    tenant: str | None = None,
) -> MappedSource:
    """Roll ``mapped`` up to one row per ``keys`` (timestamps bucketed by the period first)."""
    spec = source.aggregate
    if spec is None:
        return mapped
    types = canonical_types(schema)
    timestamp = schema.timestamp if schema.timestamp in keys else None
    rules = _rules(mapped, source, spec, keys, types)
    con = connect()
    con.register("m", mapped.table)
    grouped = [k for k in keys if k != timestamp]
    if TENANT_COLUMN in mapped.table.column_names:
        grouped.insert(0, TENANT_COLUMN)
    ts = quote(timestamp) if timestamp else None
    bucket = _bucket(ts, spec.period) if ts else None
    order = f"{ts}, {ROW_COLUMN}" if ts else ROW_COLUMN
    selects = [quote(k) for k in grouped]
    if ts is not None:
        selects.append(f"{bucket} AS {ts}")
        selects.append(f"min({ts}) AS __first, max({ts}) AS __last")
    selects += [
        f"CAST({_agg(rule, quote(c), order)} AS {DUCK_TYPES[types[c]]}) AS {quote(c)}"
        for c, rule in rules.items()
    ]
    selects.append(f"any_value({SOURCE_COLUMN}) AS {SOURCE_COLUMN}")
    selects.append(f"min({ROW_COLUMN}) AS {ROW_COLUMN}")
    con.execute(f"CREATE TEMP TABLE g AS SELECT {', '.join(selects)} FROM m GROUP BY ALL")
    findings: list[Finding] = []
    if ts is not None and spec.period and spec.period != "D" and spec.partial_periods == "drop":
        findings.extend(_drop_partial(con, mapped, source, grouped, ts, tenant))
    columns = [*(quote(k) for k in grouped), *([ts] if ts else []), *map(quote, rules)]
    table = con.sql(
        f"SELECT {', '.join(columns)}, {SOURCE_COLUMN}, {ROW_COLUMN} FROM g ORDER BY {ROW_COLUMN}"
    ).to_arrow_table()
    con.close()
    return replace(mapped, table=table, findings=(*mapped.findings, *findings))


def _rules(
    mapped: MappedSource,
    source: SourceSpec,
    spec: AggregateSpec,
    keys: Sequence[str],
    types: Mapping[str, ColumnType],
) -> dict[str, str]:
    """Each value column's rule, checked against the column's type; errors say what to do."""
    where = f"{mapped.label}: sources[{source.name}].aggregate.columns"
    allowed = ", ".join(AGGREGATE_RULES)
    values = [c for c in mapped.columns if c not in keys]
    grouped = sorted(set(spec.columns) & set(keys))
    if grouped:
        raise ConfigError(
            f"{where} gives a rule for {name_list(grouped)}, which the rows are grouped by "
            f"(keys: {', '.join(keys)}); remove {'them' if len(grouped) > 1 else 'it'} there"
        )
    absent = sorted(set(spec.columns) - set(values))
    if absent:
        raise ConfigError(
            f"{where} gives a rule for {name_list(absent)}, which this source does not have "
            f"(its canonical columns: {', '.join(mapped.columns)}); remove the rule or map the "
            f"column under sources[{source.name}].columns"
        )
    missing = [c for c in values if c not in spec.columns]
    if missing:
        example = ", ".join(f"{c}: {_suggest(types[c])}" for c in missing)
        raise ConfigError(
            f"{where} has no rule for {name_list(missing)}; every column other than the keys "
            f"({', '.join(keys)}) needs one of: {allowed} (e.g. {{{example}}})"
        )
    for column, rule in spec.columns.items():
        accepted = _ACCEPTS.get(rule)
        if accepted is not None and types[column] not in accepted:
            raise ConfigError(
                f"{where}.{column}: '{rule}' does not apply to '{column}', a {types[column]} "
                f"column: {_WHY[rule]}. Rules: {allowed}"
            )
    return {c: spec.columns[c] for c in values}


def _suggest(kind: ColumnType) -> str:
    return {"bool": "any", "int": "sum", "float": "sum"}.get(kind, "first")


def _agg(rule: str, ref: str, order: str) -> str:
    """The SQL aggregate of one rule; NULLs are ignored as SQL aggregates ignore them."""
    if rule == "any":
        return f"bool_or({ref})"
    if rule == "all":
        return f"bool_and({ref})"
    if rule == "mean":
        return f"avg({ref})"
    if rule in ("first", "last"):
        direction = "" if rule == "first" else " DESC"
        ordered = ", ".join(f"{part.strip()}{direction}" for part in order.split(","))
        return f"first({ref} ORDER BY {ordered}) FILTER (WHERE {ref} IS NOT NULL)"
    return f"{rule}({ref})"


def _bucket(ts: str, period: str | None) -> str:
    """The bucket a timestamp falls in: its day, or the last day of its week (W-FRI: Friday)."""
    if period is None:
        return ts
    day = f"CAST(date_trunc('day', {ts}) AS TIMESTAMP)"
    if period == "D":
        return day
    anchor = _ISODOW[period.split("-")[1]]
    # Days until the week's last day: 0..6 (isodow and anchor are both 1..7).
    return f"({day} + to_days(CAST(({anchor} - isodow({ts}) + 7) % 7 AS INTEGER)))"


def _drop_partial(
    con: duckdb.DuckDBPyConnection,
    mapped: MappedSource,
    source: SourceSpec,
    grouped: Sequence[str],
    ts: str,
    tenant: str | None,
) -> list[Finding]:
    """Drop each series' first/last week when its rows start after / end before that week."""
    partition = f"PARTITION BY {', '.join(quote(k) for k in grouped)}" if grouped else ""
    label = (
        " || ' ' || ".join(f"'{k}=' || coalesce(CAST({quote(k)} AS VARCHAR), '?')" for k in grouped)
        if grouped and TENANT_COLUMN not in grouped
        else (f"'tenant ' || {TENANT_COLUMN}" if grouped else "'all rows'")
    )
    con.execute(
        f"CREATE TEMP TABLE p AS SELECT {ROW_COLUMN} AS r, {label} AS who, "
        f"strftime({ts}, '%Y-%m-%d') AS week, "
        f"strftime(__first, '%Y-%m-%d') AS a, strftime(__last, '%Y-%m-%d') AS b, "
        f"{SOURCE_COLUMN} || ' ' || {ROW_COLUMN} AS place FROM "
        f"(SELECT *, min({ts}) OVER ({partition}) AS lo, max({ts}) OVER ({partition}) AS hi "
        f"FROM g WHERE {ts} IS NOT NULL) "
        f"WHERE ({ts} = lo AND date_trunc('day', __first) > {ts} - INTERVAL 6 DAY) "
        f"OR ({ts} = hi AND date_trunc('day', __last) < {ts})"
    )
    con.execute(f"DELETE FROM g WHERE {ROW_COLUMN} IN (SELECT r FROM p)")
    rows = fetch_all(
        con,
        f"SELECT count(*), count(DISTINCT who), list(DISTINCT who ORDER BY who)[1:{MAX_EXAMPLES}], "
        f"arg_min(who || ': week ending ' || week || ' has rows from ' || a || ' to ' || b "
        f"|| ' only (' || place || ')', r, {MAX_EXAMPLES}) FROM p",
    )
    count, series, names, examples = rows[0]
    if not count:
        return []
    period = source.aggregate.period if source.aggregate else ""
    return [
        Finding(
            tenant=tenant,
            check="partial_periods",
            severity="warning",
            column=None,
            count=int(count),
            message=(
                f"{mapped.label}: aggregate.period {period} left {count:,} incomplete first or "
                f"last week(s) in {series:,} series ({listing(names, series, sep=', ')}), e.g. "
                f"{'; '.join(examples)}. They were dropped, so a part week does not look like a "
                f"sales drop; set sources[{source.name}].aggregate.partial_periods: keep to "
                "keep them"
            ),
            examples=tuple(examples),
        )
    ]
