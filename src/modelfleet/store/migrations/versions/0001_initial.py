"""Initial schema: fleet runs, tenant runs and what they record, tenants.

Revision ID: 0001
Revises:
Create Date: 2024-06-01

Tables are spelled out here rather than taken from ``schema.py`` so this revision stays what
it was when later revisions change the tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table and index of the first schema."""
    op.create_table(
        "fleet_runs",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("fleet", sa.String(), nullable=False),
        sa.Column("environment", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("config_hash", sa.String(), nullable=False),
        sa.Column("succeeded", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rejected", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_fleet_runs"),
    )
    op.create_index("ix_fleet_runs_fleet_started_at", "fleet_runs", ["fleet", "started_at"])
    op.create_index("ix_fleet_runs_started_at", "fleet_runs", ["started_at"])

    op.create_table(
        "runs",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("fleet_run_id", sa.String(), nullable=False),
        sa.Column("fleet", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("environment", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("task_key", sa.String(), nullable=False),
        sa.Column("config_hash", sa.String(), nullable=False),
        sa.Column("data_fingerprint", sa.String(), nullable=True),
        sa.Column("model_family", sa.String(), nullable=False),
        sa.Column("code_version", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(
            ["fleet_run_id"], ["fleet_runs.id"], name="fk_runs_fleet_run_id_fleet_runs"
        ),
    )
    op.create_index("ix_runs_fleet_tenant_started_at", "runs", ["fleet", "tenant", "started_at"])
    op.create_index("ix_runs_fleet_started_at", "runs", ["fleet", "started_at"])
    op.create_index("ix_runs_task_key_status", "runs", ["task_key", "status"])
    op.create_index("ix_runs_fleet_run_id", "runs", ["fleet_run_id"])
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_started_at", "runs", ["started_at"])

    _child_table(
        "params",
        [
            sa.Column("key", sa.String(), nullable=False),
            sa.Column("value", sa.Text(), nullable=True),
            sa.Column("value_type", sa.String(), nullable=False),
        ],
        ["run_id", "key"],
    )
    _child_table(
        "metrics",
        [
            sa.Column("scope", sa.String(), nullable=False),
            sa.Column("key", sa.String(), nullable=False),
            sa.Column("step", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("value", sa.Float(), nullable=True),
        ],
        ["run_id", "scope", "key", "step"],
    )
    _child_table(
        "artifacts",
        [
            sa.Column("name", sa.String(), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(), nullable=False),
            sa.Column("digest", sa.String(), nullable=False),
            sa.Column("uri", sa.Text(), nullable=False),
            sa.Column("size_bytes", sa.Integer(), nullable=False),
        ],
        ["run_id", "name"],
    )
    _child_table(
        "lineage",
        [
            sa.Column("key", sa.String(), nullable=False),
            sa.Column("value", sa.Text(), nullable=False),
        ],
        ["run_id", "key"],
    )
    _child_table(
        "findings",
        [
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("check_name", sa.String(), nullable=False),
            sa.Column("severity", sa.String(), nullable=False),
            sa.Column("column_name", sa.String(), nullable=True),
            sa.Column("count", sa.Integer(), nullable=False),
            sa.Column("message", sa.Text(), nullable=False),
            sa.Column("examples", sa.Text(), nullable=False),
        ],
        ["run_id", "position"],
    )
    _child_table(
        "trials",
        [
            sa.Column("number", sa.Integer(), nullable=False),
            sa.Column("value", sa.Float(), nullable=True),
            sa.Column("state", sa.String(), nullable=False),
            sa.Column("params", sa.Text(), nullable=False),
        ],
        ["run_id", "number"],
    )

    op.create_table(
        "tenants",
        sa.Column("fleet", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("first_seen_at", TIMESTAMP, nullable=False),
        sa.Column("last_run_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("fleet", "tenant", name="pk_tenants"),
    )


def _child_table(name: str, columns: list[sa.Column[object]], key: list[str]) -> None:
    """A table of per-run rows keyed by (run_id, ...), deleted with its run."""
    op.create_table(
        name,
        sa.Column("run_id", sa.String(), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint(*key, name=f"pk_{name}"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=f"fk_{name}_run_id_runs", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    """Drop everything the upgrade created."""
    for name in ("tenants", "trials", "findings", "lineage", "artifacts", "metrics", "params"):
        op.drop_table(name)
    op.drop_table("runs")
    op.drop_table("fleet_runs")
