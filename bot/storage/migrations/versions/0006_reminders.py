"""Reminders that are never lost or doubled: re-engagement and check-in kinds,
delivery claims and retries, check-in answers, and the scheduler lease.

Revision ID: 0006_reminders
Revises: 0001
Create Date: 2026-11-30

Values are spelled out here rather than imported from ``bot.storage``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_reminders"
down_revision = "0004_safety_followup"
branch_labels = None
depends_on = None

OLD_KINDS = ("diary", "practice", "homework", "session")
NEW_KINDS = (*OLD_KINDS, "reengage", "checkin")
OLD_STATUSES = ("pending", "sent", "skipped")
NEW_STATUSES = ("pending", "sending", "sent", "skipped")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _utc(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("after_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
        batch.add_column(_utc("materialised_until"))
        batch.create_foreign_key(
            op.f("fk_reminders_created_by_therapists"), "therapists", ["created_by"], ["id"]
        )
        batch.drop_constraint(op.f("ck_reminders_kind_valid"), type_="check")
        batch.create_check_constraint(op.f("ck_reminders_kind_valid"), _in("kind", NEW_KINDS))
        batch.create_check_constraint(
            op.f("ck_reminders_after_days_positive"), "after_days IS NULL OR after_days > 0"
        )
    with op.batch_alter_table("reminder_deliveries") as batch:
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(_utc("next_attempt_at"))
        batch.add_column(_utc("claimed_at"))
        batch.add_column(sa.Column("skip_reason", sa.String(32), nullable=True))
        batch.add_column(sa.Column("answer", sa.Text(), nullable=True))
        batch.add_column(_utc("answered_at"))
        batch.drop_constraint(op.f("ck_reminder_deliveries_status_valid"), type_="check")
        batch.create_check_constraint(
            op.f("ck_reminder_deliveries_status_valid"), _in("status", NEW_STATUSES)
        )
        batch.create_check_constraint(
            op.f("ck_reminder_deliveries_attempts_not_negative"), "attempts >= 0"
        )
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_leases")
    op.execute("DELETE FROM reminder_deliveries WHERE status = 'sending'")
    op.execute("DELETE FROM reminders WHERE kind IN ('reengage', 'checkin')")
    with op.batch_alter_table("reminder_deliveries") as batch:
        batch.drop_constraint(op.f("ck_reminder_deliveries_attempts_not_negative"), type_="check")
        batch.drop_constraint(op.f("ck_reminder_deliveries_status_valid"), type_="check")
        batch.create_check_constraint(
            op.f("ck_reminder_deliveries_status_valid"), _in("status", OLD_STATUSES)
        )
        for column in ("answered_at", "answer", "skip_reason", "claimed_at", "next_attempt_at"):
            batch.drop_column(column)
        batch.drop_column("attempts")
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint(op.f("ck_reminders_after_days_positive"), type_="check")
        batch.drop_constraint(op.f("ck_reminders_kind_valid"), type_="check")
        batch.create_check_constraint(op.f("ck_reminders_kind_valid"), _in("kind", OLD_KINDS))
        batch.drop_constraint(op.f("fk_reminders_created_by_therapists"), type_="foreignkey")
        for column in ("materialised_until", "created_by", "after_days", "text"):
            batch.drop_column(column)
