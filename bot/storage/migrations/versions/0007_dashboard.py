"""Dashboard: staff login sessions, therapist take-overs, messages written by a therapist.

Revision ID: 0007_dashboard
Revises: 0002_escalation_lifecycle
Create Date: 2026-11-30

Values are spelled out (migrations are history). SQLite alters tables in
batch mode (copy and swap).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_dashboard"
down_revision = "0006_reminders"
branch_labels = None
depends_on = None

END_REASONS = "end_reason IN ('handed_back', 'timed_out')"


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column(
            "therapist_id",
            sa.Integer(),
            sa.ForeignKey(
                "therapists.id",
                ondelete="CASCADE",
                name=op.f("fk_staff_sessions_therapist_id_therapists"),
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    op.create_index(op.f("ix_staff_sessions_therapist_id"), "staff_sessions", ["therapist_id"])
    op.create_table(
        "takeovers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "client_id",
            sa.Integer(),
            sa.ForeignKey(
                "clients.id", ondelete="CASCADE", name=op.f("fk_takeovers_client_id_clients")
            ),
            nullable=False,
        ),
        sa.Column(
            "therapist_id",
            sa.Integer(),
            sa.ForeignKey("therapists.id", name=op.f("fk_takeovers_therapist_id_therapists")),
            nullable=False,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takeovers")),
        sa.CheckConstraint(END_REASONS, name=op.f("ck_takeovers_end_reason_valid")),
    )
    op.create_index(op.f("ix_takeovers_client_id_ended_at"), "takeovers", ["client_id", "ended_at"])
    op.create_index(
        op.f("ix_takeovers_ended_at_expires_at"), "takeovers", ["ended_at", "expires_at"]
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("from_therapist_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_messages_from_therapist_id_therapists"),
            "therapists",
            ["from_therapist_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f("fk_messages_from_therapist_id_therapists"), type_="foreignkey")
        batch.drop_column("from_therapist_id")
    op.drop_index(op.f("ix_takeovers_ended_at_expires_at"), table_name="takeovers")
    op.drop_index(op.f("ix_takeovers_client_id_ended_at"), table_name="takeovers")
    op.drop_table("takeovers")
    op.drop_index(op.f("ix_staff_sessions_therapist_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
