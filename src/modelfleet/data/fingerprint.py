"""Content fingerprints of each tenant's canonical rows, for lineage and idempotent reruns.

A fingerprint is the SHA-256 of the column names and types followed by the tenant's rows as text,
sorted, so it depends on content only: not on file order, source format or row order. Values are
rendered by DuckDB's casts to text, which are exact for integers, dates and strings and
shortest-round-trip for floats.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.data.engine import connect, fetch_all, literal, quote

_NULL = "\\N"
_FIELD_SEPARATOR = "chr(31)"  # ASCII unit separator: does not occur in real CSV values


def fingerprints(table: pa.Table, columns: Sequence[str], timestamp: str) -> dict[str, str]:
    """Tenant -> sha256 hex of its rows over ``columns`` (which must exclude the tenant)."""
    if table.num_rows == 0:
        return {}
    header = ",".join(f"{c}:{table.schema.field(c).type}" for c in columns) + "\n"
    fields = ", ".join(f"coalesce(CAST({quote(c)} AS VARCHAR), {literal(_NULL)})" for c in columns)
    con = connect()
    con.register("t", table)
    rows = fetch_all(
        con,
        f"SELECT {TENANT_COLUMN}, sha256({literal(header)} || "
        # Ordering by timestamp first is cheaper than by text alone; the text breaks ties.
        f"string_agg(r, chr(10) ORDER BY ts, r)) FROM "
        f"(SELECT {TENANT_COLUMN}, {quote(timestamp)} AS ts, "
        f"concat_ws({_FIELD_SEPARATOR}, {fields}) AS r FROM t) "
        "GROUP BY ALL",
    )
    con.close()
    return {str(tenant): str(digest) for tenant, digest in rows}
