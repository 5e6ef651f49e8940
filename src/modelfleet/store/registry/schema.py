"""The model registry's tables: models, their versions, aliases, events and approvals.

They share :data:`modelfleet.store.schema.metadata`, so migrations, the schema comparison test
and Alembic's autogenerate see them with the run tables. Migration ``0002_registry`` creates
exactly these.

Versions are immutable once written (a metadata change is a new PATCH version), which is why a
version row also carries its metrics and tags as JSON text: resolving a reference reads one row
and never has to join. ``version_metrics`` and ``version_tags`` repeat the same values as
indexed rows for search ("every prod version whose wmape > 0.3").
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from modelfleet.store.schema import UTCDateTime, metadata


def _version_fk(*, primary_key: bool) -> Column[int]:
    # Rows about a version disappear with it (delete_version); events refer to versions by
    # number instead, so they survive.
    return Column(
        "version_id",
        Integer,
        ForeignKey("model_versions.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


models = Table(
    "models",
    metadata,
    Column("name", String, primary_key=True),  # "<fleet>/<tenant>"
    Column("fleet", String, nullable=False),
    Column("tenant", String, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Signature digest of the newest registered version: decides MAJOR vs MINOR for the next
    # registration even after that version was deleted.
    Column("signature_digest", String, nullable=False),
    # The unique index doubles as the index on fleet alone (its leading column).
    Index(None, "fleet", "tenant", unique=True),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String, ForeignKey("models.name"), nullable=False),
    Column("major", Integer, nullable=False),
    Column("minor", Integer, nullable=False),
    Column("patch", Integer, nullable=False),
    Column("status", String, nullable=False),
    Column("run_id", String, nullable=True),
    Column("family", String, nullable=False),
    Column("signature", Text, nullable=False),
    Column("signature_digest", String, nullable=False),
    Column("model_digest", String, nullable=False),
    Column("model_uri", Text, nullable=False),
    Column("meta_digest", String, nullable=True),
    Column("holdout_digest", String, nullable=True),
    Column("metrics", Text, nullable=False),
    Column("baseline_metrics", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("data_fingerprint", String, nullable=True),
    Column("config_hash", String, nullable=True),
    Column("code_version", String, nullable=True),
    Column("description", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String, nullable=False),
    # Also the index for "latest version of a model" (scanned backwards).
    UniqueConstraint("model", "major", "minor", "patch"),
    Index(None, "run_id"),
    Index(None, "status"),
)

version_metrics = Table(
    "version_metrics",
    metadata,
    _version_fk(primary_key=True),
    Column("scope", String, primary_key=True),  # candidate | baseline
    Column("key", String, primary_key=True),
    Column("value", Float, nullable=True),  # NULL for NaN: it matches no threshold
    Index(None, "scope", "key", "value"),
)

version_tags = Table(
    "version_tags",
    metadata,
    _version_fk(primary_key=True),
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
    Index(None, "key", "value"),
)

aliases = Table(
    "aliases",
    metadata,
    Column("model", String, ForeignKey("models.name"), primary_key=True),
    Column("alias", String, primary_key=True),
    # No cascade: a version an alias points at cannot be deleted (the registry checks first).
    Column("version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "version_id"),
    # "Every version in prod": one range of this index instead of a scan of all aliases.
    Index(None, "alias", "version_id"),
)

model_events = Table(
    "model_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String, nullable=False),  # no FK: history outlives deleted versions
    Column("kind", String, nullable=False),
    Column("alias", String, nullable=True),
    Column("from_version", String, nullable=True),  # "1.2.0"
    Column("to_version", String, nullable=True),
    Column("from_status", String, nullable=True),
    Column("to_status", String, nullable=True),
    Column("actor", String, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("batch_id", String, nullable=True),
    Index(None, "model", "id"),
    Index(None, "batch_id"),
)

approvals = Table(
    "approvals",
    metadata,
    Column("model", String, ForeignKey("models.name"), primary_key=True),
    _version_fk(primary_key=True),
    Column("environment", String, primary_key=True),
    Column("actor", String, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
)

REGISTRY_TABLES: tuple[Table, ...] = (
    models,
    model_versions,
    version_metrics,
    version_tags,
    aliases,
    model_events,
    approvals,
)
