"""Reading CSV and Parquet files into raw Arrow tables, and failing clearly on bad files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelfleet.config.spec import FleetSpec, SourceSpec
from modelfleet.data.sources import read_source
from modelfleet.errors import SourceError

Build = Callable[..., FleetSpec]


def _csv_spec(make_spec: Build, **source: object) -> tuple[FleetSpec, SourceSpec]:
    spec = make_spec(sources=[{"name": "sales", "path": "sales.csv", **source}])
    return spec, spec.sources[0]


def test_csv_cells_are_read_as_text(tmp_path: Path, make_spec: Build) -> None:
    (tmp_path / "sales.csv").write_text("store,date,sales\n1,2024-01-01,12.5\n")
    spec, source = _csv_spec(make_spec)
    raw = read_source(spec, source)
    assert raw.table.schema == pa.schema(
        [("store", pa.string()), ("date", pa.string()), ("sales", pa.string())]
    )
    assert raw.table.to_pylist() == [{"store": "1", "date": "2024-01-01", "sales": "12.5"}]
    assert raw.where == "sales.csv line" and raw.first_row == 2


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_line_endings_give_the_same_rows(tmp_path: Path, make_spec: Build, eol: str) -> None:
    text = eol.join(["store,sales", "1,2", "3,4"]) + eol
    (tmp_path / "sales.csv").write_bytes(text.encode())
    spec, source = _csv_spec(make_spec)
    assert read_source(spec, source).table.to_pylist() == [
        {"store": "1", "sales": "2"},
        {"store": "3", "sales": "4"},
    ]


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16"])
def test_declared_encoding_is_decoded(tmp_path: Path, make_spec: Build, encoding: str) -> None:
    (tmp_path / "sales.csv").write_bytes("store;name\n1;Köpenick\n".encode(encoding))
    spec, source = _csv_spec(make_spec, csv={"delimiter": ";", "encoding": encoding})
    assert read_source(spec, source).table.column("name").to_pylist() == ["Köpenick"]


def test_wrong_encoding_names_file_and_suggests_setting(tmp_path: Path, make_spec: Build) -> None:
    (tmp_path / "sales.csv").write_bytes("store,name\n1,Köpenick\n".encode("latin-1"))
    spec, source = _csv_spec(make_spec)
    with pytest.raises(SourceError) as caught:
        read_source(spec, source)
    message = str(caught.value)
    assert "sales.csv" in message and "source 'sales'" in message
    assert "not valid utf-8" in message and "csv.encoding" in message


def test_missing_file_names_path_and_setting(make_spec: Build, tmp_path: Path) -> None:
    spec, source = _csv_spec(make_spec)
    with pytest.raises(SourceError, match="file not found") as caught:
        read_source(spec, source)
    assert str(tmp_path / "sales.csv") in str(caught.value)
    assert "sources[sales].path" in str(caught.value)


def test_empty_file_is_rejected(tmp_path: Path, make_spec: Build) -> None:
    (tmp_path / "sales.csv").write_bytes(b"")
    spec, source = _csv_spec(make_spec)
    with pytest.raises(SourceError, match=r"sales\.csv\): the file is empty \(0 bytes\)"):
        read_source(spec, source)


def test_blank_file_has_no_header(tmp_path: Path, make_spec: Build) -> None:
    (tmp_path / "sales.csv").write_bytes(b"\n\n")
    spec, source = _csv_spec(make_spec)
    with pytest.raises(SourceError, match="no header line"):
        read_source(spec, source)


def test_header_only_file_has_no_data_rows(tmp_path: Path, make_spec: Build) -> None:
    (tmp_path / "sales.csv").write_text("store,date,sales\n")
    spec, source = _csv_spec(make_spec)
    with pytest.raises(SourceError, match="has a header but no data rows"):
        read_source(spec, source)


def test_binary_garbage_is_rejected_as_binary(tmp_path: Path, make_spec: Build) -> None:
    (tmp_path / "sales.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(500))
    spec, source = _csv_spec(make_spec)
    with pytest.raises(SourceError, match="looks like a binary file"):
        read_source(spec, source)


def test_parquet_read_as_csv_says_so(tmp_path: Path, make_spec: Build) -> None:
    pq.write_table(pa.table({"a": [1]}), tmp_path / "sales.csv")
    spec, source = _csv_spec(make_spec)
    with pytest.raises(SourceError, match="is a Parquet file; set the source's format: parquet"):
        read_source(spec, source)


def test_ragged_rows_are_cited_by_line(tmp_path: Path, make_spec: Build) -> None:
    (tmp_path / "sales.csv").write_text("store,date,sales\n1,2024-01-01,3\n2,2024-01-01\n4,5,6,7\n")
    spec, source = _csv_spec(make_spec)
    with pytest.raises(SourceError) as caught:
        read_source(spec, source)
    message = str(caught.value)
    assert "2 row(s) have a different number of fields than the header" in message
    assert "line 3 has 2 fields instead of 3" in message
    assert "line 4 has 4 fields instead of 3" in message


def test_repeated_header_names_are_rejected(tmp_path: Path, make_spec: Build) -> None:
    (tmp_path / "sales.csv").write_text("store,sales,sales\n1,2,3\n")
    spec, source = _csv_spec(make_spec)
    with pytest.raises(SourceError, match=r"repeats column name\(s\) \['sales'\]"):
        read_source(spec, source)


def test_headerless_csv_names_columns_by_position(tmp_path: Path, make_spec: Build) -> None:
    (tmp_path / "sales.csv").write_text("1,2024-01-01,3\n")
    spec, source = _csv_spec(make_spec, csv={"header": False})
    raw = read_source(spec, source)
    assert raw.table.column_names == ["column1", "column2", "column3"]
    assert raw.first_row == 1


def test_null_values_and_quote_options_apply(tmp_path: Path, make_spec: Build) -> None:
    (tmp_path / "sales.csv").write_text("store,note\n'1','a,b'\n'2',-\n")
    spec, source = _csv_spec(make_spec, csv={"quote": "'", "null_values": ["-"]})
    assert read_source(spec, source).table.to_pylist() == [
        {"store": "1", "note": "a,b"},
        {"store": "2", "note": None},
    ]


def test_parquet_keeps_its_types_and_decodes_categories(tmp_path: Path, make_spec: Build) -> None:
    table = pa.table({"shop": [7, 7], "kind": pa.array(["a", "b"]).dictionary_encode()})
    pq.write_table(table, tmp_path / "shop.parquet")
    spec = make_spec(sources=[{"name": "sales", "path": "shop.parquet"}])
    raw = read_source(spec, spec.sources[0])
    assert raw.table.schema == pa.schema([("shop", pa.int64()), ("kind", pa.string())])
    assert raw.where == "shop.parquet row" and raw.first_row == 1


def test_corrupt_parquet_is_a_source_error(tmp_path: Path, make_spec: Build) -> None:
    (tmp_path / "shop.parquet").write_bytes(b"PAR1 this is not really parquet")
    spec = make_spec(sources=[{"name": "sales", "path": "shop.parquet"}])
    with pytest.raises(SourceError, match=r"shop\.parquet\): cannot be read as Parquet"):
        read_source(spec, spec.sources[0])
