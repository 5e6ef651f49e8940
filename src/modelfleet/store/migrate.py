"""Bring a store's schema to the current revision, once, safely under concurrent first opens.

The fast path is one ``SELECT`` from ``alembic_version`` compared with :data:`HEAD_REVISION`;
Alembic (about 0.2 s to import) is loaded only when a migration is actually due. Upgrades run
inside one write transaction that first takes a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory
lock on PostgreSQL) and re-reads the revision, so when two processes open a fresh store at once
the second one finds the work done instead of failing on "table already exists".
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import Connection, Engine, inspect, text

from modelfleet.errors import StoreError

# The newest revision in migrations/versions; a test checks it matches Alembic's head.
HEAD_REVISION: Final = "0011"
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE: Final = "alembic_version"


def current_revision(connection: Connection) -> str | None:
    """The store's schema revision, or None for an empty database."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    value = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    return None if value is None else str(value)


def ensure_schema(read_engine: Engine, write_engine: Engine, display_url: str) -> None:
    """Apply pending migrations, doing nothing (one query) when the schema is already current."""
    with read_engine.connect() as connection:
        if current_revision(connection) == HEAD_REVISION:
            return
    with write_engine.begin() as connection:
        _take_migration_lock(connection)
        current = current_revision(connection)
        if current == HEAD_REVISION:
            return  # another process migrated while we waited for the lock
        _check_known(current, display_url)
        _run_alembic_upgrade(connection)


def _take_migration_lock(connection: Connection) -> None:
    # SQLite: the write engine's BEGIN IMMEDIATE already holds the database's write lock.
    if connection.dialect.name == "postgresql":
        # Keyed by schema so stores in different schemas of one database migrate independently;
        # released automatically when the transaction ends.
        connection.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtext(:prefix || coalesce(current_schema(), '')))"
            ),
            {"prefix": "modelfleet.migrate:"},
        )


def _check_known(current: str | None, display_url: str) -> None:
    """Refuse a store whose schema is newer than this modelfleet knows how to read."""
    if current is None:
        return
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    known = {revision.revision for revision in script.walk_revisions()}
    if current not in known:
        raise StoreError(
            f"metadata store {display_url} has schema revision {current!r}, which this version "
            "of modelfleet does not know: it was written by a newer modelfleet; upgrade "
            "modelfleet (pip install -U modelfleet) or point at another store"
        )


def _run_alembic_upgrade(connection: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    # env.py runs the migrations on this connection, inside our locked transaction.
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
