"""Run-time traffic settings: one row per (model, environment) replacing the spec's routing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the traffic table."""
    op.create_table(
        "traffic",
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("environment", sa.String(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("challenger", sa.String(), nullable=False),
        sa.Column("share", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("model", "environment", name="pk_traffic"),
    )


def downgrade() -> None:
    """Drop the traffic table."""
    op.drop_table("traffic")
