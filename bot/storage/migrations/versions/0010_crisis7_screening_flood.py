"""Screening attempts per message, and flood control shared by every Rasa server.

Revision ID: 0010_crisis7_screening_flood
Revises: 0009_crisis_replied
Create Date: 2026-11-30

``messages.screening_attempts`` counts the retry loop's tries at screening a
stored message, so that one whose screening keeps failing is handed to a
person (paged as ``screening_failed``) instead of retried forever.
``flood_buckets`` moves flood control out of each Rasa server's memory, so
several servers on one database throttle a flooding sender once, not N times.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_crisis7_screening_flood"
down_revision = "0009_crisis_replied"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column(
                "screening_attempts", sa.Integer(), nullable=False, server_default=sa.text("0")
            )
        )
    op.create_table(
        "flood_buckets",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("full_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "address", name=op.f("pk_flood_buckets")),
    )


def downgrade() -> None:
    op.drop_table("flood_buckets")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("screening_attempts")
