"""Who started a fleet run and why, and the signature each tenant run fitted.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

``fleet_runs.actor`` and ``fleet_runs.trigger`` attribute every training to a caller (runs
recorded before this revision read as ``unknown`` / ``manual``); ``runs.signature`` keeps the
model's inputs with the run, so registering it reads no artifact back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the caller columns to fleet runs and the signature to tenant runs."""
    # Plain ADD COLUMN (no batch table rebuild): SQLite and PostgreSQL both take a NOT NULL
    # column with a server default in place, and the runs table's children stay untouched.
    op.add_column(
        "fleet_runs", sa.Column("actor", sa.String(), nullable=False, server_default="unknown")
    )
    op.add_column(
        "fleet_runs", sa.Column("trigger", sa.String(), nullable=False, server_default="manual")
    )
    op.add_column("runs", sa.Column("signature", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the columns again."""
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("signature")
    with op.batch_alter_table("fleet_runs") as batch:
        batch.drop_column("trigger")
        batch.drop_column("actor")
