"""The DuckDB engine: cheap per-task connections to one in-memory database, SQL helpers.

Opening a DuckDB database costs ~25 ms and a load uses about ten connections, so every task gets a
*cursor* of one per-process in-memory database instead (~1 ms). Cursors are separate connections:
registered Arrow tables, temp tables and settings are private to each and vanish when it closes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import duckdb

_lock = threading.Lock()
_database: tuple[int, duckdb.DuckDBPyConnection] | None = None


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh connection to this process's in-memory DuckDB, with reproducible settings."""
    global _database
    with _lock:
        # A forked worker must not reuse its parent's database: DuckDB's threads do not survive
        # fork, so the child opens its own.
        if _database is None or _database[0] != os.getpid():
            _database = (os.getpid(), duckdb.connect())
        con = _database[1].cursor()
    # Timezone-aware inputs are converted to naive UTC timestamps, whatever the host's zone.
    con.execute("SET TimeZone = 'UTC'")
    return con


def quote(name: str) -> str:
    """A SQL identifier, double-quoted (names come from user files and may contain anything)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def fetch_all(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None
) -> list[tuple[Any, ...]]:
    """All result rows of a query (fully consumed, so the connection is free again)."""
    return con.execute(sql, params or []).fetchall()


def fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None
) -> tuple[Any, ...]:
    """The single row of an aggregate query."""
    rows = fetch_all(con, sql, params)
    if len(rows) != 1:
        raise RuntimeError(f"expected one row, got {len(rows)}")  # a bug, not a data problem
    return rows[0]
