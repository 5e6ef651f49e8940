"""Records to score, checked against a model's signature and turned into one Arrow table.

A request carries records (JSON objects) with the model's input fields and the timestamp each
prediction is for. Every problem is collected, not just the first: a missing, unknown or wrongly
typed field, a number that is NaN or infinite, a timestamp that is not a date. Each problem
names its place (``records.3.promo``), what is wrong and what to send. ``null`` is accepted for
any input: the model sees a missing value, as it did for gaps in training.

The check is one pass per column over the values (the records come from a JSON parser, so
they are Python objects already); building the table is then one Arrow conversion per column.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from itertools import chain
from typing import Any, Final

import numpy as np
import pyarrow as pa

from modelfleet.errors import InputError
from modelfleet.quoting import excerpt
from modelfleet.tracking.signature import SignatureField
from modelfleet.training.package import PackageMetadata

MAX_PROBLEMS: Final = 20  # problems listed in one error: a bad 10,000-record batch says enough

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str, str]

_INTEGER = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_FLOAT = ("halffloat", "float", "double", "float16", "float32", "float64")
_TEXT = ("string", "large_string", "utf8", "large_utf8")


def _kind(field: SignatureField) -> str:
    """What JSON a field takes: integer, number, text or boolean."""
    if field.type in _TEXT or field.type.startswith("dictionary"):
        return "text"
    if field.type in _INTEGER:
        return "integer"
    if field.type in _FLOAT:
        return "number"
    if field.type == "bool":
        return "boolean"
    return "number"  # decimal and the like arrive as numbers


_WANTED = {
    "text": "a string",
    "integer": "a whole number",
    "number": "a finite number",
    "boolean": "true or false",
}


def _bad_value(kind: str, value: Any) -> str | None:
    """Why ``value`` does not fit ``kind`` (None when it fits)."""
    if value is None:
        return None
    if kind == "text":
        return None if isinstance(value, str) else "is not a string"
    if kind == "boolean":
        return None if isinstance(value, bool) else "is not true or false"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "is not a number"
    if isinstance(value, float) and not math.isfinite(value):
        return "is NaN or infinite; send null for a missing value"
    if kind == "integer" and isinstance(value, float) and not value.is_integer():
        return "is not a whole number"
    if isinstance(value, int) and abs(value) > _EXACT:
        return "is too large (at most 2**53 in magnitude: models read numbers as float64)"
    return None


# The Python types a column of each kind may hold without a look at each value: a set of the
# values' types (one C-level pass) decides; anything else (a float in an integer column, a
# string in a number column) takes the value-by-value check, which names the row.
_PLAIN: dict[str, frozenset[type]] = {
    "number": frozenset({int, float, type(None)}),
    "integer": frozenset({int, type(None)}),
    "text": frozenset({str, type(None)}),
    "boolean": frozenset({bool, type(None)}),
}


_EXACT: Final = 2**53  # float64 holds every whole number up to here
_JSON_SCALARS: Final = frozenset({int, float, str, bool, type(None)})


def _fast_column(kind: str, values: list[Any]) -> pa.Array | None:
    """The column as Arrow when every value is plainly of ``kind`` (and finite), else None."""
    if not set(map(type, values)) <= _PLAIN[kind]:
        return None
    try:
        column = pa.array(values, type=_arrow_type(kind))
    except (pa.ArrowException, OverflowError):
        return None  # a whole number too large for float64: the value check names it
    if kind == "number" and column.null_count < len(column):
        numbers = column.to_numpy(zero_copy_only=False)  # nulls read as NaN here
        valid = column.is_valid().to_numpy(zero_copy_only=False)
        if not np.isfinite(numbers[valid]).all():
            return None  # NaN or infinity sent: the value-by-value check says where
    return column


@dataclass(frozen=True)
class _Layout:
    """What the fast path needs of a signature, worked out once per signature."""

    struct: pa.StructType
    numeric: tuple[int, ...]  # positions of number and integer columns
    whole: tuple[int, ...]  # positions, among ``numeric``, of the integer columns


@lru_cache(maxsize=4096)
def _layout(inputs: tuple[SignatureField, ...]) -> _Layout:
    kinds = tuple(_kind(field) for field in inputs)
    numeric = tuple(i for i, kind in enumerate(kinds) if kind in ("number", "integer"))
    return _Layout(
        struct=pa.struct([(f.name, _arrow_type(k)) for f, k in zip(inputs, kinds, strict=True)]),
        numeric=numeric,
        whole=tuple(j for j, i in enumerate(numeric) if kinds[i] == "integer"),
    )


def _fast_table(
    records: Sequence[Mapping[str, Any]], inputs: tuple[SignatureField, ...]
) -> pa.Table | None:
    """All records as one table in one Arrow conversion (a struct array), when nothing can be
    mis-read; None sends the records to the column-by-column check, which names the row.

    Arrow would read ``true`` as 1.0 in a number column, so booleans take this path only when
    no column is numeric; the numeric columns are then checked together, as one matrix:
    finite, and whole numbers (at most 2**53) where the column takes integers.
    """
    layout = _layout(inputs)
    types = set(map(type, chain.from_iterable(r.values() for r in records)))
    if not types <= _JSON_SCALARS or (bool in types and layout.numeric):
        return None
    try:
        arrays = pa.array(records, type=layout.struct).flatten()
    except (pa.ArrowException, OverflowError, TypeError):
        return None  # e.g. a string in a number column
    if layout.numeric and float in types:
        columns = [arrays[i] for i in layout.numeric]
        matrix = np.column_stack([c.to_numpy(zero_copy_only=False) for c in columns])
        missing = np.isnan(matrix)
        # Each null reads as one NaN: more NaNs than nulls means a NaN was sent.
        if int(missing.sum()) != sum(c.null_count for c in columns) or np.isinf(matrix).any():
            return None
        if layout.whole:
            ints = matrix[:, layout.whole]
            given = ints[~missing[:, layout.whole]]
            if not (given == np.floor(given)).all() or np.abs(given).max(initial=0) > _EXACT:
                return None  # 2.5 where a whole number belongs
    return pa.table(dict(zip((f.name for f in inputs), arrays, strict=True)))


def _arrow_type(kind: str) -> pa.DataType:
    return {
        "text": pa.string(),
        "integer": pa.float64(),  # models read every number as float64; whole ones are exact
        "number": pa.float64(),
        "boolean": pa.bool_(),
    }[kind]


def parse_timestamps(values: Sequence[Any], problems: list[Problem], field: str) -> np.ndarray:
    """Each record's timestamp as datetime64[ns]; problems for anything that is not a date."""
    if values and all(type(v) is str and v and not v.endswith("Z") for v in values):
        try:  # the usual batch: ISO text, parsed in one numpy call
            return np.array(values, dtype="datetime64[ns]")
        except ValueError:
            pass  # some value is not a date: the value-by-value pass below names it
    stamps = np.empty(len(values), dtype="datetime64[ns]")
    for row, value in enumerate(values):  # only the timestamp column is parsed one by one
        try:
            if isinstance(value, datetime | date):
                stamps[row] = np.datetime64(value, "ns")
            elif isinstance(value, str) and value:
                stamps[row] = np.datetime64(value.removesuffix("Z"), "ns")
            else:
                raise ValueError
        except (ValueError, TypeError, OverflowError):
            problems.append(
                (
                    ("records", row, field),
                    f"{excerpt(value)} is not a date; send an ISO date such as 2024-03-01",
                    "timestamp",
                )
            )
    return stamps


def _check_shape(
    records: Sequence[Any], allowed: set[str], required: Sequence[str]
) -> list[Problem]:
    """Records that are not objects, fields missing or unknown."""
    problems: list[Problem] = []
    exact = set(required) == allowed
    for row, record in enumerate(records):
        if exact and type(record) is dict and record.keys() == allowed:
            continue  # the usual record: exactly the fields asked for (one C-level compare)
        if not isinstance(record, Mapping):
            problems.append(
                (("records", row), "is not an object; send {field: value, ...}", "not_object")
            )
            continue
        for name in required:
            if name not in record:
                problems.append((("records", row, name), "required field is missing", "missing"))
        for name in record:
            if name not in allowed:
                problems.append(
                    (
                        ("records", row, str(name)[:60]),
                        "unknown field: the model does not take it (check the spelling)",
                        "extra_forbidden",
                    )
                )
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def records_table(
    records: Sequence[Any], meta: PackageMetadata, *, model: str
) -> tuple[pa.Table, np.ndarray]:
    """The records as raw model inputs (signature order) and their timestamps.

    InputError lists every problem (at most :data:`MAX_PROBLEMS`), naming ``model``.
    """
    if not records:
        raise InputError(
            f"model {model}: no records to score; send at least one",
            ((("records",), "is empty", "too_short"),),
        )
    inputs = meta.signature.inputs
    required = [meta.timestamp, *(f.name for f in inputs)]
    problems = _check_shape(records, set(required), required)
    if not problems:
        stamps = parse_timestamps([r[meta.timestamp] for r in records], problems, meta.timestamp)
        table = _fast_table(records, tuple(inputs)) if not problems and inputs else None
        if table is not None:
            return table, stamps
        columns: dict[str, pa.Array] = {}
        for field in inputs:  # one pass per column, then one Arrow conversion
            kind = _kind(field)
            values = [record[field.name] for record in records]
            fast = _fast_column(kind, values)
            if fast is not None:  # every value of a plain type: no look at each value
                columns[field.name] = fast
                continue
            for row, value in enumerate(values):
                why = _bad_value(kind, value)
                if why is not None:
                    problems.append(
                        (
                            ("records", row, field.name),
                            f"{excerpt(value)} {why}; {field.name} takes {_WANTED[kind]}",
                            f"{kind}_type",
                        )
                    )
                    if len(problems) >= MAX_PROBLEMS:
                        break
            if not problems:
                columns[field.name] = pa.array(values, type=_arrow_type(kind))
    if problems:
        shown = problems[:MAX_PROBLEMS]
        listed = "; ".join(
            f"{'.'.join(str(p) for p in loc)}: {message}" for loc, message, _ in shown
        )
        more = "" if len(problems) <= MAX_PROBLEMS else " (and more)"
        raise InputError(
            f"model {model}: the records do not fit its inputs: {listed}{more}", tuple(shown)
        )
    table = pa.table(columns) if columns else pa.table({"_": pa.nulls(len(records))}).drop(["_"])
    return table, stamps
