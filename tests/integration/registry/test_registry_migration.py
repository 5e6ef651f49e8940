"""Migration 0002 adds the registry to a store created before it, and can be undone."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from modelfleet.registry import Registry
from modelfleet.store import migrate, open_store
from modelfleet.store.registry_schema import REGISTRY_TABLES
from modelfleet.store.urls import parse_store_url

from .conftest import SIGNATURE, build_run


def _alembic(url: str, action: str, revision: str) -> None:
    parsed = parse_store_url(url)
    if parsed.sqlite_path is not None:
        parsed.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed.url)
    try:
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
            config.set_main_option("path_separator", "os")
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(parse_store_url(url).url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_opening_a_0001_store_adds_the_registry(durable_store_url: str) -> None:
    _alembic(durable_store_url, "upgrade", "0001")
    assert not {table.name for table in REGISTRY_TABLES} & _tables(durable_store_url)

    with Registry(open_store(durable_store_url)) as registry:
        assert registry.store.schema_revision() == "0002"
        version = registry.register(build_run("s1"), SIGNATURE, actor="a")
    assert version.ref == "demand/s1:1.0.0"


def test_downgrading_0002_removes_only_the_registry(durable_store_url: str) -> None:
    open_store(durable_store_url).close()

    _alembic(durable_store_url, "downgrade", "0001")

    tables = _tables(durable_store_url)
    assert not {table.name for table in REGISTRY_TABLES} & tables
    assert {"runs", "fleet_runs", "tenants"} <= tables
