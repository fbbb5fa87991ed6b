"""Skills conversations: the channel and progress of a practice, and chain analyses.

Revision ID: 0008_skills_practice
Revises: 0007_dashboard
Create Date: 2026-11-30

A therapist reading a practice wants to know where the client was (SMS,
Telegram) and how far they got; a chain analysis is saved answer by answer so
that a paused one is never lost. Values are spelled out (migrations are history).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_skills_practice"
down_revision = "0007_dashboard"
branch_labels = None
depends_on = None

CHANNELS = ("sms", "telegram", "local")
#: The chain analysis's answers, in the order they are asked.
CHAIN_FIELDS = (
    "vulnerabilities",
    "prompting_event",
    "links",
    "behavior",
    "consequences",
    "skills",
    "repair",
)


def upgrade() -> None:
    listed = ", ".join(f"'{channel}'" for channel in CHANNELS)
    with op.batch_alter_table("skill_practices") as batch:
        batch.add_column(sa.Column("channel", sa.String(16), nullable=True))
        batch.add_column(sa.Column("steps_done", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("steps_skipped", sa.Integer(), nullable=False, server_default="0")
        )
        batch.create_check_constraint(
            op.f("ck_skill_practices_channel_valid"), f"channel IN ({listed})"
        )

    op.create_table(
        "chain_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        *(sa.Column(field, sa.Text(), nullable=True) for field in CHAIN_FIELDS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_analyses")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_chain_analyses_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(f"channel IN ({listed})", name=op.f("ck_chain_analyses_channel_valid")),
    )
    op.create_index(
        op.f("ix_chain_analyses_client_id_started_at"),
        "chain_analyses",
        ["client_id", "started_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_chain_analyses_client_id_started_at"), table_name="chain_analyses")
    op.drop_table("chain_analyses")
    with op.batch_alter_table("skill_practices") as batch:
        batch.drop_constraint(op.f("ck_skill_practices_channel_valid"), type_="check")
        batch.drop_column("steps_skipped")
        batch.drop_column("steps_done")
        batch.drop_column("channel")
