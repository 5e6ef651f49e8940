"""Ground truth that arrives after serving: one actual per (fleet, tenant, timestamp).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the actuals table and its index."""
    op.create_table(
        "actuals",
        sa.Column("fleet", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("request_id", sa.String(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("fleet", "tenant", "ts", name="pk_actuals"),
    )
    op.create_index("ix_actuals_fleet_received_at", "actuals", ["fleet", "received_at"])


def downgrade() -> None:
    """Drop the actuals table."""
    op.drop_table("actuals")
