"""Escalation lifecycle: who acknowledged and resolved, a timeline of every step,
one active escalation per client, paging rounds that repeat, admins and
acknowledgers as page tiers, demo staff marked, an outbox with a crisis lane
and send leases, and the scheduler's heartbeat.

Revision ID: 0002_escalation_lifecycle
Revises: 0001
Create Date: 2026-11-30

Values are spelled out (migrations are history). SQLite alters tables in
batch mode (copy and swap); partial unique indexes work on both backends.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_escalation_lifecycle"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_TIERS = ("primary", "backup", "crisis_line")
NEW_TIERS = ("primary", "backup", "crisis_line", "acknowledger", "admin")
LANES = ("crisis", "normal")
ACTIVE_WHERE = "status IN ('open', 'acknowledged')"


def _tier_check(tiers: tuple[str, ...]) -> str:
    return "tier IN ({})".format(", ".join(f"'{tier}'" for tier in tiers))


def upgrade() -> None:
    with op.batch_alter_table("therapists") as batch:
        batch.add_column(
            sa.Column("is_demo", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Accounts seeded by `wisemind demo seed` before this revision.
    op.execute("UPDATE therapists SET is_demo = TRUE WHERE email LIKE '%@demo.clinic'")

    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("acknowledged_via", sa.String(16), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("next_round_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_escalations_resolved_by_therapists"), "therapists", ["resolved_by"], ["id"]
        )
    # Before the unique index: keep only the newest active escalation of each client.
    op.execute(
        "UPDATE escalations SET status = 'resolved', resolution_note = 'merged by migration' "
        f"WHERE {ACTIVE_WHERE} AND id NOT IN (SELECT MAX(id) FROM escalations "
        f"WHERE {ACTIVE_WHERE} GROUP BY client_id)"
    )
    op.create_index(
        op.f("uq_escalations_active_client_id"),
        "escalations",
        ["client_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_WHERE),
        postgresql_where=sa.text(ACTIVE_WHERE),
    )
    op.create_index(
        op.f("ix_escalations_status_next_round_at"), "escalations", ["status", "next_round_at"]
    )

    op.create_table(
        "escalation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_events")),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_events_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"],
            ["therapists.id"],
            name=op.f("fk_escalation_events_therapist_id_therapists"),
        ),
    )
    op.create_index(
        op.f("ix_escalation_events_escalation_id_at"), "escalation_events", ["escalation_id", "at"]
    )

    with op.batch_alter_table("pages") as batch:
        batch.drop_constraint(op.f("ck_pages_tier_valid"), type_="check")
        batch.create_check_constraint(op.f("ck_pages_tier_valid"), _tier_check(NEW_TIERS))

    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("lane", sa.String(16), nullable=False, server_default="normal"))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(
            op.f("ck_messages_lane_valid"),
            "lane IN ({})".format(", ".join(f"'{lane}'" for lane in LANES)),
        )
    op.create_index(op.f("ix_messages_lane_status"), "messages", ["lane", "status"])

    op.create_table(
        "heartbeats",
        sa.Column("process", sa.String(32), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process", name=op.f("pk_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
    op.drop_index(op.f("ix_messages_lane_status"), table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f("ck_messages_lane_valid"), type_="check")
        batch.drop_column("lease_until")
        batch.drop_column("lane")
    op.execute("DELETE FROM pages WHERE tier NOT IN ('primary', 'backup', 'crisis_line')")
    with op.batch_alter_table("pages") as batch:
        batch.drop_constraint(op.f("ck_pages_tier_valid"), type_="check")
        batch.create_check_constraint(op.f("ck_pages_tier_valid"), _tier_check(OLD_TIERS))
    op.drop_index(op.f("ix_escalation_events_escalation_id_at"), table_name="escalation_events")
    op.drop_table("escalation_events")
    op.drop_index(op.f("ix_escalations_status_next_round_at"), table_name="escalations")
    op.drop_index(op.f("uq_escalations_active_client_id"), table_name="escalations")
    with op.batch_alter_table("escalations") as batch:
        batch.drop_constraint(op.f("fk_escalations_resolved_by_therapists"), type_="foreignkey")
        batch.drop_column("next_round_at")
        batch.drop_column("resolved_by")
        batch.drop_column("acknowledged_via")
    with op.batch_alter_table("therapists") as batch:
        batch.drop_column("is_demo")
