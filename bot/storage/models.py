"""WiseMind's tables, as SQLAlchemy 1.4 declarative classes.

Conventions:

- Every timestamp is a timezone-aware UTC ``datetime`` (:class:`UTCDateTime`);
  clock times that belong to a person's day (quiet hours, reminder times, rota
  shifts) are ``time`` values in that person's (or the clinic's) time zone.
- Closed vocabularies and scales come from :mod:`bot.storage.enums` and are
  enforced by ``CHECK`` constraints, so a bad value fails at the database too.
- Constraint names follow :data:`NAMING_CONVENTION`, so migrations can refer
  to them on every backend (SQLite's batch mode needs names).
- Message content lives in ``messages.body`` and, for escalations, in
  ``escalations.evidence`` only; error codes, audit details and pages never
  carry it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    select,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, Session, declarative_base, relationship
from sqlalchemy.types import TypeDecorator

from bot.storage import enums
from bot.storage.enums import (
    ADDRESS_MAX_LENGTH,
    AUDIT_ACTION_MAX_LENGTH,
    CLIENT_CODE_LENGTH,
    CODE_ALPHABET,
    CONSENT_VERSION_MAX_LENGTH,
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    DISTRESS_MAX,
    EMAIL_MAX_LENGTH,
    EMOTION_MAX,
    ENROLMENT_CODE_LENGTH,
    ERROR_CODE_MAX_LENGTH,
    ESCALATION_CODE_LENGTH,
    NAME_MAX_LENGTH,
    PROVIDER_ID_MAX_LENGTH,
    SKILL_ID_MAX_LENGTH,
    SKILLS_MAX,
    URGE_MAX,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Which escalations are still being handled (the partial unique index's condition).
ACTIVE_ESCALATION_WHERE = "status IN ('open', 'acknowledged')"

Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utcnow() -> datetime:
    """The current time, timezone-aware UTC: the only kind of timestamp stored."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp that goes in and comes out as an aware UTC ``datetime``.

    PostgreSQL keeps it as ``timestamptz``. SQLite has no time zones, so the
    value is stored as naive UTC and made aware again on the way out. Naive
    values are refused rather than guessed at: a local time mistaken for UTC
    would send a reminder at 3 a.m.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamps must be timezone-aware, got naive {value!r}")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """``CHECK (column IN (...))`` named ``<column>_valid``."""
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_valid")


def _within(column: str, high: int) -> CheckConstraint:
    """``CHECK (column BETWEEN 0 AND high)`` named ``<column>_range`` (NULL passes)."""
    return CheckConstraint(f"{column} BETWEEN 0 AND {high}", name=f"{column}_range")


def random_code(length: int) -> str:
    """A random code from :data:`~bot.storage.enums.CODE_ALPHABET`, easy to read aloud."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def unique_code(session: Session, column: Any, length: int) -> str:
    """A :func:`random_code` not yet present in ``column`` (e.g. ``Client.code``).

    Collisions are astronomically rare at these lengths; the column's unique
    constraint remains the final guard.
    """
    while True:
        code = random_code(length)
        if session.execute(select(column).where(column == code)).first() is None:
            return code


class Therapist(Base):
    """A staff account: a therapist with a caseload, or a clinic admin."""

    __tablename__ = "therapists"
    __table_args__ = (
        _one_of("role", enums.Role.ALL),
        _one_of("page_channel", enums.Channel.PAGING),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    #: Always stored lower-cased, so it is unique whatever the case typed.
    email: Mapped[str] = Column(String(EMAIL_MAX_LENGTH), nullable=False, unique=True)
    name: Mapped[str] = Column(String(NAME_MAX_LENGTH), nullable=False)
    role: Mapped[str] = Column(String(16), nullable=False, default=enums.Role.THERAPIST)
    #: See :mod:`bot.passwords`; never the password itself.
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    #: E.164, where pages go when ``page_channel`` is ``sms``.
    sms_number: Mapped[str | None] = Column(String(16), unique=True)
    telegram_chat_id: Mapped[str | None] = Column(String(ADDRESS_MAX_LENGTH), unique=True)
    page_channel: Mapped[str] = Column(String(16), nullable=False, default=enums.Channel.SMS)
    #: When they texted STOP to the paging number: Twilio blocks SMS to them until START.
    sms_opted_out_at: Mapped[datetime | None] = Column(UTCDateTime)
    #: Inactive accounts cannot log in and are never paged; rows are kept for history.
    active: Mapped[bool] = Column(Boolean, nullable=False, default=True)
    #: Seeded by ``wisemind demo seed``: never paged once a real channel is configured.
    is_demo: Mapped[bool] = Column(Boolean, nullable=False, default=False, server_default=false())
    #: The password was chosen by someone else (an admin): it must be replaced at the next login.
    must_change_password: Mapped[bool] = Column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)

    clients: Mapped[list[Client]] = relationship("Client", back_populates="therapist")
    oncall_shifts: Mapped[list[OncallShift]] = relationship(
        "OncallShift", back_populates="therapist"
    )


class Client(Base):
    """A person in DBT treatment, in one therapist's caseload.

    ``code`` is the client's Rasa conversation id and the only way pages name
    them, so it carries no personal information.
    """

    __tablename__ = "clients"
    __table_args__ = (_one_of("locale", enums.Locale.ALL),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    code: Mapped[str] = Column(String(CLIENT_CODE_LENGTH), nullable=False, unique=True)
    name: Mapped[str] = Column(String(NAME_MAX_LENGTH), nullable=False)
    therapist_id: Mapped[int] = Column(ForeignKey("therapists.id"), nullable=False, index=True)
    #: IANA time zone name (``America/New_York``): reminders and diary dates follow it.
    timezone: Mapped[str] = Column(String(64), nullable=False)
    locale: Mapped[str] = Column(String(8), nullable=False, default=enums.Locale.EN)
    #: Local times between which no reminder is sent (may span midnight).
    quiet_start: Mapped[time] = Column(Time, nullable=False, default=DEFAULT_QUIET_START)
    quiet_end: Mapped[time] = Column(Time, nullable=False, default=DEFAULT_QUIET_END)
    consent_at: Mapped[datetime | None] = Column(UTCDateTime)
    #: Which wording of the terms the client agreed to, so consent can be re-asked.
    consent_version: Mapped[str | None] = Column(String(CONSENT_VERSION_MAX_LENGTH))
    #: Set when the client texts STOP: nothing but crisis resources is sent after it.
    opted_out_at: Mapped[datetime | None] = Column(UTCDateTime)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    discharged_at: Mapped[datetime | None] = Column(UTCDateTime)

    therapist: Mapped[Therapist] = relationship("Therapist", back_populates="clients")
    identities: Mapped[list[ClientIdentity]] = relationship(
        "ClientIdentity", back_populates="client", order_by="ClientIdentity.id"
    )


class ClientIdentity(Base):
    """A channel address (phone, Telegram chat) that belongs to a client.

    A client may have several, and all of them lead to the same conversation.
    """

    __tablename__ = "client_identities"
    __table_args__ = (
        UniqueConstraint("channel", "address"),
        _one_of("channel", enums.Channel.ALL),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    client_id: Mapped[int] = Column(
        ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    channel: Mapped[str] = Column(String(16), nullable=False)
    #: E.164 phone number, Telegram chat id, or local conversation id.
    address: Mapped[str] = Column(String(ADDRESS_MAX_LENGTH), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)

    client: Mapped[Client] = relationship("Client", back_populates="identities")


class EnrolmentCode(Base):
    """A one-time code a client sends (``JOIN CODE``, ``/start CODE``) to link a channel."""

    __tablename__ = "enrolment_codes"

    id: Mapped[int] = Column(Integer, primary_key=True)
    code: Mapped[str] = Column(String(ENROLMENT_CODE_LENGTH), nullable=False, unique=True)
    client_id: Mapped[int] = Column(
        ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_by: Mapped[int | None] = Column(ForeignKey("therapists.id"))
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = Column(UTCDateTime)

    client: Mapped[Client] = relationship("Client")


class Message(Base):
    """The one message log: every inbound and outbound message, on every channel.

    Inbound messages are stored before they are processed, and the unique
    ``(channel, direction, provider_id)`` makes a webhook retried by the
    provider recognisable. Outbound messages double as the outbox: ``status``,
    ``attempts`` and ``next_attempt_at`` drive retries. ``sequence`` orders the
    outbound replies of one conversation.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "direction", "provider_id"),
        Index(None, "client_id", "created_at"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "lane", "status"),
        Index(None, "direction", "screened_at"),
        _one_of("channel", enums.Channel.ALL),
        _one_of("lane", enums.Lane.ALL),
        _one_of("direction", enums.Direction.ALL),
        _one_of("status", enums.MessageStatus.ALL),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    #: None for senders who are not (yet) enrolled.
    client_id: Mapped[int | None] = Column(ForeignKey("clients.id", ondelete="CASCADE"))
    channel: Mapped[str] = Column(String(16), nullable=False)
    direction: Mapped[str] = Column(String(16), nullable=False)
    #: Phone number, Telegram chat id or conversation id of the other end.
    address: Mapped[str] = Column(String(ADDRESS_MAX_LENGTH), nullable=False)
    body: Mapped[str] = Column(Text, nullable=False)
    #: Outbound choices offered with the message, as JSON ``[{"title":…, "payload":…}]``:
    #: shown as a keyboard on Telegram, as numbered options by SMS.
    buttons: Mapped[str | None] = Column(Text)
    #: The crisis detector's level for an inbound message (``none`` … ``imminent``).
    risk_level: Mapped[str | None] = Column(String(16))
    #: Twilio MessageSid, Telegram update_id / message_id; None for local chat.
    provider_id: Mapped[str | None] = Column(String(PROVIDER_ID_MAX_LENGTH))
    status: Mapped[str] = Column(String(16), nullable=False)
    #: A short error code from the provider or the outbox, never message content.
    error: Mapped[str | None] = Column(String(ERROR_CODE_MAX_LENGTH))
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = Column(UTCDateTime)
    #: 1, 2, 3… for a conversation's outbound replies; None for inbound messages.
    sequence: Mapped[int | None] = Column(Integer)
    #: An inbound message whose crisis reply was queued: a recovered hand-off does not repeat it.
    crisis_replied: Mapped[bool] = Column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    #: An inbound moderate-risk message the intake asked the check-in question for itself.
    check_in_asked: Mapped[bool] = Column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    #: The safety question (:class:`~bot.storage.enums.SafetyQuestion`) the intake read this
    #: inbound message as the answer to, so the conversation reads it as that answer too.
    answered_question: Mapped[str | None] = Column(String(32))
    #: A risky message kept from an unregistered sender: when an alert named its sender.
    alerted_at: Mapped[datetime | None] = Column(UTCDateTime)
    #: ``crisis`` (crisis replies, pages) goes ahead of, and never waits behind, ``normal``.
    lane: Mapped[str] = Column(
        String(16), nullable=False, default=enums.Lane.NORMAL, server_default=enums.Lane.NORMAL
    )
    #: While ``sending``: until when the claiming scheduler owns the send.
    lease_until: Mapped[datetime | None] = Column(UTCDateTime)
    #: Inbound: when the crisis screening (and any escalation) was applied; None = not yet.
    screened_at: Mapped[datetime | None] = Column(UTCDateTime)
    #: Inbound: how often the retry loop tried to screen it; after a few, a person is paged.
    screening_attempts: Mapped[int] = Column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    #: Inbound: when a Rasa server last took the message (a lease; see ``bot.intake``).
    handed_off_at: Mapped[datetime | None] = Column(UTCDateTime)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    #: The therapist who wrote an outbound message during a take-over; None for the bot.
    from_therapist_id: Mapped[int | None] = Column(ForeignKey("therapists.id"))


class DiaryEntry(Base):
    """One day's diary card (Linehan's format); a second card that day updates it.

    Items are nullable so that a card interrupted halfway can still be kept.
    """

    __tablename__ = "diary_entries"
    __table_args__ = (
        UniqueConstraint("client_id", "entry_date"),
        _within("urge_suicide", URGE_MAX),
        _within("urge_self_harm", URGE_MAX),
        _within("urge_use", URGE_MAX),
        _within("sadness", EMOTION_MAX),
        _within("anger", EMOTION_MAX),
        _within("fear", EMOTION_MAX),
        _within("shame", EMOTION_MAX),
        _within("joy", EMOTION_MAX),
        _within("skills_used", SKILLS_MAX),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    client_id: Mapped[int] = Column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    #: The client's local date, not the UTC one.
    entry_date: Mapped[date] = Column(Date, nullable=False)
    urge_suicide: Mapped[int | None] = Column(Integer)
    urge_self_harm: Mapped[int | None] = Column(Integer)
    urge_use: Mapped[int | None] = Column(Integer)
    self_harm: Mapped[bool | None] = Column(Boolean)
    substance_use: Mapped[bool | None] = Column(Boolean)
    sadness: Mapped[int | None] = Column(Integer)
    anger: Mapped[int | None] = Column(Integer)
    fear: Mapped[int | None] = Column(Integer)
    shame: Mapped[int | None] = Column(Integer)
    joy: Mapped[int | None] = Column(Integer)
    skills_used: Mapped[int | None] = Column(Integer)
    note: Mapped[str | None] = Column(Text)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )


class SkillPractice(Base):
    """One guided practice of a skill, with distress rated before and after."""

    __tablename__ = "skill_practices"
    __table_args__ = (
        Index(None, "client_id", "started_at"),
        _within("distress_before", DISTRESS_MAX),
        _within("distress_after", DISTRESS_MAX),
        _one_of("channel", enums.Channel.ALL),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    client_id: Mapped[int] = Column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    #: The skill's slug in ``skills_content/`` (``tipp``, ``dear_man``).
    skill_id: Mapped[str] = Column(String(SKILL_ID_MAX_LENGTH), nullable=False)
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    completed_at: Mapped[datetime | None] = Column(UTCDateTime)
    distress_before: Mapped[int | None] = Column(Integer)
    distress_after: Mapped[int | None] = Column(Integer)
    note: Mapped[str | None] = Column(Text)
    #: Where the client practiced (``sms``, ``telegram``, ``local``); None if unknown.
    channel: Mapped[str | None] = Column(String(16))
    #: How far they got: steps read through, and steps they chose to skip.
    steps_done: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")
    steps_skipped: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")


class ChainAnalysis(Base):
    """A behaviour chain analysis walked through by text, saved answer by answer.

    Each column is one link of DBT's chain, in the client's words (their
    therapist reads it); ``completed_at`` stays empty while it is paused.
    """

    __tablename__ = "chain_analyses"
    __table_args__ = (
        Index(None, "client_id", "started_at"),
        _one_of("channel", enums.Channel.ALL),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    client_id: Mapped[int] = Column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str | None] = Column(String(16))
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    completed_at: Mapped[datetime | None] = Column(UTCDateTime)
    vulnerabilities: Mapped[str | None] = Column(Text)
    prompting_event: Mapped[str | None] = Column(Text)
    links: Mapped[str | None] = Column(Text)
    behavior: Mapped[str | None] = Column(Text)
    consequences: Mapped[str | None] = Column(Text)
    skills: Mapped[str | None] = Column(Text)
    repair: Mapped[str | None] = Column(Text)


class Homework(Base):
    """Work a therapist assigns between sessions, and the client's report on it."""

    __tablename__ = "homework"
    __table_args__ = (_one_of("status", enums.HomeworkStatus.ALL),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    client_id: Mapped[int] = Column(
        ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    assigned_by: Mapped[int] = Column(ForeignKey("therapists.id"), nullable=False)
    skill_id: Mapped[str | None] = Column(String(SKILL_ID_MAX_LENGTH))
    title: Mapped[str] = Column(String(NAME_MAX_LENGTH), nullable=False)
    instructions: Mapped[str] = Column(Text, nullable=False, default="")
    due_at: Mapped[datetime | None] = Column(UTCDateTime)
    status: Mapped[str] = Column(String(16), nullable=False, default=enums.HomeworkStatus.ASSIGNED)
    client_report: Mapped[str | None] = Column(Text)
    reported_at: Mapped[datetime | None] = Column(UTCDateTime)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class Reminder(Base):
    """A recurring nudge at a local time on some days, or a one-off (session) reminder.

    Every occurrence becomes a :class:`ReminderDelivery` row before it is due
    (``materialised_until`` says how far ahead), so nothing lives only in a
    process's memory.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        _one_of("kind", enums.ReminderKind.ALL),
        CheckConstraint("local_time IS NOT NULL OR one_off_at IS NOT NULL", name="has_a_time"),
        CheckConstraint("after_days IS NULL OR after_days > 0", name="after_days_positive"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    client_id: Mapped[int] = Column(
        ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = Column(String(16), nullable=False)
    #: The client's local time of a recurring reminder.
    local_time: Mapped[time | None] = Column(Time)
    #: ``daily`` or a comma list of :data:`~bot.storage.enums.ReminderDays.WEEKDAYS`.
    days: Mapped[str] = Column(String(32), nullable=False, default=enums.ReminderDays.DAILY)
    homework_id: Mapped[int | None] = Column(ForeignKey("homework.id", ondelete="CASCADE"))
    #: When a one-off reminder is due; for a session reminder, the appointment itself.
    one_off_at: Mapped[datetime | None] = Column(UTCDateTime)
    #: A check-in's question, a practice reminder's skill: the therapist's words.
    text: Mapped[str | None] = Column(Text)
    #: Re-engagement: how many days without a message before the nudge.
    after_days: Mapped[int | None] = Column(Integer)
    #: The therapist who set it; None when the client set it by text.
    created_by: Mapped[int | None] = Column(ForeignKey("therapists.id"))
    #: Occurrences up to this time already have rows.
    materialised_until: Mapped[datetime | None] = Column(UTCDateTime)
    active: Mapped[bool] = Column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)

    deliveries: Mapped[list[ReminderDelivery]] = relationship(
        "ReminderDelivery", back_populates="reminder"
    )


class ReminderDelivery(Base):
    """One due time of a reminder. Unique per due time: a reminder never goes out twice.

    ``(reminder_id, due_at)`` is the occurrence's idempotency key; the
    transition to ``sent`` is a conditional update made where the message is
    produced, so a retried hand-off cannot send it again.
    """

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("reminder_id", "due_at"),
        Index(None, "status", "due_at"),
        _one_of("status", enums.DeliveryStatus.ALL),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    reminder_id: Mapped[int] = Column(
        ForeignKey("reminders.id", ondelete="CASCADE"), nullable=False
    )
    due_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    status: Mapped[str] = Column(String(16), nullable=False, default=enums.DeliveryStatus.PENDING)
    sent_at: Mapped[datetime | None] = Column(UTCDateTime)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    #: A failed hand-off (Rasa down) is retried from then, within the grace window.
    next_attempt_at: Mapped[datetime | None] = Column(UTCDateTime)
    #: When the scheduler claimed it; a claim this old belongs to a process that died.
    claimed_at: Mapped[datetime | None] = Column(UTCDateTime)
    #: One of :class:`~bot.storage.enums.SkipReason` for a skipped occurrence.
    skip_reason: Mapped[str | None] = Column(String(32))
    #: A check-in's answer, in the client's words, for their therapist.
    answer: Mapped[str | None] = Column(Text)
    answered_at: Mapped[datetime | None] = Column(UTCDateTime)

    reminder: Mapped[Reminder] = relationship("Reminder", back_populates="deliveries")


class SchedulerLease(Base):
    """Which scheduler process does a singleton job (the reminders), until when.

    The holder renews it every few seconds; a standby takes it over once it
    has expired, so a dead scheduler is replaced within the lease's lifetime.
    """

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = Column(String(64), primary_key=True)
    holder: Mapped[str] = Column(String(128), nullable=False)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)


class FloodBucket(Base):
    """One sender's flood control, shared by every Rasa server on the database.

    A generic cell rate algorithm: ``full_at`` (seconds since the epoch) is
    when the sender's bucket would be full again; each allowed message moves
    it one interval on. Throttling is for replies only: every message is still
    stored and screened (see :mod:`bot.intake.flood`).
    """

    __tablename__ = "flood_buckets"

    channel: Mapped[str] = Column(String(16), primary_key=True)
    address: Mapped[str] = Column(String(ADDRESS_MAX_LENGTH), primary_key=True)
    full_at: Mapped[float] = Column(Float, nullable=False)


class Escalation(Base):
    """A risk the crisis detector found, from opening to resolution.

    ``evidence`` (the client's own words) is stored here and nowhere else; the
    pages sent about it carry only the client code and a dashboard link.
    """

    __tablename__ = "escalations"
    __table_args__ = (
        Index(None, "status", "opened_at"),
        Index(None, "status", "next_round_at"),
        # One active escalation per client, whatever races the application loses.
        Index(
            "uq_escalations_active_client_id",
            "client_id",
            unique=True,
            sqlite_where=text(ACTIVE_ESCALATION_WHERE),
            postgresql_where=text(ACTIVE_ESCALATION_WHERE),
        ),
        _one_of("level", enums.EscalationLevel.ALL),
        _one_of("status", enums.EscalationStatus.ALL),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    client_id: Mapped[int] = Column(
        ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    #: What the on-call therapist replies with: ``ACK <code>``.
    code: Mapped[str] = Column(String(ESCALATION_CODE_LENGTH), nullable=False, unique=True)
    level: Mapped[str] = Column(String(16), nullable=False)
    #: JSON-encoded list of the detector's categories (``["plan", "means"]``).
    categories: Mapped[str] = Column(Text, nullable=False, default="[]")
    evidence: Mapped[str] = Column(Text, nullable=False, default="")
    source_message_id: Mapped[int | None] = Column(ForeignKey("messages.id", ondelete="SET NULL"))
    status: Mapped[str] = Column(String(16), nullable=False, default=enums.EscalationStatus.OPEN)
    opened_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = Column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = Column(ForeignKey("therapists.id"))
    #: How it was acknowledged: ``sms``, ``telegram``, ``dashboard``, ``cli``.
    acknowledged_via: Mapped[str | None] = Column(String(16))
    resolved_at: Mapped[datetime | None] = Column(UTCDateTime)
    resolved_by: Mapped[int | None] = Column(ForeignKey("therapists.id"))
    resolution_note: Mapped[str | None] = Column(Text)
    #: When the scheduler must start a new paging round (nobody was reachable, or
    #: the chain ran out unanswered); None while a round is under way or not needed.
    next_round_at: Mapped[datetime | None] = Column(UTCDateTime)

    client: Mapped[Client] = relationship("Client")
    pages: Mapped[list[Page]] = relationship(
        "Page", back_populates="escalation", order_by="Page.id"
    )
    events: Mapped[list[EscalationEvent]] = relationship(
        "EscalationEvent", back_populates="escalation", order_by="EscalationEvent.id"
    )


class EscalationEvent(Base):
    """One step in an escalation's life, with its time and who took it.

    ``detail`` names tiers, channels and counts, never what the client wrote.
    """

    __tablename__ = "escalation_events"
    __table_args__ = (Index(None, "escalation_id", "at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    escalation_id: Mapped[int] = Column(
        ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False
    )
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    #: See :class:`~bot.storage.enums.EscalationEventKind`.
    kind: Mapped[str] = Column(String(32), nullable=False)
    therapist_id: Mapped[int | None] = Column(ForeignKey("therapists.id"))
    via: Mapped[str | None] = Column(String(16))
    detail: Mapped[str | None] = Column(Text)

    escalation: Mapped[Escalation] = relationship("Escalation", back_populates="events")


class Page(Base):
    """One alert about an escalation to one person: primary, backup, then the crisis line."""

    __tablename__ = "pages"
    __table_args__ = (
        Index(None, "status", "escalate_at"),
        _one_of("tier", enums.PageTier.ALL),
        _one_of("channel", enums.Channel.PAGING),
        _one_of("status", enums.PageStatus.ALL),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    escalation_id: Mapped[int] = Column(
        ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    tier: Mapped[str] = Column(String(16), nullable=False)
    #: None when paging the clinic's crisis line rather than a therapist.
    therapist_id: Mapped[int | None] = Column(ForeignKey("therapists.id"))
    channel: Mapped[str] = Column(String(16), nullable=False)
    address: Mapped[str] = Column(String(ADDRESS_MAX_LENGTH), nullable=False)
    #: The outbound message that carried the page.
    message_id: Mapped[int | None] = Column(ForeignKey("messages.id", ondelete="SET NULL"))
    status: Mapped[str] = Column(String(16), nullable=False, default=enums.PageStatus.PENDING)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = Column(UTCDateTime)
    #: When, unacknowledged, the page moves on to the next tier.
    escalate_at: Mapped[datetime | None] = Column(UTCDateTime)

    escalation: Mapped[Escalation] = relationship("Escalation", back_populates="pages")


class Heartbeat(Base):
    """A long-running process saying it is alive (the scheduler: without it no page leaves)."""

    __tablename__ = "heartbeats"

    process: Mapped[str] = Column(String(32), primary_key=True)
    pid: Mapped[int] = Column(Integer, nullable=False)
    host: Mapped[str] = Column(String(255), nullable=False)
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    beat_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)


class CrisisLineOptOut(Base):
    """The clinic's crisis line texted STOP to the paging number (one row per number).

    Twilio blocks every later SMS to it, so it is not paged until it texts
    START (the row is then deleted). Kept in the database because the crisis
    line itself is a setting (``WISEMIND_CLINIC_CRISIS_LINE``), which cannot
    change at run time; keyed by the number, so a new number starts unblocked.
    """

    __tablename__ = "crisis_line_opt_outs"

    address: Mapped[str] = Column(String(16), primary_key=True)
    opted_out_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)


class OncallShift(Base):
    """A slot of the on-call rota, in the clinic's time zone.

    ``weekday`` is 0 (Monday) to 6, or None for every day. A shift whose end
    is earlier than its start runs past midnight; 00:00–00:00 is the whole day.
    """

    __tablename__ = "oncall_shifts"
    __table_args__ = (
        _one_of("role", enums.OncallRole.ALL),
        _within("weekday", 6),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    therapist_id: Mapped[int] = Column(
        ForeignKey("therapists.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = Column(String(16), nullable=False)
    weekday: Mapped[int | None] = Column(Integer)
    start_time: Mapped[time] = Column(Time, nullable=False)
    end_time: Mapped[time] = Column(Time, nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)

    therapist: Mapped[Therapist] = relationship("Therapist", back_populates="oncall_shifts")


class AuditLog(Base):
    """Who looked at or changed client data, and when.

    The ids are deliberately not foreign keys: the trail must outlive the rows
    it mentions. ``detail`` says what was done, never what a client wrote.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "client_id", "at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor_therapist_id: Mapped[int | None] = Column(Integer)
    action: Mapped[str] = Column(String(AUDIT_ACTION_MAX_LENGTH), nullable=False)
    client_id: Mapped[int | None] = Column(Integer)
    detail: Mapped[str | None] = Column(Text)
    ip: Mapped[str | None] = Column(String(45))


class PendingSafetyQuestion(Base):
    """The safety question a client has been asked and not yet answered (one at most).

    Written by the action that asks, read by the core's screening of the next
    inbound message, so that a risky answer pages someone even if Rasa or the
    action server is down by then (see :mod:`bot.safety.followup`).
    """

    __tablename__ = "pending_safety_questions"
    __table_args__ = (_one_of("kind", enums.SafetyQuestion.ALL),)

    client_id: Mapped[int] = Column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = Column(String(32), nullable=False)
    asked_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    #: An answer after this is no longer read as an answer (the conversation moved on).
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)


class StaffSession(Base):
    """One dashboard login, so that logging out and the idle timeout end it for good.

    The browser holds a signed random token; only its SHA-256 is stored, so a
    copy of the database cannot be used to log in.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = Column(Integer, primary_key=True)
    token_hash: Mapped[str] = Column(String(64), nullable=False, unique=True)
    therapist_id: Mapped[int] = Column(
        ForeignKey("therapists.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = Column(UTCDateTime)
    ip: Mapped[str | None] = Column(String(45))

    therapist: Mapped[Therapist] = relationship("Therapist")


class Takeover(Base):
    """A therapist writing to a client in person: the bot stays silent until it ends.

    It ends when the therapist hands back (``handed_back``) or at ``expires_at``
    (``timed_out``), which each message the therapist sends pushes back. The
    crisis detector keeps screening the client's messages throughout.
    """

    __tablename__ = "takeovers"
    __table_args__ = (
        Index(None, "client_id", "ended_at"),
        Index(None, "ended_at", "expires_at"),
        _one_of("end_reason", enums.TakeoverEnd.ALL),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    client_id: Mapped[int] = Column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    therapist_id: Mapped[int] = Column(ForeignKey("therapists.id"), nullable=False)
    #: Where the therapist's messages go: the client's channel and address.
    channel: Mapped[str] = Column(String(16), nullable=False)
    address: Mapped[str] = Column(String(ADDRESS_MAX_LENGTH), nullable=False)
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = Column(UTCDateTime)
    end_reason: Mapped[str | None] = Column(String(16))

    client: Mapped[Client] = relationship("Client")
    therapist: Mapped[Therapist] = relationship("Therapist")
