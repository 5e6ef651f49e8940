"""Where a feature view's rows come from, as a DuckDB relation that is scanned, never loaded.

Files (Parquet, CSV, globs) are read by DuckDB's streaming readers; in-memory Arrow tables are
registered on the connection. Every relation carries ``__mf_file`` and ``__mf_seq`` (the row's
file and position in it) so ties between rows of one entity and event time resolve to the last
row written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from modelfleet.config.feature_blocks import FeatureViewSpec, FileSourceSpec
from modelfleet.errors import FeatureError

SEQ_COLUMN = "__mf_seq"
FILE_COLUMN = "__mf_file"
INTERNAL_COLUMNS = frozenset({SEQ_COLUMN, FILE_COLUMN})
# Later rows win a tie between rows of one entity and event time.
TIE_ORDER = f"{FILE_COLUMN} DESC, {SEQ_COLUMN} DESC"


def quote(name: str) -> str:
    """A DuckDB identifier, safe for any name a user can write."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class SourceColumns:
    """The column names and DuckDB types of a view's source."""

    types: Mapping[str, str]

    def require(self, view: str, field: str, column: str) -> str:
        """The column's type, or an error naming the view, the field and the known columns."""
        if column not in self.types:
            raise FeatureError(
                f"feature view {view!r}: {field} refers to column {column!r}, which its source "
                f"does not have (columns: {sorted(self.types)})"
            )
        return self.types[column]


def with_sequence(table: pa.Table) -> pa.Table:
    """The table plus its row positions, for tie-breaking (one cheap column, no copy of rows)."""
    n = table.num_rows
    if SEQ_COLUMN not in table.column_names:
        table = table.append_column(SEQ_COLUMN, pa.array(np.arange(n, dtype=np.int64)))
    if FILE_COLUMN not in table.column_names:
        table = table.append_column(FILE_COLUMN, pa.repeat("", n))
    return table


def source_sql(
    con: duckdb.DuckDBPyConnection,
    view: FeatureViewSpec,
    tables: Mapping[str, pa.Table],
    base_dir: Path,
) -> str:
    """SQL naming the view's source rows (with ``__mf_seq``); registers in-memory tables."""
    source = view.source
    if isinstance(source, FileSourceSpec):
        return _file_sql(view.name, source, base_dir)
    table = tables.get(source)
    if table is None:
        raise FeatureError(
            f"feature view {view.name!r}: source {source!r} is not available here; known "
            f"in-memory sources: {sorted(tables) or 'none'} (give the view a file source, or "
            "pass the table to FeatureStore(tables={...}))"
        )
    relation = f"__mf_src_{view.name}"
    con.register(relation, with_sequence(table))
    return quote(relation)


def _file_sql(view: str, source: FileSourceSpec, base_dir: Path) -> str:
    path = Path(source.path).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    text = str(path)
    if not any(ch in text for ch in "*?[") and not path.exists():
        raise FeatureError(
            f"feature view {view!r}: source file {text} does not exist; fix source.path "
            "(relative paths start at the fleet spec's folder)"
        )
    if source.file_format == "parquet":
        # file_row_number restarts in each file, so ties order by file name, then row.
        return (
            f"(SELECT * EXCLUDE (filename, file_row_number), filename AS {FILE_COLUMN}, "
            f"file_row_number AS {SEQ_COLUMN} FROM read_parquet({literal(text)}, "
            "filename = true, file_row_number = true))"
        )
    # The CSV reader has no file_row_number; with insertion order preserved (DuckDB's
    # default) row_number() over the scan counts rows in file order.
    return (
        f"(SELECT * EXCLUDE (filename), filename AS {FILE_COLUMN}, "
        f"row_number() OVER () AS {SEQ_COLUMN} FROM read_csv({literal(text)}, filename = true))"
    )


def describe(con: duckdb.DuckDBPyConnection, sql: str, view: str) -> SourceColumns:
    """Column names and types of a source without reading its rows."""
    try:
        rows = con.sql(f"DESCRIBE SELECT * FROM {sql}").fetchall()
    except duckdb.Error as exc:
        raise FeatureError(
            f"feature view {view!r}: cannot read its source ({_first_line(exc)})"
        ) from exc
    return SourceColumns(types={str(r[0]): str(r[1]) for r in rows if r[0] not in INTERNAL_COLUMNS})


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
