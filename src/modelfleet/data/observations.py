"""Assemble the observation rows of all selected tenants from shared and tenant-own sources.

Shared rows are kept for selected tenants that have no observations source of their own. Rows
without a complete key, or whose key does not make a valid tenant id, cannot belong to any tenant:
they are dropped and reported as fleet-level findings. Rows in a tenant's own file whose key names
another tenant are dropped with a warning for that tenant.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.spec import SchemaSpec
from modelfleet.data.canonical import (
    ARROW_TYPES,
    MAX_EXAMPLES,
    ROW_COLUMN,
    SOURCE_COLUMN,
    TENANT_COLUMN,
    Finding,
    canonical_types,
)
from modelfleet.data.engine import connect, fetch_one, quote
from modelfleet.data.mapping import MappedSource
from modelfleet.data.plan import SourcePlan
from modelfleet.quoting import excerpt, listing
from modelfleet.tenant_ids import CHARS_PATTERN, RULE, sql_is_tenant_id

_VALID_CHARS = f"^{CHARS_PATTERN}$"
_PATH_STEPS = pa.array([".", ".."], pa.string())


def _valid_ids(ids: pa.Array) -> pa.Array:
    """Per id, whether it is a tenant id (:mod:`modelfleet.tenant_ids`), vectorised."""
    text = ids.cast(pa.string())
    steps = pc.is_in(text, value_set=_PATH_STEPS)
    return pc.and_(pc.match_substring_regex(text, _VALID_CHARS), pc.invert(steps))


@dataclass(frozen=True)
class Observations:
    """All observation rows of the selected tenants, in one canonical table."""

    table: pa.Table  # _tenant, key, timestamp, target, declared columns found, _source, _row
    columns: tuple[str, ...]  # declared columns that came with the observations
    findings: tuple[Finding, ...]


def assemble(
    shared: Sequence[MappedSource],
    own: Mapping[str, Sequence[MappedSource]],
    plan: SourcePlan,
    schema: SchemaSpec,
    failed: Collection[str],
) -> Observations:
    """Select, clean and stack observation rows; ``own`` holds tenants' own observation sources."""
    findings: list[Finding] = []
    skip = pa.array(sorted({*own, *failed, *plan.exclude}), pa.string())
    parts: list[pa.Table] = []
    for mapped in shared:
        findings.extend(_keyless_rows(mapped, schema, check_ids=plan.include is None))
        tenant = mapped.table[TENANT_COLUMN]
        # Ids are checked once per distinct tenant, not once per row.
        ids = pc.unique(tenant).drop_null()
        invalid = ids.filter(pc.invert(_valid_ids(ids)))
        dropped = pa.concat_arrays([skip, invalid.cast(pa.string())])
        keep = pc.and_(pc.is_valid(tenant), pc.invert(pc.is_in(tenant, value_set=dropped)))
        if plan.include is not None:
            chosen = pa.array(sorted(plan.include), pa.string())
            keep = pc.and_(keep, pc.is_in(tenant, value_set=chosen))
        parts.append(mapped.table.filter(keep.fill_null(False)))
    for tenant, sources in own.items():
        if tenant in failed:
            continue
        for mapped in sources:
            mine = pc.equal(mapped.table[TENANT_COLUMN], tenant).fill_null(False)
            foreign = mapped.table.num_rows - pc.sum(mine.cast(pa.int64())).as_py()
            if foreign:
                findings.append(_foreign_rows(mapped, tenant, foreign, schema))
            parts.append(mapped.table.filter(mine))
    types = canonical_types(schema)
    present = {c for part in parts for c in part.column_names}
    declared = tuple(c for c in schema.columns if c in present)
    order = [TENANT_COLUMN, *schema.tenant_key, schema.timestamp, schema.target, *declared]
    fields = [pa.field(TENANT_COLUMN, pa.string())]
    fields += [pa.field(c, ARROW_TYPES[types[c]]) for c in order[1:]]
    fields += [pa.field(SOURCE_COLUMN, pa.string()), pa.field(ROW_COLUMN, pa.int64())]
    target = pa.schema(fields)
    aligned = [_align(part, target) for part in parts]
    table = pa.concat_tables(aligned) if aligned else target.empty_table()
    return Observations(table, declared, tuple(findings))


def _align(table: pa.Table, target: pa.Schema) -> pa.Table:
    """Project ``table`` onto ``target``'s columns, adding typed nulls for missing ones."""
    columns = [
        table[field.name].cast(field.type)
        if field.name in table.column_names
        else pa.nulls(table.num_rows, field.type)
        for field in target
    ]
    return pa.Table.from_arrays(columns, schema=target)


def _keyless_rows(mapped: MappedSource, schema: SchemaSpec, *, check_ids: bool) -> list[Finding]:
    """Fleet-level findings for rows without a complete key or with an unusable tenant id."""
    tenant = mapped.table[TENANT_COLUMN]
    invalid = 0
    if check_ids:
        ids = pc.unique(tenant).drop_null()
        invalid = len(ids) - (pc.sum(_valid_ids(ids).cast(pa.int64())).as_py() or 0)
    if not tenant.null_count and not invalid:
        return []
    con = connect()
    con.register("m", mapped.table)
    findings: list[Finding] = []
    for column in schema.tenant_key:
        count, examples = fetch_one(
            con,
            f"SELECT count(*), arg_min({SOURCE_COLUMN} || ' ' || {ROW_COLUMN}, {ROW_COLUMN}, "
            f"{MAX_EXAMPLES}) FROM m WHERE {quote(column)} IS NULL",
        )
        if count:
            findings.append(
                Finding(
                    tenant=None,
                    check="nulls",
                    severity="error",
                    column=column,
                    count=int(count),
                    message=(
                        f"{mapped.label}: {count} row(s) have no value for the tenant key "
                        f"'{column}', e.g. {'; '.join(examples)}. They belong to no tenant and "
                        "were dropped: fill the key at the source"
                    ),
                    examples=tuple(examples),
                )
            )
    if invalid:
        count, examples = fetch_one(
            con,
            f"SELECT count(*), list(t ORDER BY t)[1:{MAX_EXAMPLES}] FROM (SELECT DISTINCT "
            f"{TENANT_COLUMN} AS t FROM m WHERE NOT {sql_is_tenant_id(TENANT_COLUMN)})",
        )
        shown = listing(examples, count, sep=", ", quoted=True)
        findings.append(
            Finding(
                tenant=None,
                check="tenant_id",
                severity="error",
                column=", ".join(schema.tenant_key),
                count=int(count),
                message=(
                    f"{mapped.label}: {count} tenant id(s) are not valid, e.g. {shown}; a tenant "
                    f"id is {RULE}. Their rows were dropped and each counts as a failed tenant: "
                    "change those key values at the source (or map another key column)"
                ),
                examples=tuple(examples),
            )
        )
    con.close()
    return findings


def _foreign_rows(mapped: MappedSource, tenant: str, count: int, schema: SchemaSpec) -> Finding:
    con = connect()
    con.register("m", mapped.table)
    # The other key is a cell of the file: fetched apart from where it is, and excerpted.
    places, keys = fetch_one(
        con,
        f"SELECT arg_min({SOURCE_COLUMN} || ' ' || {ROW_COLUMN}, {ROW_COLUMN}, {MAX_EXAMPLES}), "
        f"arg_min(coalesce({TENANT_COLUMN}, ''), {ROW_COLUMN}, {MAX_EXAMPLES}) FROM m "
        f"WHERE {TENANT_COLUMN} IS DISTINCT FROM ?",
        [tenant],
    )
    con.close()
    cited = tuple(
        f"{where}: {excerpt(key) if key else 'no key'}"
        for where, key in zip(places or (), keys or (), strict=True)
    )
    return Finding(
        tenant=tenant,
        check="source",
        severity="warning",
        column=", ".join(schema.tenant_key),
        count=count,
        message=(
            f"tenant {tenant}: {count} row(s) of its own {mapped.label} have a key for another "
            f"tenant (or none), e.g. {'; '.join(cited)}; they were ignored. A tenant's own source "
            "should hold only its rows (or drop the key column from its mapping)"
        ),
        examples=cited,
    )
