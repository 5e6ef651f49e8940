"""The autopilot's actions and its lock per fleet and environment.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the autopilot_actions and autopilot_locks tables."""
    op.create_table(
        "autopilot_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pass_id", sa.String(), nullable=False),
        sa.Column("fleet", sa.String(), nullable=False),
        sa.Column("environment", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_autopilot_actions"),
    )
    op.create_index(
        "ix_autopilot_actions_fleet_environment_tenant",
        "autopilot_actions",
        ["fleet", "environment", "tenant"],
    )
    op.create_index("ix_autopilot_actions_status", "autopilot_actions", ["status"])
    op.create_table(
        "autopilot_locks",
        sa.Column("fleet", sa.String(), nullable=False),
        sa.Column("environment", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("fleet", "environment", name="pk_autopilot_locks"),
    )


def downgrade() -> None:
    """Drop the autopilot tables."""
    op.drop_table("autopilot_locks")
    op.drop_table("autopilot_actions")
