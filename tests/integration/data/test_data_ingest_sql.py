"""SQL sources end to end: a real SQLite file and, when reachable, a real PostgreSQL server."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from modelfleet.config.spec import FleetSpec
from modelfleet.data.ingest import load_fleet_data
from modelfleet.errors import SourceError

Build = Callable[..., FleetSpec]
WriteCsv = Callable[..., Path]
Daily = Callable[..., pa.Table]
NOW = datetime(2030, 1, 1)
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def _rows(table: pa.Table) -> list[tuple[object, ...]]:
    columns = [table[c].to_pylist() for c in ("store", "date", "sales", "promo")]
    return list(zip(*columns, strict=True))


def _sql_spec(make_spec: Build, url: str, query: str) -> FleetSpec:
    return make_spec(
        sources=[
            {
                "name": "warehouse",
                "url": url,
                "query": query,
                "columns": {"store": "shop", "date": "day", "sales": "amount"},
            }
        ]
    )


def test_sqlite_source_gives_the_same_rows_as_csv(
    tmp_path: Path, make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    table = daily(["1", "2"], 30)
    write_csv(table)
    with sqlite3.connect(tmp_path / "shop.db") as conn:
        conn.execute("CREATE TABLE sales (shop TEXT, day TEXT, amount REAL, promo INTEGER)")
        conn.executemany(
            "INSERT INTO sales VALUES (?, ?, ?, ?)",
            [(s, d.isoformat(), a, p) for s, d, a, p in _rows(table)],
        )
    spec = _sql_spec(
        make_spec, f"sqlite:///{tmp_path / 'shop.db'}", "SELECT shop, day, amount, promo FROM sales"
    )
    from_sql = load_fleet_data(spec, now=NOW)
    assert from_sql.findings == ()
    assert from_sql.fingerprints == load_fleet_data(make_spec(), now=NOW).fingerprints


def test_sqlite_query_error_names_the_source_and_url(tmp_path: Path, make_spec: Build) -> None:
    sqlite3.connect(tmp_path / "shop.db").close()
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with pytest.raises(SourceError) as caught:
        load_fleet_data(_sql_spec(make_spec, url, "SELECT * FROM missing_table"), now=NOW)
    message = str(caught.value)
    assert message.startswith(f"source 'warehouse' ({url}): the query failed")
    assert "missing_table" in message


# ----------------------------------------------------------------- PostgreSQL
@pytest.fixture
def postgres_url() -> str:
    """The test server's URL; skipped (visibly) when unreachable unless services are required."""
    url = os.environ.get("MODELFLEET_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    try:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means "not reachable" here
        if os.environ.get("MODELFLEET_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL at {url} is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL at {url} is unreachable ({type(exc).__name__})")
    return url


@pytest.fixture
def pg_table(postgres_url: str, daily: Daily) -> Iterator[str]:
    """A uniquely named sales table on the server, dropped afterwards."""
    name = f"mf_sales_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {name} (shop INTEGER, day DATE, amount NUMERIC(12, 2), promo INT)"
            )
        )
        conn.execute(
            sa.text(f"INSERT INTO {name} VALUES (:s, :d, :a, :p)"),
            [{"s": int(s), "d": d, "a": a, "p": p} for s, d, a, p in _rows(daily(["1", "2"], 30))],
        )
    try:
        yield name
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        engine.dispose()


@pytest.mark.postgres
def test_postgres_source_gives_the_same_rows_as_csv(
    postgres_url: str, pg_table: str, make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1", "2"], 30))
    query = f"SELECT shop, day, amount, promo FROM {pg_table} WHERE day >= '2024-01-01'::date"
    data = load_fleet_data(_sql_spec(make_spec, postgres_url, query), now=NOW)
    assert data.findings == ()
    assert data.fingerprints == load_fleet_data(make_spec(), now=NOW).fingerprints


@pytest.mark.postgres
def test_postgres_query_error_masks_the_password(postgres_url: str, make_spec: Build) -> None:
    secret = "hunter2-very-secret"
    url = sa.make_url(postgres_url).set(password=secret).render_as_string(hide_password=False)
    with pytest.raises(SourceError) as caught:
        load_fleet_data(_sql_spec(make_spec, url, "SELECT * FROM no_such_table_xyz"), now=NOW)
    message = str(caught.value)
    assert secret not in message
    assert ":***@" in message and "source 'warehouse'" in message
