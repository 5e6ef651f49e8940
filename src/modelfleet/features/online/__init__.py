"""Online feature stores: each entity's latest feature values, read by key at serving time.

Open one by URL with :func:`open_online_store` (SQLite file by default, ``redis://`` to scale
out, ``memory://`` for tests); every backend implements :class:`OnlineStore` and passes one
contract test suite.
"""

from __future__ import annotations

from modelfleet.features.online.backends import open_online_store
from modelfleet.features.online.base import (
    ENTITY_KEY_COLUMN,
    EVENT_TS_COLUMN,
    MaterializedView,
    OnlineRow,
    OnlineStore,
    Scalar,
    ViewKey,
)
from modelfleet.features.online.memory import MemoryOnlineStore
from modelfleet.features.online.sqlite import SQLiteOnlineStore

__all__ = [
    "ENTITY_KEY_COLUMN",
    "EVENT_TS_COLUMN",
    "MaterializedView",
    "MemoryOnlineStore",
    "OnlineRow",
    "OnlineStore",
    "SQLiteOnlineStore",
    "Scalar",
    "ViewKey",
    "open_online_store",
]
