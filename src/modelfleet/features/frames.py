"""Entity frames and online requests at the feature store's edge: pandas, Arrow or Parquet in,
checked Arrow out, and the frame's own column types restored on the way back."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from modelfleet.errors import FeatureError

# A pyarrow Table, a Parquet path, or a pandas DataFrame (Any: converted at the edge).
EntityFrame: TypeAlias = Any


def restore_types(table: pa.Table, frame: pa.Table | str | Path) -> pa.Table:
    """Give the entity frame's columns back their own types (e.g. a time zone DuckDB renamed)."""
    schema = pq.read_schema(frame) if isinstance(frame, str | Path) else frame.schema
    for index, name in enumerate(table.column_names):
        if name not in schema.names:
            continue
        wanted = schema.field(name).type
        if table.schema.field(index).type != wanted:
            # Keep DuckDB's type rather than fail a finished retrieval.
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                table = table.set_column(index, name, pc.cast(table[name], wanted))
    return table


def as_entities(entities: EntityFrame) -> pa.Table | str | Path:
    """The entity frame as Arrow (or a Parquet path); pandas is converted at this edge."""
    if isinstance(entities, pa.Table | str | Path):
        return entities
    import pandas as pd  # only at the edge, for callers who hold a DataFrame

    if not isinstance(entities, pd.DataFrame):
        raise FeatureError(
            "entity frame must be a pyarrow Table, a pandas DataFrame or a Parquet path, "
            f"not {type(entities).__name__}"
        )
    for name in entities.columns:
        if entities[name].dtype.kind == "O":  # only untyped columns can mix datetimes
            _refuse_mixed_zones(str(name), entities[name])
    try:
        return pa.Table.from_pandas(entities, preserve_index=False)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        raise FeatureError(f"entity frame could not be converted to Arrow: {exc}") from exc


def _refuse_mixed_zones(name: str, column: Any) -> None:
    """An object column holding naive and aware datetimes has no one meaning: refuse it."""
    values = column.dropna()
    stamps = values[values.map(lambda v: isinstance(v, datetime))]
    if stamps.empty:
        return
    aware = stamps.map(lambda v: v.tzinfo is not None)
    if aware.any() and not aware.all():
        raise FeatureError(
            f"entity frame column {name!r} mixes time-zone aware and naive datetimes; make "
            "them all aware (UTC) or all naive"
        )


def request_columns(
    entities: Mapping[str, Sequence[object]] | pa.Table,
) -> dict[str, list[object]]:
    if isinstance(entities, pa.Table):
        return {name: entities[name].to_pylist() for name in entities.column_names}
    if not isinstance(entities, Mapping):
        raise FeatureError(
            "entities must map column names to lists of values (e.g. {'store': [1, 2]}) "
            f"or be a pyarrow Table, got {type(entities).__name__}"
        )
    columns: dict[str, list[object]] = {}
    for name, values in entities.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            raise FeatureError(
                f"entity column {name!r} must be a list of values, got {type(values).__name__}"
            )
        columns[str(name)] = list(values)
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise FeatureError(
            f"entity columns have different lengths {sorted(lengths)}; give one value per "
            "row in every column"
        )
    return columns
