"""Online lookups: the latest materialized values of each entity, aged by the view's TTL.

The result is built to match offline retrieval for the same entities at time ``now``: the same
value types (a view's DuckDB types mapped to Arrow), and values older than the TTL are null, as
the ``ASOF`` join makes them offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from modelfleet.errors import FeatureError
from modelfleet.features.clock import MICROSECOND
from modelfleet.features.compile import CompiledView, key_kind
from modelfleet.features.materialize import KEY_SEPARATOR
from modelfleet.features.offline import ViewSelection
from modelfleet.features.online.base import OnlineStore, ViewKey

_ARROW_TYPES: dict[str, pa.DataType] = {
    "TINYINT": pa.int8(),
    "SMALLINT": pa.int16(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "UTINYINT": pa.uint8(),
    "USMALLINT": pa.uint16(),
    "UINTEGER": pa.uint32(),
    "UBIGINT": pa.float64(),
    "HUGEINT": pa.float64(),
    "FLOAT": pa.float32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    "DATE": pa.date32(),
}


def arrow_type(duck_type: str) -> pa.DataType:
    """The Arrow type online values of a DuckDB-typed feature come back as."""
    if duck_type.startswith("DECIMAL"):
        return pa.float64()
    if duck_type.startswith("TIMESTAMP") and duck_type != "TIMESTAMP WITH TIME ZONE":
        return pa.timestamp("us")
    return _ARROW_TYPES.get(duck_type, pa.null())


def _key_text(value: object, kind: str | None, column: str, view: str) -> str:
    # Fast paths first: a serving request usually carries exactly the key's own type.
    if kind == "int" and type(value) is int:
        return str(value)
    if kind == "str" and type(value) is str:
        return value
    if value is None:
        raise FeatureError(f"feature view {view!r}: entity key {column!r} is null in the request")
    if kind != "int":
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int | np.integer | str | float):
        raise FeatureError(
            f"feature view {view!r}: entity key {column!r} must be an integer, got {value!r}"
        )
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FeatureError(
            f"feature view {view!r}: entity key {column!r} must be an integer, got {value!r}"
        ) from None
    if isinstance(value, float) and number != value:
        raise FeatureError(
            f"feature view {view!r}: entity key {column!r} must be an integer, got {value!r}"
        )
    return str(number)


def entity_keys(columns: Mapping[str, Sequence[object]], compiled: CompiledView) -> list[str]:
    """The online store keys of the request's rows for one view."""
    view = compiled.view
    missing = [k for k in view.entities if k not in columns]
    if missing:
        raise FeatureError(
            f"{compiled.owner} is keyed by {missing}, which the request lacks "
            f"(it gives {sorted(columns)})"
        )
    parts = [
        [_key_text(v, key_kind(compiled.key_types[k]), k, view.name) for v in columns[k]]
        for k in view.entities
    ]
    if len(parts) == 1:
        return parts[0]
    return [KEY_SEPARATOR.join(items) for items in zip(*parts, strict=True)]


def read_selection(
    store: OnlineStore,
    selection: ViewSelection,
    keys: Sequence[str],
    now_micros: int,
) -> list[pa.Array]:
    """One Arrow array per selected feature, in the request's row order."""
    compiled = selection.compiled
    view = compiled.view
    rows = store.read(ViewKey(view.name, view.version), selection.features, keys)
    ttl = view.ttl
    oldest = None if ttl is None else now_micros - ttl // MICROSECOND
    width = len(selection.features)
    empty: tuple[None, ...] = (None,) * width
    values = [
        empty if row is None or (oldest is not None and row.event_ts < oldest) else row.values
        for row in rows
    ]
    # One transpose instead of a per-feature pass over the rows.
    columns = list(zip(*values, strict=True)) if values else [()] * width
    return [
        _typed(column, compiled.output_types[feature])
        for feature, column in zip(selection.features, columns, strict=True)
    ]


def _typed(column: Sequence[object], duck_type: str) -> pa.Array:
    target = arrow_type(duck_type)
    if pa.types.is_timestamp(target):
        return pa.array(list(column), pa.int64()).cast(target)
    if pa.types.is_date32(target):
        return pa.array(list(column), pa.int64()).cast(pa.timestamp("us")).cast(pa.date32())
    # pyarrow converts a list several times faster than a tuple.
    return pa.array(list(column), target if not pa.types.is_null(target) else None)
