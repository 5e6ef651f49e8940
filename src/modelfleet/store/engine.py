"""Engines tuned per backend: SQLite pragmas and write locking, PostgreSQL connection health.

SQLite gets WAL (readers never block the writer), a 30 s busy timeout (writers queue instead
of failing), ``synchronous=FULL`` and foreign keys. FULL syncs the WAL on every commit, so an
acknowledged registration or alias move survives a power loss. The store URL may ask for
``?synchronous=normal`` (``MODELFLEET_SQLITE_SYNCHRONOUS=normal`` adds it): in WAL mode NORMAL
never corrupts the database, but a power loss (not a process crash) may undo the last
transactions acknowledged before it; it saves one fsync per commit. Write
transactions start with ``BEGIN IMMEDIATE``: they take the write lock up front, so two
processes never both hold a read lock and then deadlock trying to upgrade it. That needs the
SQLAlchemy recipe of switching off pysqlite's own BEGIN handling and emitting BEGIN ourselves.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import StaticPool

from modelfleet.errors import StoreError
from modelfleet.store.urls import StoreURL

BUSY_TIMEOUT_SECONDS: Final = 30
# The store URL's query parameter that chooses SQLite's durability, and the levels it accepts.
SYNCHRONOUS_PARAM: Final = "synchronous"
SYNCHRONOUS_LEVELS: Final = {"full": "FULL", "normal": "NORMAL"}
DEFAULT_SYNCHRONOUS: Final = "full"
# Execution option that marks an engine's transactions as writes (BEGIN IMMEDIATE on SQLite).
WRITE_OPTION: Final = "modelfleet_write"


def build_engines(store_url: StoreURL) -> tuple[Engine, Engine]:
    """Return (read engine, write engine); both share one connection pool."""
    if store_url.backend == "sqlite":
        engine = _sqlite_engine(store_url)
    else:
        # pre_ping: a server restart between two fleet runs must not surface as an error.
        engine = create_engine(store_url.url, pool_pre_ping=True)
    return engine, engine.execution_options(**{WRITE_OPTION: True})


def sqlite_synchronous(store_url: StoreURL) -> str:
    """The ``PRAGMA synchronous`` level a SQLite store URL asks for (FULL unless it says normal)."""
    given = store_url.url.query.get(SYNCHRONOUS_PARAM, DEFAULT_SYNCHRONOUS)
    text = given if isinstance(given, str) else given[-1]
    level = SYNCHRONOUS_LEVELS.get(text.strip().lower())
    if level is None:
        raise StoreError(
            f"metadata store URL {store_url.display!r} has {SYNCHRONOUS_PARAM}={text!r}; use "
            "full (the default: a commit survives power loss) or normal (one fsync fewer per "
            "commit; a power loss may undo the last commits, never corrupting the file)"
        )
    return level


def _sqlite_engine(store_url: StoreURL) -> Engine:
    connect_args: dict[str, Any] = {"timeout": BUSY_TIMEOUT_SECONDS}
    synchronous = sqlite_synchronous(store_url)
    # Ours, not the driver's: pysqlite would not know what to do with it.
    url = store_url.url.difference_update_query([SYNCHRONOUS_PARAM])
    if store_url.is_memory:
        # One shared connection, so every caller sees the same in-memory database. It is meant
        # for tests: SQLite connections are not safe for simultaneous use from two threads.
        connect_args["check_same_thread"] = False
        engine = create_engine(
            url.set(database=":memory:"),
            connect_args=connect_args,
            poolclass=StaticPool,
        )
    else:
        path = store_url.sqlite_path
        if path is not None:
            _make_parent(path, store_url.display)
        engine = create_engine(url, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from pysqlite; the "begin" hook below emits it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first: switching to WAL itself may wait for another writer.
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            _switch_to_wal(cursor)
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def _switch_to_wal(cursor: Any) -> None:
    """Put the file in WAL mode, waiting out another process that is creating it.

    SQLite does not always call the busy handler for this pragma: while a second process is
    creating or switching a fresh file it can answer "database is locked" at once (seen when two
    processes open a new store together). Retry for as long as busy_timeout would have waited.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


def _make_parent(path: Path, display_url: str) -> None:
    """Create the database file's folder so a first run needs no setup."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create folder {path.parent} for metadata store {display_url} "
            f"({exc.strerror}); choose a writable location for the store"
        ) from exc
