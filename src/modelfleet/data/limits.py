"""Bounds on what one input value or block may cost, the same for every file format.

A CSV line is read in blocks of :data:`MAX_LINE_BYTES`; a line longer than one block is refused
(pyarrow cannot split a row across blocks), so no CSV cell can be larger. Parquet stores values
of any size, so the Parquet reader applies the same bound to every string and binary cell and
bounds each row group, as stored and as decoded (a dictionary-encoded column repeats one value
cheaply on disk and expensively in memory). Forecasting data are ids, dates, numbers and short
labels: a megabyte in one cell is a wrong column or a hostile file, never a real value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MAX_LINE_BYTES: Final = 1 << 20  # 1 MiB: one CSV line (the reader's block size)
MAX_VALUE_BYTES: Final = MAX_LINE_BYTES  # one string or binary cell of a Parquet file
MAX_ROW_GROUP_ROWS: Final = 1 << 24  # 16,777,216 rows in one Parquet row group
MAX_ROW_GROUP_BYTES: Final = 1 << 29  # 512 MiB in one Parquet row group, stored or decoded


@dataclass(frozen=True)
class ParquetLimits:
    """The bounds one Parquet read applies; the defaults are the module's constants."""

    value_bytes: int = MAX_VALUE_BYTES
    row_group_rows: int = MAX_ROW_GROUP_ROWS
    row_group_bytes: int = MAX_ROW_GROUP_BYTES


DEFAULT_PARQUET_LIMITS: Final = ParquetLimits()
