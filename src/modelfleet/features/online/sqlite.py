"""The SQLite online store: the embedded default, one file, reads in tens of microseconds.

Layout: ``online_views`` lists each view version (its table, columns, watermark, row count, last
update); each view version has its own ``WITHOUT ROWID`` table keyed by entity. Physical columns
are positional (``f0``, ``f1``, ...) and table names are hashes: user-chosen names never reach
SQL text, so quotes, semicolons, case-only differences or names like ``event_ts`` cannot break
or inject anything. Float columns have no declared type on purpose: a REAL column would store
-0.0 as the integer 0 and lose its sign.

One connection (WAL, ``synchronous=NORMAL``) guarded by a lock: a store object is safe to share
between threads (FastAPI runs handlers in a pool); other processes and store objects on the same
file see each write once its transaction commits.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from modelfleet.errors import OnlineStoreError
from modelfleet.features.online.base import MaterializedView, OnlineRow, ViewKey
from modelfleet.features.online.codec import (
    Batch,
    Column,
    chunks,
    columns_from_json,
    columns_to_json,
    conform,
    decode_table,
    describe,
    now_us,
    positions,
    to_datetime,
    unique,
)

BUSY_TIMEOUT_S = 30.0
_new = tuple.__new__
# Keys per statement stay under SQLite's oldest default limit of 999 variables. Lists are padded
# to one of these sizes so a handful of prepared statements serve every request size.
_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900)
_SQL_TYPES = {"int": "INTEGER", "bool": "INTEGER", "str": "TEXT", "float": ""}
_META_DDL = """
CREATE TABLE IF NOT EXISTS online_views (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    table_name TEXT NOT NULL,
    columns TEXT,
    watermark INTEGER,
    rows INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (name, version)
) WITHOUT ROWID
"""


@dataclass(frozen=True)
class _Meta:
    """What ``online_views`` says about one view version."""

    table: str
    columns: tuple[Column, ...]
    bools: frozenset[int] = field(init=False)  # positions of bool columns, stored as 0/1

    def __post_init__(self) -> None:
        bools = frozenset(i for i, (_, kind) in enumerate(self.columns) if kind == "bool")
        object.__setattr__(self, "bools", bools)


def table_name(view: ViewKey) -> str:
    """The table of a view version: a hash, so any name and version map to a safe identifier."""
    digest = hashlib.sha256(json.dumps([view.name, view.version]).encode()).hexdigest()
    return f"online_{digest[:32]}"


def _padded(keys: Sequence[str]) -> list[str]:
    """``keys`` padded (by repeating the first) to the next bucket size: bounded statement count."""
    size = next(bucket for bucket in _BUCKETS if bucket >= len(keys))
    return [*keys, *([keys[0]] * (size - len(keys)))]


def _with_bools(row: OnlineRow, bools: Sequence[int]) -> OnlineRow:
    """``row`` with the 0/1 integers of bool columns turned back into bools."""
    values = list(row.values)
    for i in bools:
        if values[i] is not None:
            values[i] = bool(values[i])
    return OnlineRow(row.event_ts, tuple(values))


def _marks(count: int) -> str:
    return ",".join("?" * count)


class SQLiteOnlineStore:
    """Latest feature values per entity in a SQLite file (the default online store)."""

    def __init__(self, path: str | Path) -> None:
        """Open (creating the file and its folder if needed) the store at ``path``."""
        self.path = str(path)
        self.url = f"sqlite:///{self.path}"
        self._lock = threading.Lock()
        self._cache: dict[ViewKey, _Meta] = {}
        self._schema_version = -1
        self._sql: dict[tuple[str, tuple[int, ...], int], str] = {}
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_S,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=512,
            )
        except (OSError, sqlite3.Error) as exc:
            raise OnlineStoreError(
                f"cannot open the SQLite online store {self.url} ({exc}); check that the "
                "folder exists or can be created and is writable"
            ) from exc
        self._connection: sqlite3.Connection | None = connection
        try:
            with self._guard("opening"):
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                connection.execute(_META_DDL)
        except OnlineStoreError:
            self.close()
            raise

    @contextmanager
    def _guard(self, action: str) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; SQLite errors become OnlineStoreError naming the file."""
        with self._lock:
            connection = self._connection
            if connection is None:
                raise OnlineStoreError(f"online store {self.url} is closed; open a new one")
            try:
                yield connection
            except sqlite3.Error as exc:
                raise OnlineStoreError(
                    f"SQLite online store {self.url} failed while {action}: {exc}; check that "
                    "the file is writable, not damaged, and not locked by a stuck process"
                ) from exc

    @contextmanager
    def _transaction(self, connection: sqlite3.Connection, begin: str) -> Iterator[None]:
        """One transaction: committed on success, rolled back on any error."""
        connection.execute(begin)
        try:
            yield
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def _load(self, connection: sqlite3.Connection, view: ViewKey) -> _Meta | None:
        """A view's metadata; None until its first write (a watermark alone makes no table)."""
        row = connection.execute(
            "SELECT table_name, columns FROM online_views WHERE name = ? AND version = ?",
            (view.name, view.version),
        ).fetchone()
        if row is None or row[1] is None:
            return None
        return _Meta(row[0], columns_from_json(row[1]))

    def write(self, view: ViewKey, table: pa.Table) -> int:
        """Upsert rows in one transaction; an equal or newer event time replaces a stored row."""
        batch = decode_table(view, table)
        with (
            self._guard(f"writing {describe(view)}") as connection,
            self._transaction(connection, "BEGIN IMMEDIATE"),
        ):
            meta = self._load(connection, view)
            batch = conform(view, meta.columns if meta else None, batch)
            if meta is None:
                meta = self._create(connection, view, batch.columns)
            added = len(unique(batch.keys)) - self._count_existing(connection, meta, batch)
            names = [f"f{i}" for i in range(len(batch.columns))]
            targets = "".join(f", {name}" for name in names)
            updates = "".join(f", {name} = excluded.{name}" for name in names)
            cursor = connection.executemany(
                f'INSERT INTO "{meta.table}" (entity_key, event_ts{targets})'
                f" VALUES ({_marks(len(names) + 2)})"
                f" ON CONFLICT (entity_key) DO UPDATE SET event_ts = excluded.event_ts{updates}"
                f' WHERE excluded.event_ts >= "{meta.table}".event_ts',
                zip(batch.keys, batch.event_ts, *batch.values, strict=True),
            )
            written = cursor.rowcount
            connection.execute(
                "UPDATE online_views SET rows = rows + ?, updated_at = ?"
                " WHERE name = ? AND version = ?",
                (added, now_us(), view.name, view.version),
            )
        return max(written, 0)

    def _create(
        self, connection: sqlite3.Connection, view: ViewKey, columns: tuple[Column, ...]
    ) -> _Meta:
        """Create a view version's table and record its columns in ``online_views``."""
        meta = _Meta(table_name(view), columns)
        features = "".join(
            f", f{i} {_SQL_TYPES[kind]}".rstrip() for i, (_, kind) in enumerate(columns)
        )
        connection.execute(
            f'CREATE TABLE IF NOT EXISTS "{meta.table}" '
            f"(entity_key TEXT PRIMARY KEY, event_ts INTEGER NOT NULL{features}) WITHOUT ROWID"
        )
        connection.execute(
            "INSERT INTO online_views (name, version, table_name, columns, rows, updated_at)"
            " VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (name, version) DO UPDATE SET"
            " table_name = excluded.table_name, columns = excluded.columns, rows = 0,"
            " updated_at = excluded.updated_at",
            (view.name, view.version, meta.table, columns_to_json(columns), now_us()),
        )
        return meta

    def _count_existing(self, connection: sqlite3.Connection, meta: _Meta, batch: Batch) -> int:
        """How many of the batch's distinct entities the table already holds."""
        total = 0
        for chunk in chunks(unique(batch.keys), _BUCKETS[-1]):
            keys = _padded(chunk)
            sql = f'SELECT COUNT(*) FROM "{meta.table}" WHERE entity_key IN ({_marks(len(keys))})'
            total += connection.execute(sql, keys).fetchone()[0]
        return total

    def read(
        self, view: ViewKey, columns: Sequence[str], keys: Sequence[str]
    ) -> list[OnlineRow | None]:
        """Rows for ``keys`` in order, one SELECT per 900 keys; all None for an unwritten view."""
        if not keys:
            return []
        with (
            self._guard(f"reading {describe(view)}") as connection,
            self._transaction(connection, "BEGIN"),
        ):
            meta = self._cached(connection, view)
            if meta is None:
                return [None] * len(keys)
            wanted = tuple(positions(view, meta.columns, columns))
            found: dict[str, OnlineRow] = {}
            for chunk in chunks(unique(keys), _BUCKETS[-1]):
                padded = _padded(chunk)
                cursor = connection.execute(self._select(meta.table, wanted, len(padded)), padded)
                # tuple.__new__ skips the namedtuple's Python-level constructor: the hot loop.
                found.update({row[0]: _new(OnlineRow, (row[1], row[2:])) for row in cursor})
        bools = [i for i, position in enumerate(wanted) if position in meta.bools]
        if bools:
            found = {key: _with_bools(row, bools) for key, row in found.items()}
        return list(map(found.get, keys))

    def _cached(self, connection: sqlite3.Connection, view: ViewKey) -> _Meta | None:
        """A view's metadata, cached until any schema change (another store may drop it)."""
        version = connection.execute("PRAGMA schema_version").fetchone()[0]
        if version != self._schema_version:
            self._cache.clear()
            self._schema_version = version
        meta = self._cache.get(view)
        if meta is None:
            meta = self._load(connection, view)
            if meta is not None:
                self._cache[view] = meta
        return meta

    def _select(self, table: str, wanted: tuple[int, ...], count: int) -> str:
        """The SELECT text for these columns and key count, built once."""
        sql = self._sql.get((table, wanted, count))
        if sql is None:
            names = "".join(f", f{position}" for position in wanted)
            sql = (
                f'SELECT entity_key, event_ts{names} FROM "{table}"'
                f" WHERE entity_key IN ({_marks(count)})"
            )
            if len(self._sql) > 4096:
                self._sql.clear()
            self._sql[(table, wanted, count)] = sql
        return sql

    def set_watermark(self, view: ViewKey, watermark: int) -> None:
        """Record the newest materialized event time (also for a view never written)."""
        with self._guard(f"setting the watermark of {describe(view)}") as connection:
            connection.execute(
                "INSERT INTO online_views"
                " (name, version, table_name, watermark, rows, updated_at)"
                " VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (name, version) DO UPDATE SET"
                " watermark = excluded.watermark, updated_at = excluded.updated_at",
                (view.name, view.version, table_name(view), watermark, now_us()),
            )

    def views(self) -> list[MaterializedView]:
        """Every view version in the file, sorted by name then version."""
        with self._guard("listing views") as connection:
            rows = connection.execute(
                "SELECT name, version, columns, rows, watermark, updated_at FROM online_views"
                " ORDER BY name, version"
            ).fetchall()
        return [
            MaterializedView(
                name=name,
                version=version,
                columns=tuple(column for column, _ in columns_from_json(columns or "[]")),
                rows=count,
                watermark=watermark,
                updated_at=to_datetime(updated_at),
            )
            for name, version, columns, count, watermark, updated_at in rows
        ]

    def drop(self, view: ViewKey) -> None:
        """Delete one view version's table and metadata (no error if absent)."""
        with (
            self._guard(f"dropping {describe(view)}") as connection,
            self._transaction(connection, "BEGIN IMMEDIATE"),
        ):
            connection.execute(f'DROP TABLE IF EXISTS "{table_name(view)}"')
            connection.execute(
                "DELETE FROM online_views WHERE name = ? AND version = ?",
                (view.name, view.version),
            )
            self._cache.pop(view, None)

    def close(self) -> None:
        """Close the connection; later calls raise OnlineStoreError. Closing twice is fine."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
