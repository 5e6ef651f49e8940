"""Opening stores that cannot be used fails with a StoreError that says what to do."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from modelfleet.errors import StoreError
from modelfleet.store import FleetRunRow, open_store

T0 = datetime(2024, 6, 1, tzinfo=UTC)


def test_an_unreachable_postgresql_server_raises_store_error_naming_the_url() -> None:
    url = "postgresql://me:s3cret@127.0.0.1:1/fleet?connect_timeout=2"

    with pytest.raises(StoreError, match="unreachable") as raised:
        open_store(url)

    assert "127.0.0.1:1/fleet" in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_a_store_written_by_a_newer_modelfleet_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mf.db'}"
    open_store(url).close()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    with pytest.raises(StoreError, match="newer modelfleet"):
        open_store(url)


def test_a_file_that_is_not_a_database_raises_store_error(tmp_path: Path) -> None:
    path = tmp_path / "mf.db"
    path.write_text("definitely not sqlite " * 100)

    with pytest.raises(StoreError, match=str(path)):
        open_store(f"sqlite:///{path}")


def test_each_in_memory_store_is_its_own_database() -> None:
    with open_store("sqlite://") as first, open_store("sqlite://") as second:
        first.add_fleet_run(FleetRunRow("f", "demand", "dev", "running", T0, None, "cfg"))

        assert second.list_fleet_runs() == []
