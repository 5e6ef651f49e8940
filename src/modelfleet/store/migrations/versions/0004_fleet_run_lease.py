"""A fleet run is a lease: its owner (host, pid), a heartbeat, and how many tenants it planned.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

A run whose owner died can then be told apart from one still working, and shown (and marked)
interrupted with its tenants done and left. Rows from before this revision have no owner.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the lease columns to fleet runs (all nullable: old rows have no owner)."""
    op.add_column("fleet_runs", sa.Column("owner_host", sa.String(), nullable=True))
    op.add_column("fleet_runs", sa.Column("owner_pid", sa.Integer(), nullable=True))
    op.add_column(
        "fleet_runs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("fleet_runs", sa.Column("planned", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop the lease columns."""
    with op.batch_alter_table("fleet_runs") as batch:
        for name in ("planned", "heartbeat_at", "owner_pid", "owner_host"):
            batch.drop_column(name)
