"""Initial schema: staff, clients, the message log, diary, skills, homework,
reminders, escalations and pages, the on-call rota and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Migrations are history: values are spelled out here rather than imported
from ``bot.storage``, whose constants will move on. Timestamps are
``timestamptz`` on PostgreSQL (naive UTC text on SQLite); constraint names
follow ``bot.storage.models.NAMING_CONVENTION``.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: Created in this order, dropped in reverse (foreign keys point backwards).
TABLES = (
    "therapists",
    "clients",
    "client_identities",
    "enrolment_codes",
    "messages",
    "diary_entries",
    "skill_practices",
    "homework",
    "reminders",
    "reminder_deliveries",
    "escalations",
    "pages",
    "oncall_shifts",
    "audit_log",
)


def _id(table: str) -> tuple[sa.Column, sa.PrimaryKeyConstraint]:
    return sa.Column("id", sa.Integer(), nullable=False), sa.PrimaryKeyConstraint(
        "id", name=op.f(f"pk_{table}")
    )


def _utc(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(
    table: str, column: str, target: str, *, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _one_of(table: str, column: str, values: Iterable[str]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=op.f(f"ck_{table}_{column}_valid"))


def _within(table: str, column: str, high: int) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{column} BETWEEN 0 AND {high}", name=op.f(f"ck_{table}_{column}_range")
    )


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


CHANNELS = ("sms", "telegram", "local")
PAGING_CHANNELS = ("sms", "telegram")


def upgrade() -> None:
    op.create_table(
        "therapists",
        *_id("therapists"),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("sms_number", sa.String(16), nullable=True),
        sa.Column("telegram_chat_id", sa.String(64), nullable=True),
        sa.Column("page_channel", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _utc("created_at", nullable=False),
        _unique("therapists", "email"),
        _unique("therapists", "sms_number"),
        _unique("therapists", "telegram_chat_id"),
        _one_of("therapists", "role", ("therapist", "admin")),
        _one_of("therapists", "page_channel", PAGING_CHANNELS),
    )

    op.create_table(
        "clients",
        *_id("clients"),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=False),
        sa.Column("quiet_end", sa.Time(), nullable=False),
        _utc("consent_at"),
        sa.Column("consent_version", sa.String(32), nullable=True),
        _utc("opted_out_at"),
        _utc("created_at", nullable=False),
        _utc("discharged_at"),
        _unique("clients", "code"),
        _fk("clients", "therapist_id", "therapists"),
        _one_of("clients", "locale", ("en", "es")),
    )
    _index("clients", "therapist_id")

    op.create_table(
        "client_identities",
        *_id("client_identities"),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        _utc("created_at", nullable=False),
        _unique("client_identities", "channel", "address"),
        _fk("client_identities", "client_id", "clients", ondelete="CASCADE"),
        _one_of("client_identities", "channel", CHANNELS),
    )
    _index("client_identities", "client_id")

    op.create_table(
        "enrolment_codes",
        *_id("enrolment_codes"),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _utc("created_at", nullable=False),
        _utc("expires_at", nullable=False),
        _utc("used_at"),
        _unique("enrolment_codes", "code"),
        _fk("enrolment_codes", "client_id", "clients", ondelete="CASCADE"),
        _fk("enrolment_codes", "created_by", "therapists"),
    )
    _index("enrolment_codes", "client_id")

    op.create_table(
        "messages",
        *_id("messages"),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("buttons", sa.Text(), nullable=True),
        sa.Column("risk_level", sa.String(16), nullable=True),
        sa.Column("provider_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _utc("next_attempt_at"),
        sa.Column("sequence", sa.Integer(), nullable=True),
        _utc("created_at", nullable=False),
        _utc("updated_at", nullable=False),
        _unique("messages", "channel", "direction", "provider_id"),
        _fk("messages", "client_id", "clients", ondelete="CASCADE"),
        _one_of("messages", "channel", CHANNELS),
        _one_of("messages", "direction", ("inbound", "outbound")),
        _one_of(
            "messages",
            "status",
            (
                "received",
                "processed",
                "queued",
                "sending",
                "sent",
                "delivered",
                "failed",
                "undeliverable",
            ),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_messages_attempts_not_negative")),
    )
    _index("messages", "client_id", "created_at")
    _index("messages", "status", "next_attempt_at")

    op.create_table(
        "diary_entries",
        *_id("diary_entries"),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("urge_suicide", sa.Integer(), nullable=True),
        sa.Column("urge_self_harm", sa.Integer(), nullable=True),
        sa.Column("urge_use", sa.Integer(), nullable=True),
        sa.Column("self_harm", sa.Boolean(), nullable=True),
        sa.Column("substance_use", sa.Boolean(), nullable=True),
        sa.Column("sadness", sa.Integer(), nullable=True),
        sa.Column("anger", sa.Integer(), nullable=True),
        sa.Column("fear", sa.Integer(), nullable=True),
        sa.Column("shame", sa.Integer(), nullable=True),
        sa.Column("joy", sa.Integer(), nullable=True),
        sa.Column("skills_used", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _utc("created_at", nullable=False),
        _utc("updated_at", nullable=False),
        _unique("diary_entries", "client_id", "entry_date"),
        _fk("diary_entries", "client_id", "clients", ondelete="CASCADE"),
        *(
            _within("diary_entries", column, 5)
            for column in ("urge_suicide", "urge_self_harm", "urge_use")
        ),
        *(
            _within("diary_entries", column, 5)
            for column in ("sadness", "anger", "fear", "shame", "joy")
        ),
        _within("diary_entries", "skills_used", 7),
    )

    op.create_table(
        "skill_practices",
        *_id("skill_practices"),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.String(64), nullable=False),
        _utc("started_at", nullable=False),
        _utc("completed_at"),
        sa.Column("distress_before", sa.Integer(), nullable=True),
        sa.Column("distress_after", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _fk("skill_practices", "client_id", "clients", ondelete="CASCADE"),
        _within("skill_practices", "distress_before", 100),
        _within("skill_practices", "distress_after", 100),
    )
    _index("skill_practices", "client_id", "started_at")

    op.create_table(
        "homework",
        *_id("homework"),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.String(64), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        _utc("due_at"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("client_report", sa.Text(), nullable=True),
        _utc("reported_at"),
        _utc("created_at", nullable=False),
        _fk("homework", "client_id", "clients", ondelete="CASCADE"),
        _fk("homework", "assigned_by", "therapists"),
        _one_of("homework", "status", ("assigned", "done", "missed", "cancelled")),
    )
    _index("homework", "client_id")

    op.create_table(
        "reminders",
        *_id("reminders"),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("local_time", sa.Time(), nullable=True),
        sa.Column("days", sa.String(32), nullable=False),
        sa.Column("homework_id", sa.Integer(), nullable=True),
        _utc("one_off_at"),
        sa.Column("active", sa.Boolean(), nullable=False),
        _utc("created_at", nullable=False),
        _fk("reminders", "client_id", "clients", ondelete="CASCADE"),
        _fk("reminders", "homework_id", "homework", ondelete="CASCADE"),
        _one_of("reminders", "kind", ("diary", "practice", "homework", "session")),
        sa.CheckConstraint(
            "local_time IS NOT NULL OR one_off_at IS NOT NULL",
            name=op.f("ck_reminders_has_a_time"),
        ),
    )
    _index("reminders", "client_id")

    op.create_table(
        "reminder_deliveries",
        *_id("reminder_deliveries"),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        _utc("due_at", nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _utc("sent_at"),
        _unique("reminder_deliveries", "reminder_id", "due_at"),
        _fk("reminder_deliveries", "reminder_id", "reminders", ondelete="CASCADE"),
        _one_of("reminder_deliveries", "status", ("pending", "sent", "skipped")),
    )
    _index("reminder_deliveries", "status", "due_at")

    op.create_table(
        "escalations",
        *_id("escalations"),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("source_message_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _utc("opened_at", nullable=False),
        _utc("acknowledged_at"),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        _utc("resolved_at"),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        _unique("escalations", "code"),
        _fk("escalations", "client_id", "clients", ondelete="CASCADE"),
        _fk("escalations", "source_message_id", "messages", ondelete="SET NULL"),
        _fk("escalations", "acknowledged_by", "therapists"),
        _one_of("escalations", "level", ("moderate", "high", "imminent")),
        _one_of("escalations", "status", ("open", "acknowledged", "resolved")),
    )
    _index("escalations", "client_id")
    _index("escalations", "status", "opened_at")

    op.create_table(
        "pages",
        *_id("pages"),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _utc("created_at", nullable=False),
        _utc("sent_at"),
        _utc("escalate_at"),
        _fk("pages", "escalation_id", "escalations", ondelete="CASCADE"),
        _fk("pages", "therapist_id", "therapists"),
        _fk("pages", "message_id", "messages", ondelete="SET NULL"),
        _one_of("pages", "tier", ("primary", "backup", "crisis_line")),
        _one_of("pages", "channel", PAGING_CHANNELS),
        _one_of("pages", "status", ("pending", "sent", "failed", "acknowledged", "superseded")),
    )
    _index("pages", "escalation_id")
    _index("pages", "status", "escalate_at")

    op.create_table(
        "oncall_shifts",
        *_id("oncall_shifts"),
        sa.Column("therapist_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        _utc("created_at", nullable=False),
        _fk("oncall_shifts", "therapist_id", "therapists", ondelete="CASCADE"),
        _one_of("oncall_shifts", "role", ("primary", "backup")),
        _within("oncall_shifts", "weekday", 6),
    )
    _index("oncall_shifts", "therapist_id")

    op.create_table(
        "audit_log",
        *_id("audit_log"),
        _utc("at", nullable=False),
        sa.Column("actor_therapist_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
    )
    _index("audit_log", "at")
    _index("audit_log", "client_id", "at")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
