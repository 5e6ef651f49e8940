"""Migrations on stores created before them: 0002 adds the registry, 0003 the run callers."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from modelfleet.registry import Registry
from modelfleet.store import migrate, open_store
from modelfleet.store.migrate import HEAD_REVISION
from modelfleet.store.registry.schema import REGISTRY_TABLES
from modelfleet.store.urls import parse_store_url
from modelfleet.tracking.tracker import Tracker

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
        assert registry.store.schema_revision() == HEAD_REVISION
        version = registry.register(build_run("s1"), SIGNATURE, caller="a")
    assert version.ref == "demand/s1:1.0.0"


def test_downgrading_0002_removes_only_the_registry(durable_store_url: str) -> None:
    open_store(durable_store_url).close()

    _alembic(durable_store_url, "downgrade", "0001")

    tables = _tables(durable_store_url)
    assert not {table.name for table in REGISTRY_TABLES} & tables
    assert {"runs", "fleet_runs", "tenants"} <= tables


def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(parse_store_url(url).url)
    try:
        with engine.connect() as connection:
            return {column["name"] for column in inspect(connection).get_columns(table)}
    finally:
        engine.dispose()


def test_opening_a_0002_store_keeps_its_fleet_runs_as_unknown_manual_runs(
    durable_store_url: str,
) -> None:
    _alembic(durable_store_url, "upgrade", "0002")
    engine = create_engine(parse_store_url(durable_store_url).url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO fleet_runs (id, fleet, environment, status, started_at, "
                "config_hash) VALUES ('f' , 'demand', 'dev', 'succeeded', "
                "'2026-01-01 00:00:00', 'h')"
            )
    finally:
        engine.dispose()

    with Tracker.open(durable_store_url) as tracker:
        old = tracker.get_fleet_run("f")
        new_id = tracker.start_fleet_run("demand", "dev", "h", actor="ci", trigger="drift")
        new = tracker.get_fleet_run(new_id)
    assert (old.actor, old.trigger) == ("unknown", "manual")
    assert (new.actor, new.trigger) == ("ci", "drift")


def test_downgrading_0003_drops_only_the_caller_and_signature_columns(
    durable_store_url: str,
) -> None:
    open_store(durable_store_url).close()

    _alembic(durable_store_url, "downgrade", "0002")

    assert not {"actor", "trigger"} & _columns(durable_store_url, "fleet_runs")
    assert "signature" not in _columns(durable_store_url, "runs")
    assert "model_versions" in _tables(durable_store_url)
