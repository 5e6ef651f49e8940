"""Join static attributes and time-varying covariates onto the observations, in DuckDB.

A join source may exist in a shared version and in tenant-own versions. All versions are stacked
with a ``_scope`` column ('' for shared rows, the tenant id for own rows) and the observations get
the matching scope, so one equi-join serves every tenant. Keys with several rows in a source make
the join ambiguous: the tenants using them get a ``duplicates`` error, the first row is joined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from modelfleet.config.spec import ColumnType, SchemaSpec, SourceSpec
from modelfleet.data.canonical import (
    DUCK_TYPES,
    MAX_EXAMPLES,
    ROW_COLUMN,
    SOURCE_COLUMN,
    TENANT_COLUMN,
    Finding,
)
from modelfleet.data.engine import connect, fetch_all, literal, quote
from modelfleet.data.mapping import MappedSource
from modelfleet.data.plan import source_keys
from modelfleet.data.sources import RawSource
from modelfleet.errors import SourceError
from modelfleet.quoting import excerpt, listing, name_list

_SCOPE = "__scope"


def origin_columns(name: str) -> tuple[str, str]:
    """The private columns holding the file and line of the row joined from source ``name``."""
    return f"__source:{name}", f"__row:{name}"


@dataclass(frozen=True)
class JoinPart:
    """One version of a join source: shared (``scope`` None) or one tenant's own."""

    scope: str | None
    mapped: MappedSource


def join_keys_of(
    source: SourceSpec, schema: SchemaSpec, parts: Sequence[JoinPart]
) -> tuple[str, ...]:
    """The columns a join source's versions join on: the shared version's keys, else the first's.

    A tenant's own version has every key column (filled from its override), so the shared
    version's subset is what all versions have in common.
    """
    shared = [p for p in parts if p.scope is None] or list(parts)
    keys = source_keys(source, schema, shared[0].mapped.columns)
    for part in parts:
        lacking = [k for k in keys if k not in part.mapped.columns]
        if lacking:
            raise SourceError(
                f"{part.mapped.label}: lacks the join column(s) {name_list(lacking)} that the "
                f"other versions of source '{source.name}' join on (keys: {', '.join(keys)}); "
                f"map them under its columns or set sources[{source.name}].join_on"
            )
    return keys


def no_join_key(raw: RawSource, source: SourceSpec, schema: SchemaSpec) -> str:
    """The error for a static source that has none of the tenant key columns to join on."""
    key = schema.tenant_key
    available = raw.table.column_names
    lowered = {c.lower(): c for c in available}
    match = next((k for k in key if k.lower() in lowered), None)
    example = f"{match}: {lowered[match.lower()]}" if match else f"{key[0]}: <its column>"
    shown = listing(available, limit=20, sep=", ", quoted=True)
    return (
        f"{raw.label}: has none of the tenant key columns ({', '.join(key)}) to join on; "
        f"missing column {excerpt(key[0])}. The file has columns: {shown}. Map the file's key "
        f"column under sources[{source.name}].columns (e.g. {{{example}}}), or name the join "
        f"columns with sources[{source.name}].join_on: [{match or key[0]}]"
    )


def join_source(
    base: pa.Table,
    parts: Sequence[JoinPart],
    *,
    keys: Sequence[str],
    columns: Mapping[str, ColumnType],
    name: str,
) -> tuple[pa.Table, list[Finding]]:
    """Left-join ``columns`` of a source's versions onto ``base`` on ``keys``."""
    con = connect()
    con.register("base", base)
    stacked = []
    for index, part in enumerate(parts):
        con.register(f"part{index}", part.mapped.table)
        have = set(part.mapped.columns)
        values = [
            quote(c) if c in have else f"CAST(NULL AS {DUCK_TYPES[kind]}) AS {quote(c)}"
            for c, kind in columns.items()
        ]
        scope = literal(part.scope or "")
        stacked.append(
            f"SELECT {scope} AS {_SCOPE}, {', '.join(quote(k) for k in keys)}, "
            f"{', '.join([*values, SOURCE_COLUMN, ROW_COLUMN])} FROM part{index}"
        )
    con.execute(f"CREATE TEMP TABLE j AS {' UNION ALL '.join(stacked)}")
    own = sorted({p.scope for p in parts if p.scope is not None})
    scope_sql = (
        f"CASE WHEN {TENANT_COLUMN} IN ({', '.join(literal(t) for t in own)}) "
        f"THEN {TENANT_COLUMN} ELSE '' END"
        if own
        else "''"
    )
    key_list = ", ".join(quote(k) for k in keys)
    findings = _ambiguous(con, scope_sql, key_list, keys, name)
    on = " AND ".join([f"j.{_SCOPE} = b.{_SCOPE}", *(f"j.{quote(k)} = b.{quote(k)}" for k in keys)])
    # Where each joined value came from, so a finding about it cites that file's line.
    origin = origin_columns(name)
    picked = ", ".join(
        [
            *(f"j.{quote(c)}" for c in columns),
            f"j.{SOURCE_COLUMN} AS {quote(origin[0])}",
            f"j.{ROW_COLUMN} AS {quote(origin[1])}",
        ]
    )
    joined = con.sql(
        f"SELECT b.* EXCLUDE ({_SCOPE}), {picked} "
        f"FROM (SELECT *, {scope_sql} AS {_SCOPE} FROM base) b "
        f"LEFT JOIN (SELECT * FROM j QUALIFY row_number() OVER "
        f"(PARTITION BY {_SCOPE}, {key_list} ORDER BY {ROW_COLUMN}) = 1) j ON {on}"
    ).to_arrow_table()
    con.close()
    return joined, findings


def _ambiguous(
    con: duckdb.DuckDBPyConnection, scope_sql: str, key_list: str, keys: Sequence[str], name: str
) -> list[Finding]:
    """A duplicates error for each tenant whose join keys match several rows of the source."""
    # Key values are cells of the file: fetched apart and excerpted; the rows cited per value
    # are capped (one value may repeat in thousands of rows).
    key_values = ", ".join(f"CAST({quote(k)} AS VARCHAR)" for k in keys)
    rows = fetch_all(
        con,
        f"WITH d AS (SELECT {_SCOPE}, {key_list}, count(*) AS n, "
        f"list({SOURCE_COLUMN} || ' ' || {ROW_COLUMN} ORDER BY {ROW_COLUMN})[1:3] AS w, "
        f"min({ROW_COLUMN}) AS first_row "
        f"FROM j GROUP BY ALL HAVING count(*) > 1), "
        f"u AS (SELECT DISTINCT {TENANT_COLUMN}, {scope_sql} AS {_SCOPE}, {key_list} FROM base) "
        f"SELECT u.{TENANT_COLUMN}, count(*), "
        f"arg_min([{key_values}], d.first_row, {MAX_EXAMPLES}), "
        f"arg_min(d.w, d.first_row, {MAX_EXAMPLES}), arg_min(d.n, d.first_row, {MAX_EXAMPLES}) "
        f"FROM u JOIN d USING ({_SCOPE}, {key_list}) GROUP BY ALL ORDER BY 1",
    )
    key_names = ", ".join(keys)
    findings = []
    for tenant, count, values, places, repeats in rows:
        examples = tuple(
            ", ".join(f"{k}={excerpt(v)}" for k, v in zip(keys, value, strict=True))
            + f" ({listing(where, n, limit=3, sep=' and ')})"
            for value, where, n in zip(values, places, repeats, strict=True)
        )
        findings.append(
            Finding(
                tenant=tenant,
                check="duplicates",
                severity="error",
                column=key_names,
                count=int(count),
                message=(
                    f"tenant {tenant}: source '{name}' has several rows for {count:,} value(s) "
                    f"of ({key_names}) this tenant joins on, e.g. "
                    f"{listing(examples, count, each=300)}. The join is ambiguous: keep one row "
                    f"per ({key_names}) in that source"
                ),
                examples=examples,
            )
        )
    return findings
