"""The canonical data model every source is mapped into, and the records ingest hands back.

Canonical column names come from the fleet schema. Names starting with ``_`` belong to modelfleet:
``_tenant`` is public (the tenant id); ``_source`` and ``_row`` are private bookkeeping that lets
findings point at the file and line of an offending value, and are dropped before data leaves
:func:`modelfleet.data.ingest.load_fleet_data`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.spec import ColumnType, Frequency, SchemaSpec
from modelfleet.errors import ConfigError

TENANT_COLUMN = "_tenant"
# Private: where a row came from ("sales.csv line" / "source 'db' row") and its number there.
SOURCE_COLUMN = "_source"
ROW_COLUMN = "_row"

# Multi-column keys are joined with "-" ("12-3"); the id must be safe in paths, URLs and model
# names, so anything else is rejected (not silently rewritten: two ids could collide).
KEY_SEPARATOR = "-"

Severity = Literal["error", "warning"]
MAX_EXAMPLES = 5

# DuckDB type of each canonical column type; DuckDB's Arrow export gives the Arrow types
# documented on FleetData (BIGINT -> int64, TIMESTAMP -> timestamp[us], DATE -> date32, ...).
DUCK_TYPES: Mapping[ColumnType, str] = {
    "int": "BIGINT",
    "float": "DOUBLE",
    "str": "VARCHAR",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}

ARROW_TYPES: Mapping[ColumnType, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


@dataclass(frozen=True)
class Finding:
    """One data-quality observation: what check, for which tenant and column, how often."""

    tenant: str | None  # None = fleet-level (e.g. a shared source)
    check: str  # required_columns, types, nulls, range, duplicates, future_timestamps, history,
    #             frequency, source, tenant_id
    severity: Severity
    column: str | None
    count: int
    message: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class FleetData:
    """Canonical, validated data of a fleet: one Arrow table for all usable tenants."""

    table: pa.Table
    frequency: Frequency
    findings: tuple[Finding, ...]
    failed: Mapping[str, str]
    fingerprints: Mapping[str, str]
    tenants: tuple[str, ...]

    def tenant_table(self, tenant: str) -> pa.Table:
        """The rows of one tenant (already sorted by timestamp)."""
        return self.table.filter(pc.equal(self.table[TENANT_COLUMN], tenant))

    def findings_for(self, tenant: str | None) -> tuple[Finding, ...]:
        """Findings about one tenant (``None``: fleet-level findings)."""
        return tuple(f for f in self.findings if f.tenant == tenant)


def canonical_types(schema: SchemaSpec) -> dict[str, ColumnType]:
    """Canonical column -> type, in canonical order: key, timestamp, target, declared columns."""
    reserved = {*schema.tenant_key, schema.timestamp, schema.target}
    clash = sorted(reserved & set(schema.columns))
    if clash:
        raise ConfigError(
            f"schema.columns {clash} repeat the tenant key, timestamp or target; those are typed "
            "by modelfleet (key: str, timestamp: timestamp, target: float): remove them there"
        )
    types: dict[str, ColumnType] = dict.fromkeys(schema.tenant_key, "str")
    types[schema.timestamp] = "timestamp"
    types[schema.target] = "float"
    types.update(schema.columns)
    return types
