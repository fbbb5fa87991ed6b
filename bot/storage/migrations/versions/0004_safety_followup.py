"""The safety question each client was last asked, so its answer is screened without Rasa.

Revision ID: 0004_safety_followup
Revises: 0001
Create Date: 2026-11-30

Values are spelled out here rather than imported from ``bot.storage``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_safety_followup"
down_revision = "0003_intake"
branch_labels = None
depends_on = None

KINDS = (
    "check_in",
    "urge_suicide",
    "urge_self_harm",
    "self_harm_today",
    "self_harm_care",
    "safe_now",
)
TABLE = "pending_safety_questions"


def upgrade() -> None:
    listed = ", ".join(f"'{kind}'" for kind in KINDS)
    op.create_table(
        TABLE,
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f(f"pk_{TABLE}")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f(f"fk_{TABLE}_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(f"kind IN ({listed})", name=op.f(f"ck_{TABLE}_kind_valid")),
    )


def downgrade() -> None:
    op.drop_table(TABLE)
