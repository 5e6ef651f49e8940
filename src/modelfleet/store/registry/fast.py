"""Alias resolution on a raw database connection: the registry's hot read path.

Serving resolves ``fleet/tenant@prod`` on every model load and cache check, so this one lookup
skips SQLAlchemy's per-call work (connection wrapper, ``BEGIN`` hook, pool checkout and reset,
row objects) and runs the precompiled SQL of :mod:`.registry.sql` on a DBAPI connection each
thread keeps for itself: one primary-key lookup in ``aliases`` joined to its version row, about
40 µs on SQLite instead of 250 µs. The SQL, parameters and column conversions come from the
same SQLAlchemy statement every other read uses, so the two paths cannot disagree.

The kept connections run in autocommit mode: every lookup is its own read, sees everything
committed before it, and never leaves a transaction open. A connection that fails is dropped
and the lookup retried once on a fresh one (a database restart costs one retry, like the pool's
pre-ping); a forked child never uses or closes its parent's connections. At most
:data:`MAX_KEPT` threads keep one (a server's worker threads); others, and in-memory SQLite,
whose single connection everyone shares, borrow a connection from the pool per lookup.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection

from modelfleet.store.registry.rows import VersionRow
from modelfleet.store.registry.sql import statements
from modelfleet.store.registry.tx import version_row

MAX_KEPT: Final = 32


class AliasLookup:
    """``(model, alias) -> VersionRow | None`` in one indexed query."""

    def __init__(self, engine: Engine, *, keep_connections: bool) -> None:
        dialect = engine.dialect
        statement = statements(dialect.name).version_by_alias
        compiled = statement.compile(dialect=dialect)
        self._engine = engine
        self._keep = keep_connections
        self._sql = compiled.string
        # Literals such as the "," separator are bound parameters too; keep their values.
        self._params = dict(compiled.construct_params({"model": "", "alias": ""}))
        self._order = tuple(compiled.positiontup or ()) if compiled.positional else None
        columns = list(statement.selected_columns)
        self._names = tuple(str(column.name) for column in columns)
        self._convert: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (index, convert)
            for index, column in enumerate(columns)
            if (convert := column.type.dialect_impl(dialect).result_processor(dialect, None))
        )
        self._dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        self._autocommit = dialect.name == "postgresql"
        self._local = threading.local()
        self._kept: list[tuple[int, PoolProxiedConnection]] = []  # (pid, connection)
        self._kept_lock = threading.Lock()

    def __call__(self, model: str, alias: str) -> VersionRow | None:
        """The version ``alias`` of ``model`` points at, or None."""
        params: dict[str, Any] = {**self._params, "model": model, "alias": alias}
        bound = tuple(params[name] for name in self._order) if self._order is not None else params
        connection = self._connection() if self._keep else None
        if connection is None:
            return self._borrowed(bound)
        try:
            row = self._fetch(connection, bound)
        except self._dbapi_error:
            self._drop()  # maybe the server restarted: one retry on a fresh connection
            return self._borrowed(bound)
        return None if row is None else self._row(row)

    def close(self) -> None:
        """Close the connections threads kept (each thread opens a new one if used again)."""
        with self._kept_lock:
            kept, self._kept = self._kept, []
        for pid, connection in kept:
            if pid == os.getpid():  # a parent's connection is the parent's to close
                with contextlib.suppress(Exception):  # already broken: nothing to release
                    connection.close()

    def _borrowed(self, bound: Any) -> VersionRow | None:
        connection = self._engine.raw_connection()
        try:
            row = self._fetch(connection, bound)
        except self._dbapi_error as exc:
            raise DBAPIError.instance(self._sql, bound, exc, self._dbapi_error) from exc
        finally:
            connection.close()  # back to the pool
        return None if row is None else self._row(row)

    def _fetch(self, connection: PoolProxiedConnection, bound: Any) -> Sequence[Any] | None:
        cursor = connection.cursor()
        try:
            cursor.execute(self._sql, bound)
            row: Sequence[Any] | None = cursor.fetchone()
            return row
        finally:
            cursor.close()

    def _row(self, row: Sequence[Any]) -> VersionRow:
        values = list(row)
        for index, convert in self._convert:
            values[index] = convert(values[index])
        return version_row(values, self._names)

    def _connection(self) -> PoolProxiedConnection | None:
        """This thread's kept connection, opened on first use; None once enough are kept."""
        kept = getattr(self._local, "kept", None)
        if kept is not None and kept[0] == os.getpid():
            connection: PoolProxiedConnection = kept[1]
            return connection
        # A forked child inherits the parent's thread-local but must never use its socket.
        with self._kept_lock:
            if len(self._kept) >= MAX_KEPT:
                return None
        connection = self._engine.raw_connection()
        if self._autocommit:
            connection.rollback()  # a pre-ping may have opened a transaction
            connection.driver_connection.autocommit = True  # type: ignore[union-attr]
        connection.detach()  # ours until close(); the pool's size limits stay for others
        self._local.kept = (os.getpid(), connection)
        with self._kept_lock:
            self._kept.append(self._local.kept)
        return connection

    def _drop(self) -> None:
        """Close and forget this thread's kept connection (the next lookup opens a new one)."""
        kept = getattr(self._local, "kept", None)
        self._local.kept = None
        if kept is not None and kept[0] == os.getpid():
            with self._kept_lock:
                if kept in self._kept:
                    self._kept.remove(kept)
            with contextlib.suppress(Exception):
                kept[1].close()
