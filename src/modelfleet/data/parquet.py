"""Read a Parquet file (or folder) into Arrow within the limits of :mod:`modelfleet.data.limits`.

A Parquet file can hold a string cell of a gigabyte, or a dictionary-encoded column that repeats
one large value a million times (kilobytes on disk, gigabytes decoded). Both are refused before
anything is converted, cheaply: the footer's metadata bounds each row group's rows and stored
size, and text columns are read *dictionary-encoded*, so the per-value and decoded-size checks
are vectorised ``binary_length`` / ``take`` / ``sum`` kernels over the distinct values, never a
Python loop over rows and never the decoded column itself.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from modelfleet.data.limits import DEFAULT_PARQUET_LIMITS, ParquetLimits
from modelfleet.errors import SourceError
from modelfleet.quoting import excerpt

_READ_ERRORS = (pa.ArrowException, OSError, ValueError)


def read_parquet(
    path: Path, label: str, limits: ParquetLimits = DEFAULT_PARQUET_LIMITS
) -> pa.Table:
    """The table in the Parquet file or folder at ``path``; SourceError naming what is wrong."""
    try:
        if path.is_dir():
            return _read_folder(path, label, limits)
        with pq.ParquetFile(path) as handle:
            text = _check_schema(handle.schema_arrow, label)
            _check_row_groups(handle.metadata, label, "", limits)
        # Text columns come dictionary-encoded: checks see each distinct value once.
        with pq.ParquetFile(path, read_dictionary=text) as handle:
            groups = [
                _checked(handle.read_row_group(i), label, f" row group {i}", limits)
                for i in range(handle.metadata.num_row_groups)
            ]
            schema = handle.schema_arrow
    except SourceError:
        raise
    except _READ_ERRORS as exc:
        raise _unreadable(label, exc) from exc
    if not groups:
        return _decoded(schema.empty_table())
    return pa.concat_tables(groups)


def _read_folder(path: Path, label: str, limits: ParquetLimits) -> pa.Table:
    """A partitioned folder: every file's row groups are bounded, then the values as a whole."""
    dataset = pq.ParquetDataset(path)
    text = _check_schema(dataset.schema, label)
    for file in dataset.files:
        with pq.ParquetFile(file) as handle:
            where = f" file {excerpt(Path(file).name)}"
            _check_row_groups(handle.metadata, label, where, limits)
    table = pq.read_table(path, read_dictionary=text)
    return _checked(table, label, "", limits)


def _unreadable(label: str, exc: BaseException) -> SourceError:
    detail = excerpt(" ".join(str(exc).split()), 160, quoted=False)
    return SourceError(
        f"{label}: cannot be read as Parquet ({detail}). Check that the file is Parquet and "
        "complete (a copy cut short loses its footer), or set the source's format: csv for a "
        "text file"
    )


def _check_schema(schema: pa.Schema, label: str) -> list[str]:
    """Refuse nested columns; return the string and binary columns to read as dictionaries."""
    text: list[str] = []
    for column in schema:
        kind = column.type
        if pa.types.is_nested(kind):
            raise SourceError(
                f"{label}: column {excerpt(column.name)} has the nested type "
                f"{excerpt(str(kind), quoted=False)}; only flat columns (numbers, text, dates, "
                "booleans) can be mapped. Flatten it in the export, or write the file without it"
            )
        if _is_text(kind):
            text.append(column.name)
    return text


def _is_text(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_string_view(kind)
        or pa.types.is_binary_view(kind)
    )


def _check_row_groups(
    metadata: pq.FileMetaData, label: str, where: str, limits: ParquetLimits
) -> None:
    """Bound every row group from the footer alone, before a byte of data is read."""
    for index in range(metadata.num_row_groups):
        group = metadata.row_group(index)
        if group.num_rows > limits.row_group_rows:
            raise SourceError(
                f"{label}:{where} row group {index} has {group.num_rows:,} rows; a row group may "
                f"hold at most {limits.row_group_rows:,}. Write the file with smaller row groups "
                "(pyarrow: row_group_size, pandas: to_parquet(row_group_size=...))"
            )
        if group.total_byte_size > limits.row_group_bytes:
            raise SourceError(
                f"{label}:{where} row group {index} is {group.total_byte_size:,} bytes "
                f"uncompressed; a row group may hold at most {limits.row_group_bytes:,}. Write the "
                "file with smaller row groups"
            )
        for position in range(group.num_columns):
            _check_chunk(group.column(position), label, f"{where} row group {index}", limits)


def _check_chunk(
    chunk: pq.ColumnChunkMetaData, label: str, where: str, limits: ParquetLimits
) -> None:
    """Refuse, from the footer, a text column whose values *average* more than the limit.

    Some value is at least as large as the average, so one huge cell (the common attack: a
    single 200 MB string compresses to a few MB) is refused without reading it.
    """
    if chunk.physical_type != "BYTE_ARRAY" or chunk.num_values <= 0:
        return
    average = chunk.total_uncompressed_size // chunk.num_values
    if average > limits.value_bytes:
        raise SourceError(
            f"{label}:{where} column {excerpt(chunk.path_in_schema)} holds values of "
            f"{average:,} bytes on average; values are limited to {limits.value_bytes:,} bytes "
            "(the bound on a CSV line). Check that the column holds ids, dates, numbers or "
            "labels, or leave it out of the export"
        )


def _checked(table: pa.Table, label: str, where: str, limits: ParquetLimits) -> pa.Table:
    """``table`` (text columns dictionary-encoded) checked per value and decoded in size."""
    decoded = 0
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_dictionary(column.type) and _is_text(column.type.value_type):
            longest, size = _text_sizes(column)
            if longest > limits.value_bytes:
                raise SourceError(
                    f"{label}:{where} column {excerpt(name)} holds a value of {longest:,} bytes; "
                    f"values are limited to {limits.value_bytes:,} bytes (the bound on a CSV "
                    "line). Check that the column holds ids, dates, numbers or labels, or leave "
                    "it out of the export"
                )
            decoded += size
        else:
            decoded += column.nbytes
        if decoded > limits.row_group_bytes:
            raise SourceError(
                f"{label}:{where} decodes to more than {limits.row_group_bytes:,} bytes (column "
                f"{excerpt(name)} repeats large values); write smaller row groups or shorter "
                "values"
            )
    return _decoded(table)


def _text_sizes(column: pa.ChunkedArray) -> tuple[int, int]:
    """(longest value, total bytes once decoded) of a dictionary-encoded text column."""
    longest, total = 0, 0
    for chunk in column.chunks:
        # As large_binary: one length kernel for every text type (views have none of their own).
        lengths = pc.binary_length(chunk.dictionary.cast(pa.large_binary()))
        longest = max(longest, pc.max(lengths).as_py() or 0)
        total += pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0
    return longest, total


def _decoded(table: pa.Table) -> pa.Table:
    """Dictionary (categorical) columns decoded, so mapping sees plain value types."""
    for index, column_type in enumerate(table.schema.types):
        if pa.types.is_dictionary(column_type):
            plain = table.column(index).cast(column_type.value_type)
            table = table.set_column(index, table.field(index).name, plain)
    return table
