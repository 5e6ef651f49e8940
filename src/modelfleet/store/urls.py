"""Store URLs: which schemes are supported and which SQLAlchemy driver each one maps to.

Backends are chosen by URL, never by code: ``sqlite:///path.db`` (the embedded default),
``sqlite://`` (in memory, for tests) and ``postgresql://...`` (teams). The table below is the
one place that lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from modelfleet.errors import StoreError
from modelfleet.quoting import excerpt, redact_url

# scheme a user writes -> SQLAlchemy drivername. PostgreSQL always goes through psycopg 3,
# the driver modelfleet depends on; bare "postgresql" would pick psycopg2 otherwise.
DRIVERS: dict[str, str] = {
    "sqlite": "sqlite+pysqlite",
    "sqlite+pysqlite": "sqlite+pysqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}

SUPPORTED_FORMS = (
    "sqlite:///path/to/file.db",
    "sqlite:// (in memory)",
    "postgresql://user:password@host:5432/database",
)


@dataclass(frozen=True)
class StoreURL:
    """A parsed store URL: the SQLAlchemy URL to connect with and how to show it to people."""

    url: URL
    # What the user wrote (password masked): the form they will recognise in messages.
    display: str

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    @property
    def is_memory(self) -> bool:
        """True for an in-memory SQLite database, which lives as long as its one connection."""
        database = self.url.database or ""
        return self.backend == "sqlite" and database in ("", ":memory:")

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of a SQLite URL, or None for memory and other backends."""
        if self.backend != "sqlite" or self.is_memory:
            return None
        return Path(self.url.database or "").expanduser()


def parse_store_url(text: str) -> StoreURL:
    """Parse and normalise a store URL; raise StoreError naming the URL and supported schemes."""
    try:
        url = make_url(text.strip())
    except ArgumentError:
        # SQLAlchemy's own message repeats the whole URL, password included: not shown.
        raise StoreError(
            f"metadata store URL {excerpt(redact_url(text.strip()), 120)} cannot be parsed; "
            f"use one of: {', '.join(SUPPORTED_FORMS)}"
        ) from None
    driver = DRIVERS.get(url.drivername)
    # SQLAlchemy hides the userinfo password; redact_url also hides secrets in the query
    # (libpq accepts ?password=...).
    shown = redact_url(url.render_as_string(hide_password=True))
    if driver is None:
        raise StoreError(
            f"metadata store URL {excerpt(shown, 120)} uses the unsupported scheme "
            f"{excerpt(url.drivername)}; use one of: {', '.join(SUPPORTED_FORMS)}"
        )
    return StoreURL(url.set(drivername=driver), shown)
