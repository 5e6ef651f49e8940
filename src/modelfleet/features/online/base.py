"""The online store protocol: latest feature values per entity, looked up by key in microseconds.

Materialization writes one row per entity (its latest feature values and their event time) for a
given view *version*; serving reads them back by entity key. Every backend (in-memory, SQLite
file, Redis) implements :class:`OnlineStore` and passes the same contract test suite.

Values crossing this border are plain scalars (``None``, ``bool``, ``int``, ``float``, ``str``);
timestamps travel as integer microseconds since the Unix epoch (UTC). Converting Arrow columns to
and from these is the feature store service's job, not the backend's. A float NaN is stored as
None (SQLite cannot hold NaN). A view version's columns and their kinds are fixed by its first
write; a write with other columns raises FeatureError (use a new version, or drop this one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

import pyarrow as pa

Scalar = None | bool | int | float | str

ENTITY_KEY_COLUMN = "__entity_key"
EVENT_TS_COLUMN = "__event_ts"


@dataclass(frozen=True)
class ViewKey:
    """One version of one feature view: rows of different versions never mix."""

    name: str
    version: str


class OnlineRow(NamedTuple):
    """An entity's stored row: event time (µs since epoch, UTC) and values in the asked order."""

    event_ts: int
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class MaterializedView:
    """What an online store holds for one view version."""

    name: str
    version: str
    columns: tuple[str, ...]
    rows: int
    watermark: int | None  # µs since epoch of the newest event materialized, None if never
    updated_at: datetime | None


class OnlineStore(Protocol):
    """Latest feature values per entity, per view version."""

    url: str

    def write(self, view: ViewKey, table: pa.Table) -> int:
        """Upsert rows; a stored row is replaced only by one with an equal or newer event time.

        ``table`` has ``__entity_key`` (string), ``__event_ts`` (int64 µs) and then the feature
        columns (int64, float64, bool or string). Returns the number of rows stored: rows
        skipped because the entity already holds a newer event are not counted. Writing an
        empty table creates the view version (with its columns) if it does not exist.
        """
        ...

    def read(
        self, view: ViewKey, columns: Sequence[str], keys: Sequence[str]
    ) -> list[OnlineRow | None]:
        """Rows for ``keys`` in the same order (None where an entity is absent).

        A view version never written (or dropped) reads as all None rather than an error, so
        serving can start before the first materialization. Asking for a column the view
        version does not have raises FeatureError; duplicate keys are answered in place.
        """
        ...

    def set_watermark(self, view: ViewKey, watermark: int) -> None:
        """Record that events up to ``watermark`` (µs) are materialized for this view version.

        Also valid for a version never written (a materialization that found no rows still
        records its progress): :meth:`views` then lists it with no columns and 0 rows, and its
        first write sets the columns. The watermark may move backwards (for a backfill).
        """
        ...

    def views(self) -> list[MaterializedView]:
        """Every view version this store holds, sorted by name then version."""
        ...

    def drop(self, view: ViewKey) -> None:
        """Delete one view version's rows and metadata (no error if absent)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
