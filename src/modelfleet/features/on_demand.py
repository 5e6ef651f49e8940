"""On-demand features: SQL expressions over request values and retrieved features.

They are computed after the views are joined, offline inside the retrieval query and online over
the looked-up rows, with the same DuckDB expression, so both paths agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from modelfleet.config.feature_blocks import OnDemandFeatureSpec
from modelfleet.errors import FeatureError
from modelfleet.features.sources import quote


def check_on_demand(
    con: duckdb.DuckDBPyConnection, sql: str, on_demand: Sequence[OnDemandFeatureSpec]
) -> None:
    """Bind each expression against the joined columns; a bad one names itself in the error."""
    for feature in on_demand:
        try:
            con.sql(f"DESCRIBE SELECT ({feature.expr}) FROM ({sql}) AS joined").fetchall()
        except duckdb.Error as exc:
            text = str(exc).strip().splitlines()[0]
            raise FeatureError(
                f"on-demand feature {feature.name!r}: expr {feature.expr!r} is not valid over "
                f"the request and feature columns: {text}"
            ) from exc


def apply_on_demand(table: pa.Table, on_demand: Sequence[OnDemandFeatureSpec]) -> pa.Table:
    """The table with each on-demand feature appended, computed by DuckDB."""
    extra = ", ".join(f"({f.expr}) AS {quote(f.name)}" for f in on_demand)
    con = duckdb.connect()
    try:
        con.register("request", table)
        check_on_demand(con, "SELECT * FROM request", on_demand)
        return con.sql(f"SELECT *, {extra} FROM request").to_arrow_table()
    finally:
        con.close()
