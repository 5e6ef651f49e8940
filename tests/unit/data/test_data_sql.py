"""SQL sources through SQLAlchemy: typed results, mixed-type columns, masked errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest

from modelfleet.data.sql import mask_url, read_sql
from modelfleet.errors import SourceError


def _sqlite(tmp_path: Path, *statements: str) -> str:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
    return f"sqlite:///{path}"


def test_query_result_becomes_typed_arrow_columns(tmp_path: Path) -> None:
    url = _sqlite(
        tmp_path,
        "CREATE TABLE sales (store INTEGER, day TEXT, amount REAL)",
        "INSERT INTO sales VALUES (1, '2024-01-01', 2.5), (2, '2024-01-02', NULL)",
    )
    table = read_sql(url, "SELECT store, day, amount FROM sales ORDER BY store", "source 'db'")
    assert table.schema == pa.schema(
        [("store", pa.int64()), ("day", pa.string()), ("amount", pa.float64())]
    )
    assert table.column("amount").to_pylist() == [2.5, None]


def test_query_text_reaches_the_database_unchanged(tmp_path: Path) -> None:
    url = _sqlite(tmp_path, "CREATE TABLE t (name TEXT)", "INSERT INTO t VALUES ('a:b%')")
    table = read_sql(url, "SELECT name FROM t WHERE name LIKE '%:b%'", "source 'db'")
    assert table.column("name").to_pylist() == ["a:b%"]


def test_mixed_type_column_falls_back_to_text(tmp_path: Path) -> None:
    url = _sqlite(
        tmp_path,
        "CREATE TABLE sales (amount)",
        "INSERT INTO sales VALUES (1.5), ('n/a'), (NULL)",
    )
    table = read_sql(url, "SELECT amount FROM sales", "source 'db'")
    assert table.column("amount").to_pylist() == ["1.5", "n/a", None]


def test_query_error_names_source_and_masks_password(tmp_path: Path) -> None:
    url = _sqlite(tmp_path, "CREATE TABLE sales (store INTEGER)")
    with pytest.raises(SourceError) as caught:
        read_sql(url, "SELECT nope FROM sales", "source 'db' (masked)")
    message = str(caught.value)
    assert message.startswith("source 'db' (masked): the query failed")
    assert "nope" in message and "Check the query" in message


def test_unreachable_server_error_never_shows_the_password() -> None:
    url = "postgresql://alice:s3cret-pw@127.0.0.1:1/warehouse"
    with pytest.raises(SourceError) as caught:
        read_sql(url, "SELECT 1", "source 'db'")
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert "postgresql://alice:***@127.0.0.1:1/warehouse" in message


def test_unknown_dialect_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="cannot use the database URL nosuchdb://u:\\*\\*\\*@h"):
        read_sql("nosuchdb://u:pw@h/db", "SELECT 1", "source 'db'")


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://bob:pw@db:5432/x", "postgresql://bob:***@db:5432/x"),
        ("sqlite:///tmp/a.db", "sqlite:///tmp/a.db"),
        ("weird://bob:p@ss@host", "weird://bob:***@host"),
    ],
)
def test_mask_url_hides_only_the_password(url: str, masked: str) -> None:
    assert mask_url(url) == masked
