"""On-demand features: SQL expressions over request values and retrieved features.

They are computed after the views are joined, offline inside the retrieval query and online over
the looked-up rows, with the same DuckDB expression, so both paths agree. Expressions always
name features by their bare names, also when the output uses full ``view__feature`` names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb
import pyarrow as pa

from modelfleet.config.feature_blocks import OnDemandFeatureSpec
from modelfleet.errors import FeatureError
from modelfleet.features.sources import quote


def open_duckdb(
    config: Mapping[str, str | bool | int | float | list[str]] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose session time zone is UTC, whatever the machine's zone is.

    (Set after connecting: as a connect option it would need the ICU extension autoloaded.)
    """
    try:
        con = duckdb.connect(config=dict(config or {}))
        con.execute("SET TimeZone = 'UTC'")
    except duckdb.Error as exc:
        raise FeatureError(f"cannot start DuckDB with {dict(config or {})}: {exc}") from exc
    return con


def on_demand_sql(
    relation: str, on_demand: Sequence[OnDemandFeatureSpec], aliases: Mapping[str, str]
) -> str:
    """SQL adding each on-demand feature to ``relation``'s rows.

    ``aliases`` maps bare feature names to the (full) output columns holding them; the bare
    names exist only while the expressions run.
    """
    extra = ", ".join(f"({f.expr}) AS {quote(f.name)}" for f in on_demand)
    if not aliases:
        return f"SELECT *, {extra} FROM {relation} AS joined"
    named = ", ".join(f"{quote(column)} AS {quote(bare)}" for bare, column in aliases.items())
    hidden = ", ".join(quote(bare) for bare in aliases)
    return (
        f"SELECT * EXCLUDE ({hidden}) FROM (SELECT *, {extra} FROM "
        f"(SELECT *, {named} FROM {relation} AS joined) AS named) AS computed"
    )


def bare_aliases(pairs: Sequence[tuple[str, str]], taken: Sequence[str]) -> dict[str, str]:
    """Bare name -> output column for renamed features whose bare name is unambiguous."""
    counts: dict[str, int] = {}
    for bare, _ in pairs:
        counts[bare] = counts.get(bare, 0) + 1
    blocked = set(taken)
    return {
        bare: column
        for bare, column in pairs
        if bare != column and counts[bare] == 1 and bare not in blocked
    }


def check_on_demand(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    on_demand: Sequence[OnDemandFeatureSpec],
    aliases: Mapping[str, str],
) -> None:
    """Bind each expression against the joined columns; a bad one names itself in the error."""
    for feature in on_demand:
        try:
            con.sql(f"DESCRIBE {on_demand_sql(relation, [feature], aliases)}").fetchall()
        except duckdb.Error as exc:
            text = str(exc).strip().splitlines()[0]
            raise FeatureError(
                f"on-demand feature {feature.name!r}: expr {feature.expr!r} is not valid over "
                f"the request and feature columns: {text}"
            ) from exc


def apply_on_demand(
    table: pa.Table, on_demand: Sequence[OnDemandFeatureSpec], aliases: Mapping[str, str]
) -> pa.Table:
    """The table with each on-demand feature appended, computed by DuckDB."""
    con = open_duckdb()
    try:
        con.register("request", table)
        check_on_demand(con, "request", on_demand, aliases)
        return con.sql(on_demand_sql("request", on_demand, aliases)).to_arrow_table()
    finally:
        con.close()
