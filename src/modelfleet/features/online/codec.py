"""Arrow tables to online rows: the checks and conversions every online backend shares.

A write's table is validated and converted here once, so the in-memory, SQLite and Redis stores
accept and reject exactly the same input and give back exactly the same Python values. Each
feature column has a *kind* (``int``, ``float``, ``bool`` or ``str``) fixed by its first write;
NaN is stored as None (SQLite cannot hold NaN, and a missing float is what NaN means here).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.errors import FeatureError
from modelfleet.features.online.base import ENTITY_KEY_COLUMN, EVENT_TS_COLUMN, Scalar, ViewKey

Column = tuple[str, str]  # (feature name, kind)
KINDS = ("int", "float", "bool", "str")
ALLOWED_TYPES = "int8..int64, uint8..uint32, float16..float64, bool or string"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_T = TypeVar("_T")


def describe(view: ViewKey) -> str:
    """How messages name a view version."""
    return f"feature view {view.name!r} version {view.version!r}"


@dataclass(frozen=True)
class Batch:
    """A validated write: entity keys, event times and one value list per feature column."""

    columns: tuple[Column, ...]
    keys: list[str]
    event_ts: list[int]
    values: list[list[Scalar]]

    def rows(self) -> Iterator[tuple[str, int, tuple[Scalar, ...]]]:
        """(entity key, event time, values) per row, in table order."""
        for key, ts, *values in zip(self.keys, self.event_ts, *self.values, strict=True):
            yield key, ts, tuple(values)


def decode_table(view: ViewKey, table: pa.Table) -> Batch:
    """Check ``table`` against the online store conventions and convert it to Python values.

    Done once per write so every backend rejects the same tables with the same message.
    """
    names = list(table.column_names)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise FeatureError(
            f"cannot write {describe(view)}: the table has duplicate columns {duplicates}; "
            "give every feature a distinct name"
        )
    keys = _required(view, table, ENTITY_KEY_COLUMN, "str", "string entity key")
    stamps = _required(view, table, EVENT_TS_COLUMN, "int", "int64 event time in µs (UTC)")
    columns: list[Column] = []
    values: list[list[Scalar]] = []
    for name in names:
        if name in (ENTITY_KEY_COLUMN, EVENT_TS_COLUMN):
            continue
        if not name:
            raise FeatureError(f"cannot write {describe(view)}: a feature column has no name")
        array = _plain(table.column(name))
        kind = _kind(view, name, array.type)
        if kind == "float":
            array = pc.if_else(pc.is_nan(array), pa.scalar(None, array.type), array)
        columns.append((name, kind))
        values.append(array.to_pylist())
    return Batch(tuple(columns), keys, stamps, values)


def _required(view: ViewKey, table: pa.Table, name: str, kind: str, what: str) -> list[Any]:
    """The values of a required, non-null key or time column."""
    if name not in table.column_names:
        raise FeatureError(
            f"cannot write {describe(view)}: the table has no {name!r} column; "
            f"add one holding each row's {what}"
        )
    array = _plain(table.column(name))
    if _kind(view, name, array.type) != kind:
        raise FeatureError(
            f"cannot write {describe(view)}: column {name!r} has type {array.type}; "
            f"it must hold the {what}"
        )
    if array.null_count:
        raise FeatureError(
            f"cannot write {describe(view)}: column {name!r} has {array.null_count} null "
            f"value(s); every row needs its {what}"
        )
    result: list[Any] = array.to_pylist()
    return result


def _plain(array: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary-encoded columns decoded to their value type."""
    if pa.types.is_dictionary(array.type):
        return array.cast(array.type.value_type)
    return array


def _kind(view: ViewKey, name: str, dtype: pa.DataType) -> str:
    """The kind an Arrow type is stored as; FeatureError for types the online store cannot hold."""
    if pa.types.is_boolean(dtype):
        return "bool"
    if pa.types.is_integer(dtype) and not pa.types.is_uint64(dtype):
        return "int"
    if pa.types.is_floating(dtype):
        return "float"
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return "str"
    if hasattr(pa.types, "is_string_view") and pa.types.is_string_view(dtype):
        return "str"
    raise FeatureError(
        f"cannot write {describe(view)}: column {name!r} has type {dtype}, which the online "
        f"store cannot hold; cast it to one of: {ALLOWED_TYPES}"
    )


def conform(view: ViewKey, stored: tuple[Column, ...] | None, batch: Batch) -> Batch:
    """``batch`` with its columns in the stored order; FeatureError if names or kinds differ.

    A view version's columns are fixed by its first write: rows of one version must be
    comparable, and a changed definition is a new version.
    """
    if stored is None or stored == batch.columns:
        return batch
    if sorted(stored) != sorted(batch.columns):
        raise FeatureError(
            f"cannot write {describe(view)}: it holds columns {_show(stored)} but this table "
            f"has {_show(batch.columns)}; write the same columns, or use a new view version "
            "(or drop this one) when the definition changed"
        )
    order = {column: index for index, column in enumerate(batch.columns)}
    values = [batch.values[order[column]] for column in stored]
    return Batch(stored, batch.keys, batch.event_ts, values)


def _show(columns: Sequence[Column]) -> str:
    return "[" + ", ".join(f"{name!r} ({kind})" for name, kind in columns) + "]"


def positions(view: ViewKey, stored: Sequence[Column], asked: Sequence[str]) -> list[int]:
    """Index of each asked column in the stored ones; FeatureError naming unknown columns."""
    index = {name: position for position, (name, _) in enumerate(stored)}
    missing = [name for name in asked if name not in index]
    if missing:
        raise FeatureError(
            f"cannot read {describe(view)}: it has no column(s) {missing}; "
            f"its columns are {[name for name, _ in stored]}"
        )
    return [index[name] for name in asked]


def columns_to_json(columns: Sequence[Column]) -> str:
    """The stored form of a view's columns (backends compare it as a string)."""
    return json.dumps([list(column) for column in columns], ensure_ascii=False)


def columns_from_json(text: str | bytes) -> tuple[Column, ...]:
    """Inverse of :func:`columns_to_json`."""
    return tuple((str(name), str(kind)) for name, kind in json.loads(text))


def unique(keys: Sequence[str]) -> list[str]:
    """``keys`` without repeats, first occurrence order kept."""
    return list(dict.fromkeys(keys))


def chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def now_us() -> int:
    """Current time in µs since the epoch (UTC)."""
    return time.time_ns() // 1000


def to_datetime(us: int | None) -> datetime | None:
    """A µs timestamp as an aware UTC datetime (exact, no float rounding)."""
    return None if us is None else _EPOCH + timedelta(microseconds=us)
