"""The metadata store's tables, written with SQLAlchemy Core.

Core tables (not ORM classes) because the hot path is bulk inserts of thousands of rows per
call: ``executemany`` over Core ``insert()`` statements avoids the ORM's per-row bookkeeping.
The model registry's tables live in :mod:`.registry.schema` on the same :data:`metadata`. The
Alembic migrations in ``migrations/versions`` create exactly these tables; a test compares
them so the two never drift apart.

Enumerated columns (statuses, metric scopes) carry no CHECK constraints on purpose: adding a
value later would need a table rebuild on SQLite. The row dataclasses in :mod:`.rows` validate
them instead, and they are the only way rows get in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the backend stores.

    PostgreSQL keeps ``timestamptz``; SQLite keeps text without an offset, so values are
    normalised to UTC on the way in and get ``tzinfo=UTC`` back on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes (their zone is a guess) and store everything as UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given: pass a timezone-aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _run_id_fk() -> Column[str]:
    # Child rows disappear with their run; the FK also rejects rows for unknown runs.
    return Column(
        "run_id",
        String,
        ForeignKey("runs.id", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    )


fleet_runs = Table(
    "fleet_runs",
    metadata,
    Column("id", String, primary_key=True),
    Column("fleet", String, nullable=False),
    Column("environment", String, nullable=False),
    Column("status", String, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("config_hash", String, nullable=False),
    Column("succeeded", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("skipped", Integer, nullable=False, server_default="0"),
    Column("actor", String, nullable=False, server_default="unknown"),
    Column("trigger", String, nullable=False, server_default="manual"),
    # The lease: who runs it and when it last said so; a dead owner cannot leave it running.
    Column("owner_host", String, nullable=True),
    Column("owner_pid", Integer, nullable=True),
    Column("heartbeat_at", UTCDateTime, nullable=True),
    Column("planned", Integer, nullable=True),  # tenants the run set out to record
    Index(None, "fleet", "started_at"),
    Index(None, "started_at"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String, primary_key=True),
    Column("fleet_run_id", String, ForeignKey("fleet_runs.id"), nullable=False),
    Column("fleet", String, nullable=False),
    Column("tenant", String, nullable=False),
    Column("environment", String, nullable=False),
    Column("status", String, nullable=False),
    Column("task_key", String, nullable=False),
    Column("config_hash", String, nullable=False),
    Column("data_fingerprint", String, nullable=True),
    Column("model_family", String, nullable=False),
    Column("code_version", String, nullable=True),
    Column("reason", Text, nullable=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("duration_seconds", Float, nullable=False),
    Column("signature", Text, nullable=True),
    # Sized for fleets of 10,000 tenants: history of one tenant, resume checks by task key,
    # the runs of one fleet run, status filters and newest-first listings.
    Index(None, "fleet", "tenant", "started_at"),
    Index(None, "fleet", "started_at"),
    Index(None, "task_key", "status"),
    Index(None, "fleet_run_id"),
    Index(None, "status"),
    Index(None, "started_at"),
)

# Child tables key on (run_id, ...): the primary key doubles as the run_id index, so bulk
# inserts maintain one B-tree per table instead of two.
params = Table(
    "params",
    metadata,
    _run_id_fk(),
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=True),
    Column("value_type", String, nullable=False),
)

metrics = Table(
    "metrics",
    metadata,
    _run_id_fk(),
    Column("scope", String, primary_key=True),
    Column("key", String, primary_key=True),
    Column("step", Integer, primary_key=True, server_default="0"),
    # Nullable because SQLite stores NaN as NULL; readers turn NULL back into NaN.
    Column("value", Float, nullable=True),
)

artifacts = Table(
    "artifacts",
    metadata,
    _run_id_fk(),
    Column("name", String, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("kind", String, nullable=False),
    Column("digest", String, nullable=False),
    Column("uri", Text, nullable=False),
    Column("size_bytes", Integer, nullable=False),
)

lineage = Table(
    "lineage",
    metadata,
    _run_id_fk(),
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)

# ``check`` and ``column`` are reserved words in SQL; the ``_name`` suffix spares anyone
# querying the database by hand from quoting them.
findings = Table(
    "findings",
    metadata,
    _run_id_fk(),
    Column("position", Integer, primary_key=True),
    Column("check_name", String, nullable=False),
    Column("severity", String, nullable=False),
    Column("column_name", String, nullable=True),
    Column("count", Integer, nullable=False),
    Column("message", Text, nullable=False),
    Column("examples", Text, nullable=False),
)

# One row per tuning trial; its parameters stay together as JSON because they are only ever
# read back as a whole and differ from trial to trial.
trials = Table(
    "trials",
    metadata,
    _run_id_fk(),
    Column("number", Integer, primary_key=True),
    Column("value", Float, nullable=True),
    Column("state", String, nullable=False),
    Column("params", Text, nullable=False),
)

tenants = Table(
    "tenants",
    metadata,
    Column("fleet", String, primary_key=True),
    Column("tenant", String, primary_key=True),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_run_at", UTCDateTime, nullable=False),
)

CHILD_TABLES: tuple[Table, ...] = (params, metrics, artifacts, lineage, findings, trials)
