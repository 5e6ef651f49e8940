"""Map one raw source onto the canonical schema: rename, check required columns, convert types.

Renaming follows ``source.columns`` (canonical name -> column in the source); unmapped canonical
columns are looked up under their own name. Columns that are not canonical are dropped. Cells that
fail conversion become NULL and are reported as ``types`` findings with file lines as examples.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from modelfleet.config.spec import ColumnType, SchemaSpec, SourceSpec
from modelfleet.data.canonical import (
    KEY_SEPARATOR,
    MAX_EXAMPLES,
    ROW_COLUMN,
    SOURCE_COLUMN,
    TENANT_COLUMN,
    Finding,
    canonical_types,
)
from modelfleet.data.coerce import convert, describe
from modelfleet.data.engine import connect, fetch_all, literal, quote
from modelfleet.data.sources import RawSource, delimiter_hint
from modelfleet.errors import ConfigError, SourceError
from modelfleet.quoting import excerpt, listing, name_list

_ROW_INDEX = "__modelfleet_row"


@dataclass(frozen=True)
class MappedSource:
    """A source in canonical columns, plus what went wrong converting its cells."""

    name: str
    label: str
    table: pa.Table  # [_tenant], canonical columns present, _source, _row
    columns: tuple[str, ...]  # canonical columns present (including filled key columns)
    findings: tuple[Finding, ...]
    bad_cells: Mapping[tuple[str, str], int]  # (tenant, column) -> cells that failed conversion


def map_source(
    raw: RawSource,
    source: SourceSpec,
    schema: SchemaSpec,
    *,
    required: Sequence[str],
    key_values: Mapping[str, str] | None = None,
    tenant: str | None = None,
) -> MappedSource:
    """Rename and convert ``raw`` into canonical columns.

    ``key_values`` fill key columns the source lacks (a tenant's own file); ``tenant`` attributes
    conversion findings to that tenant instead of each row's key.
    """
    types = canonical_types(schema)
    found = _resolve_names(raw, source, types, required, key_values or {})
    fill = {
        k: v for k, v in (key_values or {}).items() if k in schema.tenant_key and k not in found
    }
    con = connect()
    indexed = raw.table.append_column(_ROW_INDEX, pa.array(np.arange(raw.table.num_rows)))
    con.register("raw", indexed)
    selects: list[str] = []
    failures: dict[str, str] = {}  # canonical column -> SQL text of the bad cell, else NULL
    for canonical, kind in types.items():
        if canonical in fill:
            selects.append(f"{literal(fill[canonical])} AS {quote(canonical)}")
        elif canonical in found:
            ref = quote(found[canonical])
            conversion = convert(
                ref, raw.table.schema.field(found[canonical]).type, kind, source.csv
            )
            selects.append(f"{conversion.expr} AS {quote(canonical)}")
            if conversion.failed is not None:
                failures[canonical] = (
                    f"CASE WHEN {conversion.failed} THEN CAST({ref} AS VARCHAR) END"
                )
    present = tuple(c for c in types if c in fill or c in found)
    keyed = all(k in present for k in schema.tenant_key)
    selects.append(f"{literal(raw.where)} AS {SOURCE_COLUMN}")
    selects.append(f"{quote(_ROW_INDEX)} + {raw.first_row} AS {ROW_COLUMN}")
    selects.extend(f"{sql} AS {quote('__bad_' + c)}" for c, sql in failures.items())
    tenant_sql = _tenant_expr(schema.tenant_key) if keyed else "CAST(NULL AS VARCHAR)"
    # One pass into Arrow; the bad-cell columns are only queried again when they hold anything.
    converted = con.sql(
        f"SELECT {tenant_sql} AS {TENANT_COLUMN}, * FROM (SELECT {', '.join(selects)} FROM raw)"
    ).to_arrow_table()
    failed = {
        c: sql
        for c, sql in failures.items()
        if converted["__bad_" + c].null_count < converted.num_rows
    }
    con.register("m", converted)
    findings, bad_cells = _conversion_findings(con, raw, source, types, found, failed, tenant)
    con.close()
    keep = ([TENANT_COLUMN] if keyed else []) + [*present, SOURCE_COLUMN, ROW_COLUMN]
    return MappedSource(
        source.name, raw.label, converted.select(keep), present, tuple(findings), bad_cells
    )


def _tenant_expr(key: Sequence[str]) -> str:
    """The tenant id: key values joined with '-', NULL when any part is missing."""
    parts = [quote(k) for k in key]
    if len(parts) == 1:
        return parts[0]
    any_null = " OR ".join(f"{p} IS NULL" for p in parts)
    joined = f"concat_ws({literal(KEY_SEPARATOR)}, {', '.join(parts)})"
    return f"CASE WHEN {any_null} THEN NULL ELSE {joined} END"


def _resolve_names(
    raw: RawSource,
    source: SourceSpec,
    types: Mapping[str, ColumnType],
    required: Sequence[str],
    key_values: Mapping[str, str],
) -> dict[str, str]:
    """Canonical column -> source column for every canonical column the source has."""
    unknown = sorted(set(source.columns) - set(types))
    if unknown:
        raise ConfigError(
            f"{raw.label}: sources[{source.name}].columns maps "
            f"{name_list(unknown)}, which are not columns "
            f"of the fleet schema ({', '.join(types)}); declare them under schema.columns or "
            "remove the mapping"
        )
    available = raw.table.column_names
    found: dict[str, str] = {}
    problems: list[str] = []
    for canonical in types:
        name = source.columns.get(canonical, canonical)
        if name in available:
            found[canonical] = name
            continue
        if canonical in source.columns:
            problems.append(
                f"{excerpt(name)} (mapped to '{canonical}')" + _closest(name, available)
            )
        elif canonical in required and canonical not in key_values:
            problems.append(
                f"'{canonical}' (required; map it under sources[{source.name}].columns)"
                + _closest(name, available)
            )
    if problems:
        # A header may be a whole line of a wrong file: list a few names, each excerpted.
        shown = listing(available, limit=20, sep=", ", quoted=True)
        hint = delimiter_hint(raw.table, source.csv) if source.resolved_format == "csv" else ""
        raise SourceError(
            f"{raw.label}: missing column(s) {', '.join(problems)}. The source has columns: "
            f"{shown}.{hint}"
        )
    return found


def _closest(name: str, available: Sequence[str]) -> str:
    lowered = {a.lower(): a for a in available}
    match = lowered.get(name.lower()) or next(
        iter(difflib.get_close_matches(name, available, n=1, cutoff=0.75)), None
    )
    return f" (did you mean {excerpt(match)}?)" if match else ""


def _conversion_findings(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    source: SourceSpec,
    types: Mapping[str, ColumnType],
    found: Mapping[str, str],
    failures: Mapping[str, str],
    tenant: str | None,
) -> tuple[list[Finding], dict[tuple[str, str], int]]:
    """One finding per (tenant, column) with cells that did not convert, citing file lines.

    ``failures`` holds the columns that have bad cells; ``m`` holds the converted rows.
    """
    findings: list[Finding] = []
    bad_cells: dict[tuple[str, str], int] = {}
    if not failures:
        return findings, bad_cells
    owner = literal(tenant) if tenant is not None else TENANT_COLUMN
    for canonical in failures:
        bad = quote("__bad_" + canonical)
        rows = fetch_all(
            con,
            f"SELECT {owner} AS t, count({bad}) AS n, "
            # Where and what apart (both ordered by row, so aligned): the value is excerpted.
            f"arg_min(concat({SOURCE_COLUMN}, ' ', {ROW_COLUMN}), {ROW_COLUMN}, {MAX_EXAMPLES}), "
            f"arg_min({bad}, {ROW_COLUMN}, {MAX_EXAMPLES}) "
            f"FROM m WHERE {bad} IS NOT NULL GROUP BY ALL ORDER BY t NULLS FIRST",
        )
        wanted = describe(types[canonical], source.csv)
        column = f"'{canonical}'"
        if found[canonical] != canonical:
            column += f" (the source's {excerpt(found[canonical])})"
        for owner_id, count, places, values in rows:
            examples = [f"{p}: {excerpt(v)}" for p, v in zip(places, values, strict=True)]
            where = f"tenant {owner_id}: " if owner_id is not None else ""
            consequence = (
                "Fix the values at the source"
                if owner_id is not None
                else "They are treated as missing; fix the values at the source"
            )
            message = (
                f"{where}{count} value(s) of column {column} in {raw.label} are not {wanted}, "
                f"e.g. {'; '.join(examples)}. {consequence}"
            )
            findings.append(
                Finding(
                    tenant=owner_id,
                    check="types",
                    severity="error" if owner_id is not None else "warning",
                    column=canonical,
                    count=int(count),
                    message=message,
                    examples=tuple(examples),
                )
            )
            if owner_id is not None:
                bad_cells[(owner_id, canonical)] = int(count)
    return findings, bad_cells
