"""Parquet inputs are read within bounds: huge cells, row groups and nesting are refused clearly."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelfleet.data.limits import MAX_VALUE_BYTES, ParquetLimits
from modelfleet.data.parquet import read_parquet
from modelfleet.errors import SourceError

LABEL = "source 'sales' (sales.parquet)"


def _write(tmp_path: Path, table: pa.Table, **options: object) -> Path:
    path = tmp_path / "sales.parquet"
    pq.write_table(table, path, **options)  # type: ignore[arg-type]
    return path


def _refusal(path: Path, limits: ParquetLimits | None = None) -> str:
    with pytest.raises(SourceError) as caught:
        read_parquet(path, LABEL, limits) if limits else read_parquet(path, LABEL)
    return caught.value.message


def test_a_string_cell_over_the_value_limit_is_refused_naming_column_row_group_and_limit(
    tmp_path: Path,
) -> None:
    huge = "x" * (MAX_VALUE_BYTES + 1)
    table = pa.table({"store": ["1", "2", "3", "4"], "note": ["a", "b", "c", huge]})
    message = _refusal(_write(tmp_path, table, row_group_size=2))
    assert message.startswith(f"{LABEL}: row group 1 column 'note' holds a value of 1,048,577")
    assert f"limited to {MAX_VALUE_BYTES:,} bytes" in message


def test_the_refusal_never_quotes_the_huge_value(tmp_path: Path) -> None:
    table = pa.table({"note": ["x" * (MAX_VALUE_BYTES + 1)]})
    message = _refusal(_write(tmp_path, table))
    assert len(message) < 400 and "xxxx" not in message


def test_a_binary_cell_over_the_value_limit_is_refused(tmp_path: Path) -> None:
    cells = [b"\x00", b"\x01", b"\x00" * (MAX_VALUE_BYTES + 1)]
    table = pa.table({"blob": pa.array(cells, pa.binary())})
    message = _refusal(_write(tmp_path, table))
    assert "column 'blob' holds a value of 1,048,577 bytes" in message


def test_a_single_huge_cell_is_refused_from_the_footer_before_it_is_read(tmp_path: Path) -> None:
    # One value per row group: the chunk's size is that value's size, known from the footer.
    table = pa.table({"note": ["x" * (MAX_VALUE_BYTES + 1)]})
    message = _refusal(_write(tmp_path, table))
    assert "row group 0 column 'note' holds values of" in message
    assert "bytes on average; values are limited to 1,048,576 bytes" in message


def test_a_dictionary_bomb_is_refused_by_its_decoded_size_without_decoding_it(
    tmp_path: Path,
) -> None:
    # 2,000 rows repeating one 300 KB value: ~600 KB on disk, 600 MB decoded.
    value = "v" * 300_000
    column = pa.DictionaryArray.from_arrays(pa.array([0] * 2_000, pa.int32()), pa.array([value]))
    message = _refusal(_write(tmp_path, pa.table({"label": column})))
    assert "row group 0 decodes to more than 536,870,912 bytes (column 'label'" in message


def test_a_row_group_with_too_many_rows_is_refused_from_the_footer(tmp_path: Path) -> None:
    table = pa.table({"sales": list(range(1_000))})
    path = _write(tmp_path, table, row_group_size=1_000)
    message = _refusal(path, ParquetLimits(row_group_rows=999))
    assert message.startswith(f"{LABEL}: row group 0 has 1,000 rows; a row group may hold at most")


def test_a_row_group_too_large_uncompressed_is_refused_from_the_footer(tmp_path: Path) -> None:
    table = pa.table({"sales": [float(i) for i in range(10_000)]})
    message = _refusal(_write(tmp_path, table), ParquetLimits(row_group_bytes=1_000))
    assert "row group 0 is" in message and "bytes uncompressed" in message


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        (pa.array([[1, 2], [3]]), "list<"),
        (pa.array([{"a": 1}, {"a": 2}]), "struct<"),
        (pa.array([[("k", 1)], [("k", 2)]], pa.map_(pa.string(), pa.int64())), "map<"),
    ],
)
def test_a_nested_column_is_refused_naming_it_and_its_type(
    tmp_path: Path, column: pa.Array, kind: str
) -> None:
    table = pa.table({"store": ["1", "2"], "extra": column})
    message = _refusal(_write(tmp_path, table))
    assert "column 'extra' has the nested type " + kind in message
    assert "only flat columns" in message


def test_a_file_that_is_not_parquet_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "sales.parquet"
    path.write_text("store,date,sales\n1,2024-01-01,3\n")
    message = _refusal(path)
    assert message.startswith(f"{LABEL}: cannot be read as Parquet (")
    assert "format: csv" in message


def test_a_truncated_parquet_file_is_refused_with_advice(tmp_path: Path) -> None:
    path = _write(tmp_path, pa.table({"sales": list(range(1_000))}))
    path.write_bytes(path.read_bytes()[:-100])
    message = _refusal(path)
    assert "cannot be read as Parquet" in message and "cut short" in message


def test_categorical_columns_come_back_as_plain_values(tmp_path: Path) -> None:
    table = pa.table({"store": pa.array(["1", "2", "1"]).dictionary_encode(), "n": [1, 2, 3]})
    read = read_parquet(_write(tmp_path, table), LABEL)
    assert read.schema.field("store").type == pa.string()
    assert read["store"].to_pylist() == ["1", "2", "1"]


def test_every_row_group_is_read(tmp_path: Path) -> None:
    table = pa.table({"store": [str(i % 3) for i in range(100)], "n": list(range(100))})
    read = read_parquet(_write(tmp_path, table, row_group_size=7), LABEL)
    assert read["n"].to_pylist() == list(range(100))


def test_a_partitioned_folder_is_read_with_its_partition_column(tmp_path: Path) -> None:
    table = pa.table({"store": ["1", "1", "2"], "n": [1, 2, 3]})
    pq.write_to_dataset(table, tmp_path / "sales.parquet", partition_cols=["store"])
    read = read_parquet(tmp_path / "sales.parquet", LABEL)
    assert sorted(read["n"].to_pylist()) == [1, 2, 3]
    assert "store" in read.column_names


def test_a_huge_cell_in_a_partitioned_folder_is_refused(tmp_path: Path) -> None:
    notes = ["ok", "fine", "x" * (MAX_VALUE_BYTES + 1)]
    table = pa.table({"store": ["1", "2", "2"], "note": notes})
    pq.write_to_dataset(table, tmp_path / "sales.parquet", partition_cols=["store"])
    message = _refusal(tmp_path / "sales.parquet")
    assert "column 'note' holds a value of 1,048,577 bytes" in message
