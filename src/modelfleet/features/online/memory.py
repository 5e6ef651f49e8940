"""The in-memory online store: for users' tests and throwaway runs, part of the public API.

``MemoryOnlineStore("name")`` (URL ``memory://name``) shares its data with every other store of
the same name in this process, so code that opens the store twice (materialize, then serve) sees
one store, as with a SQLite file. The data lives until the process ends or the views are
dropped: give each test its own name. ``MemoryOnlineStore()`` (URL ``memory://``) is private to
that one object. All methods are thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from modelfleet.errors import OnlineStoreError
from modelfleet.features.online.base import MaterializedView, OnlineRow, Scalar, ViewKey
from modelfleet.features.online.codec import (
    Column,
    conform,
    decode_table,
    now_us,
    positions,
    to_datetime,
)


@dataclass
class _View:
    """One view version: its columns (None before the first write) and each entity's row."""

    columns: tuple[Column, ...] | None
    rows: dict[str, tuple[int, tuple[Scalar, ...]]] = field(default_factory=dict)
    watermark: int | None = None
    updated_at: int = 0


@dataclass
class _Space:
    """The views of one named store, with the lock every store object on it shares."""

    views: dict[ViewKey, _View] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_SHARED: dict[str, _Space] = {}
_SHARED_LOCK = threading.Lock()


def _space(name: str) -> _Space:
    """The shared space of ``name``, or a private one for the empty name."""
    if not name:
        return _Space()
    with _SHARED_LOCK:
        return _SHARED.setdefault(name, _Space())


class MemoryOnlineStore:
    """Latest feature values per entity in a Python dict; same contract as SQLite and Redis."""

    def __init__(self, name: str = "") -> None:
        """Open the store called ``name`` (shared in this process), or a private one if empty."""
        self.url = f"memory://{name}"
        self._space: _Space | None = _space(name)

    def _open(self) -> _Space:
        if self._space is None:
            raise OnlineStoreError(f"online store {self.url} is closed; open a new one")
        return self._space

    def write(self, view: ViewKey, table: pa.Table) -> int:
        """Upsert rows; an entity's row is replaced only by an equal or newer event time."""
        batch = decode_table(view, table)
        space = self._open()
        with space.lock:
            held = space.views.get(view)
            batch = conform(view, held.columns if held else None, batch)
            if held is None:
                held = space.views[view] = _View(batch.columns)
            held.columns = batch.columns
            written = 0
            for key, ts, values in batch.rows():
                current = held.rows.get(key)
                if current is None or ts >= current[0]:
                    held.rows[key] = (ts, values)
                    written += 1
            held.updated_at = now_us()
            return written

    def read(
        self, view: ViewKey, columns: Sequence[str], keys: Sequence[str]
    ) -> list[OnlineRow | None]:
        """Rows for ``keys`` in order; None for absent entities and for unwritten views."""
        space = self._open()
        with space.lock:
            held = space.views.get(view)
            if held is None or held.columns is None or not keys:
                return [None] * len(keys)
            wanted = positions(view, held.columns, columns)
            result: list[OnlineRow | None] = []
            for key in keys:
                row = held.rows.get(key)
                if row is None:
                    result.append(None)
                else:
                    result.append(OnlineRow(row[0], tuple(row[1][p] for p in wanted)))
            return result

    def set_watermark(self, view: ViewKey, watermark: int) -> None:
        """Record the newest materialized event time (also for a view never written)."""
        space = self._open()
        with space.lock:
            held = space.views.setdefault(view, _View(None))
            held.watermark = watermark
            held.updated_at = now_us()

    def views(self) -> list[MaterializedView]:
        """Every view version held, sorted by name then version."""
        space = self._open()
        with space.lock:
            found = [
                MaterializedView(
                    name=key.name,
                    version=key.version,
                    columns=tuple(name for name, _ in held.columns or ()),
                    rows=len(held.rows),
                    watermark=held.watermark,
                    updated_at=to_datetime(held.updated_at),
                )
                for key, held in space.views.items()
            ]
        return sorted(found, key=lambda item: (item.name, item.version))

    def drop(self, view: ViewKey) -> None:
        """Forget one view version (no error if absent)."""
        space = self._open()
        with space.lock:
            space.views.pop(view, None)

    def close(self) -> None:
        """Detach this object; the named store's data stays for other objects of that name."""
        self._space = None
