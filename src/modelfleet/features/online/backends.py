"""Open an online store by URL: the one table mapping URL schemes to backends.

``memory://name`` (in-process), ``sqlite:///path/online.db`` (the default; SQLAlchemy's
convention: three slashes and a relative path, four for an absolute one), a bare file path
(SQLite too), ``redis://host:port/db`` and ``rediss://`` (TLS). Moving to Redis is a settings
change, never a code change; the Redis client is imported only when a Redis URL is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from modelfleet.errors import ConfigError
from modelfleet.features.online.base import OnlineStore
from modelfleet.features.online.memory import MemoryOnlineStore
from modelfleet.features.online.sqlite import SQLiteOnlineStore

SUPPORTED_FORMS = (
    "sqlite:///path/to/online.db",
    "a file path",
    "memory://name",
    "redis://host:6379/0",
    "rediss://host:6380/0",
)


def _open_memory(url: str) -> OnlineStore:
    return MemoryOnlineStore(url[len("memory://") :])


def _open_sqlite(url: str) -> OnlineStore:
    if not url.startswith("sqlite:///") or len(url) == len("sqlite:///"):
        raise ConfigError(
            f"online store URL {url!r} names no file; write sqlite:///relative/online.db or "
            "sqlite:////absolute/online.db, or use memory:// for a throwaway store"
        )
    path = url[len("sqlite:///") :]
    if "?" in path:
        raise ConfigError(
            f"online store URL {url!r} has options after '?'; SQLite online store URLs take "
            "none: remove them"
        )
    return SQLiteOnlineStore(path if path == ":memory:" else Path(path).expanduser())


def _open_redis(url: str) -> OnlineStore:
    try:
        from modelfleet.features.online.redis import RedisOnlineStore
    except ImportError as exc:
        raise ConfigError(
            f"the online store URL {url.split('://', 1)[0]}://... needs the redis package "
            f"({exc}); install it with: pip install 'modelfleet[redis]'"
        ) from exc
    return RedisOnlineStore(url)


BACKENDS: dict[str, Callable[[str], OnlineStore]] = {
    "memory": _open_memory,
    "sqlite": _open_sqlite,
    "redis": _open_redis,
    "rediss": _open_redis,
}


def open_online_store(url: str) -> OnlineStore:
    """Return the online store for ``url``, chosen by its scheme only (see the module docstring).

    A URL without ``://`` is a SQLite file path, so the default needs no URL syntax at all;
    an unknown scheme raises ConfigError listing the supported forms.
    """
    text = url.strip()
    if not text:
        raise ConfigError(f"empty online store URL; use one of: {', '.join(SUPPORTED_FORMS)}")
    if "://" not in text:
        return SQLiteOnlineStore(Path(text).expanduser())
    scheme = text.split("://", 1)[0].lower()
    factory = BACKENDS.get(scheme)
    if factory is None:
        shown = text if "@" not in text else f"{scheme}://..."
        raise ConfigError(
            f"online store URL {shown!r} uses the unknown scheme {scheme!r}; known schemes: "
            f"{', '.join(sorted(BACKENDS))} (forms: {', '.join(SUPPORTED_FORMS)})"
        )
    return factory(text)
