"""Model registry: models, versions, their metrics and tags, aliases, events, approvals.

Revision ID: 0002
Revises: 0001
Create Date: 2024-07-01

Tables are spelled out here rather than taken from ``registry/schema.py`` so this revision
stays what it was when later revisions change the tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the registry's tables and indexes."""
    op.create_table(
        "models",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("fleet", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("signature_digest", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_models"),
    )
    op.create_index("ix_models_fleet_tenant", "models", ["fleet", "tenant"], unique=True)

    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("major", sa.Integer(), nullable=False),
        sa.Column("minor", sa.Integer(), nullable=False),
        sa.Column("patch", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=True),
        sa.Column("family", sa.String(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("signature_digest", sa.String(), nullable=False),
        sa.Column("model_digest", sa.String(), nullable=False),
        sa.Column("model_uri", sa.Text(), nullable=False),
        sa.Column("meta_digest", sa.String(), nullable=True),
        sa.Column("holdout_digest", sa.String(), nullable=True),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("baseline_metrics", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("data_fingerprint", sa.String(), nullable=True),
        sa.Column("config_hash", sa.String(), nullable=True),
        sa.Column("code_version", sa.String(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_versions"),
        sa.ForeignKeyConstraint(["model"], ["models.name"], name="fk_model_versions_model_models"),
        sa.UniqueConstraint(
            "model", "major", "minor", "patch", name="uq_model_versions_model_major_minor_patch"
        ),
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_index("ix_model_versions_status", "model_versions", ["status"])

    op.create_table(
        "version_metrics",
        _version_id(),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("version_id", "scope", "key", name="pk_version_metrics"),
        _version_id_fk("version_metrics"),
    )
    op.create_index(
        "ix_version_metrics_scope_key_value", "version_metrics", ["scope", "key", "value"]
    )

    op.create_table(
        "version_tags",
        _version_id(),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "key", name="pk_version_tags"),
        _version_id_fk("version_tags"),
    )
    op.create_index("ix_version_tags_key_value", "version_tags", ["key", "value"])

    op.create_table(
        "aliases",
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("alias", sa.String(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("model", "alias", name="pk_aliases"),
        sa.ForeignKeyConstraint(["model"], ["models.name"], name="fk_aliases_model_models"),
        sa.ForeignKeyConstraint(
            ["version_id"], ["model_versions.id"], name="fk_aliases_version_id_model_versions"
        ),
    )
    op.create_index("ix_aliases_version_id", "aliases", ["version_id"])
    op.create_index("ix_aliases_alias_version_id", "aliases", ["alias", "version_id"])

    op.create_table(
        "model_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("alias", sa.String(), nullable=True),
        sa.Column("from_version", sa.String(), nullable=True),
        sa.Column("to_version", sa.String(), nullable=True),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("batch_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_model_events"),
    )
    op.create_index("ix_model_events_model_id", "model_events", ["model", "id"])
    op.create_index("ix_model_events_batch_id", "model_events", ["batch_id"])

    op.create_table(
        "approvals",
        sa.Column("model", sa.String(), nullable=False),
        _version_id(),
        sa.Column("environment", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("model", "version_id", "environment", name="pk_approvals"),
        sa.ForeignKeyConstraint(["model"], ["models.name"], name="fk_approvals_model_models"),
        _version_id_fk("approvals"),
    )


def _version_id() -> sa.Column[int]:
    return sa.Column("version_id", sa.Integer(), nullable=False)


def _version_id_fk(table: str) -> sa.ForeignKeyConstraint:
    """Rows about a version go with it."""
    return sa.ForeignKeyConstraint(
        ["version_id"],
        ["model_versions.id"],
        name=f"fk_{table}_version_id_model_versions",
        ondelete="CASCADE",
    )


def downgrade() -> None:
    """Drop everything the upgrade created."""
    for name in (
        "approvals",
        "model_events",
        "aliases",
        "version_tags",
        "version_metrics",
        "model_versions",
        "models",
    ):
        op.drop_table(name)
