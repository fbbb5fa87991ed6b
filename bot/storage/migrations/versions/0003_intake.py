"""Intake: when each inbound message was screened and handed to the assistant.

Revision ID: 0003_intake
Revises: 0001
Create Date: 2026-11-30

``screened_at`` is NULL until the crisis detector's result has been applied
(escalation included), so a message stored by a process that failed or died
before screening is found and screened by the retry loop. ``handed_off_at``
is when a Rasa server last took the message; a claim older than the lease is
taken over. Inbound messages already stored were screened as they arrived.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_intake"
down_revision = "0002_escalation_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("screened_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("handed_off_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE messages SET screened_at = created_at, handed_off_at = created_at "
        "WHERE direction = 'inbound'"
    )
    op.create_index("ix_messages_direction_screened_at", "messages", ["direction", "screened_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_direction_screened_at", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("handed_off_at")
        batch.drop_column("screened_at")
