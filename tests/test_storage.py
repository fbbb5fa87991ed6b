"""The storage layer on real databases: migrations, SQLite tuning, constraints, message log."""

from __future__ import annotations

import multiprocessing
import threading
import time as clock
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from bot import audit
from bot.message_log import mark_status, record_inbound, record_outbound, transcript
from bot.storage import session_scope
from bot.storage.database import create_engine_for, get_engine
from bot.storage.enums import Channel, Direction, MessageStatus
from bot.storage.migrate import (
    current_revision,
    downgrade,
    head_revision,
    include_object,
    upgrade,
)
from bot.storage.models import (
    AuditLog,
    Base,
    Client,
    DiaryEntry,
    Message,
    Reminder,
    ReminderDelivery,
    SkillPractice,
    Therapist,
)

#: The schema the rest of WiseMind is written against.
EXPECTED_TABLES = {
    "therapists",
    "clients",
    "client_identities",
    "enrolment_codes",
    "messages",
    "diary_entries",
    "skill_practices",
    "homework",
    "chain_analyses",
    "reminders",
    "reminder_deliveries",
    "escalations",
    "escalation_events",
    "pages",
    "pending_safety_questions",
    "oncall_shifts",
    "audit_log",
    "heartbeats",
    "staff_sessions",
    "takeovers",
    "scheduler_leases",
    "flood_buckets",
    "crisis_line_opt_outs",
}
#: Created by Rasa's SQL tracker store in the same database; never ours to touch.
RASA_EVENTS_DDL = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
    "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, data TEXT)"
)


def table_names(url: str) -> set[str]:
    engine = create_engine_for(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def make_client(session: Session, code: str = "CLIENT01") -> Client:
    """A therapist and one client, straight through the models."""
    therapist = Therapist(email=f"{code.lower()}@clinic.test", name="T", password_hash="x")
    client = Client(code=code, name="C", therapist=therapist, timezone="America/New_York")
    session.add(client)
    session.flush()
    return client


@pytest.fixture
def client_id(migrated_engine: Engine) -> int:
    """A committed client, so that other sessions and processes see it."""
    with session_scope(migrated_engine) as session:
        return make_client(session).id


# Migrations


def test_migrations_create_every_table(database_url: str) -> None:
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert set(Base.metadata.tables) == EXPECTED_TABLES
    assert table_names(database_url) == EXPECTED_TABLES | {"alembic_version"}
    head = head_revision()
    assert head is not None and current_revision(database_url) == head


def upgrade_from_another_process(url: str, start: Any) -> None:
    start.wait()
    upgrade(url)


def test_processes_starting_together_each_upgrade_safely(database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    processes = [
        context.Process(target=upgrade_from_another_process, args=(database_url, start))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0, 0]
    assert current_revision(database_url) == head_revision()


def test_migrations_match_the_models(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_then_downgrade_then_upgrade(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url)
    assert table_names(database_url) == {"alembic_version"}
    assert current_revision(database_url) is None
    upgrade(database_url)
    assert table_names(database_url) == EXPECTED_TABLES | {"alembic_version"}


def test_migrations_leave_rasa_events_table_untouched(database_url: str) -> None:
    engine = create_engine_for(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(RASA_EVENTS_DDL))
            connection.execute(
                text("INSERT INTO events (id, sender_id, type_name) VALUES (1, 'DEMO0001', 'user')")
            )
        upgrade(database_url)
        downgrade(database_url)
        upgrade(database_url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT sender_id FROM events")).all() == [("DEMO0001",)]
            # Autogenerate must not propose dropping Rasa's table either.
            context = MigrationContext.configure(
                connection, opts={"include_object": include_object}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


# SQLite tuning


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    engine = create_engine_for(sqlite_url)
    try:
        with engine.connect() as connection:

            def pragma(name: str) -> Any:
                return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

            assert pragma("journal_mode") == "wal"
            assert pragma("busy_timeout") == 15000
            assert pragma("foreign_keys") == 1
            assert pragma("synchronous") == 1  # NORMAL
    finally:
        engine.dispose()


def test_sqlite_database_directory_is_created(tmp_path: Path) -> None:
    database = tmp_path / "not" / "yet" / "there.db"
    engine = create_engine_for(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()
    assert database.exists()


def write_messages_from_another_process(
    url: str, client_id: int, worker: int, count: int, start: Any
) -> None:
    """Child process: log ``count`` inbound messages and replies, one transaction each."""
    engine = create_engine_for(url)
    start.wait()
    for n in range(count):
        with session_scope(engine) as session:
            record_inbound(
                session,
                channel=Channel.SMS,
                address="+15005550006",
                body=f"hello {worker}/{n}",
                provider_id=f"SM{worker}-{n}",
                client_id=client_id,
            )
            record_outbound(
                session,
                client_id=client_id,
                channel=Channel.SMS,
                address="+15005550006",
                body=f"reply {worker}/{n}",
            )
    engine.dispose()


def test_two_processes_write_one_sqlite_file_at_once(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    engine = create_engine_for(sqlite_url)
    with session_scope(engine) as session:
        client = make_client(session)
    per_worker = 40
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [
        context.Process(
            target=write_messages_from_another_process,
            args=(sqlite_url, client.id, worker, per_worker, start),
        )
        for worker in range(2)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [process.exitcode for process in workers] == [0, 0]
    with session_scope(engine) as session:
        sequences = session.execute(
            select(Message.sequence)
            .where(Message.direction == Direction.OUTBOUND)
            .order_by(Message.sequence)
        ).scalars()
        assert list(sequences) == list(range(1, 2 * per_worker + 1))
        inbound = select(func.count()).where(Message.direction == Direction.INBOUND)
        assert session.execute(inbound).scalar_one() == 2 * per_worker
    engine.dispose()


# Engines and sessions


def test_session_scope_commits_on_success_and_rolls_back_on_error(
    migrated_engine: Engine,
) -> None:
    with session_scope(migrated_engine) as session:
        audit.record(session, action="kept")
    with pytest.raises(RuntimeError), session_scope(migrated_engine) as session:
        audit.record(session, action="discarded")
        raise RuntimeError("boom")
    with session_scope(migrated_engine) as session:
        assert session.execute(select(AuditLog.action)).scalars().all() == ["kept"]


def test_get_engine_is_shared_per_url(tmp_path: Path) -> None:
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    assert get_engine(first) is get_engine(first)
    assert get_engine(first) is not get_engine(second)


def test_timestamps_come_back_as_aware_utc(db_session: Session) -> None:
    client = make_client(db_session)
    summer_in_madrid = datetime(2026, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    client.consent_at = summer_in_madrid
    db_session.commit()
    db_session.expire_all()
    assert client.consent_at == summer_in_madrid
    assert client.consent_at.tzinfo == timezone.utc
    assert client.consent_at.hour == 7


def test_naive_timestamps_are_refused(db_session: Session) -> None:
    client = make_client(db_session)
    client.consent_at = datetime(2026, 7, 1, 9, 30)
    with pytest.raises(StatementError, match="timezone-aware"):
        db_session.flush()


# Constraints the database itself enforces


@pytest.mark.parametrize(
    ("column", "value"),
    [("urge_suicide", 6), ("urge_use", -1), ("joy", 6), ("skills_used", 8)],
)
def test_diary_values_off_the_scale_are_rejected_by_the_database(
    db_session: Session, column: str, value: int
) -> None:
    client = make_client(db_session)
    db_session.add(DiaryEntry(client_id=client.id, entry_date=date(2026, 7, 1), **{column: value}))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_distress_above_100_is_rejected_by_the_database(db_session: Session) -> None:
    client = make_client(db_session)
    db_session.add(SkillPractice(client_id=client.id, skill_id="tipp", distress_before=101))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_a_second_diary_card_for_the_same_day_is_refused(db_session: Session) -> None:
    client = make_client(db_session)
    for _ in range(2):
        db_session.add(DiaryEntry(client_id=client.id, entry_date=date(2026, 7, 1), joy=3))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_a_reminder_is_delivered_once_per_due_time(db_session: Session) -> None:
    client = make_client(db_session)
    reminder = Reminder(client_id=client.id, kind="diary", local_time=time(20, 0))
    due = datetime(2026, 7, 1, 23, 0, tzinfo=timezone.utc)
    reminder.deliveries = [ReminderDelivery(due_at=due), ReminderDelivery(due_at=due)]
    db_session.add(reminder)
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_unknown_status_is_rejected_by_the_database(db_session: Session) -> None:
    db_session.add(
        Message(
            channel="sms", direction="inbound", address="+15005550006", body="hi", status="lost"
        )
    )
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_foreign_keys_are_enforced(db_session: Session) -> None:
    db_session.add(DiaryEntry(client_id=424242, entry_date=date(2026, 7, 1)))
    with pytest.raises(IntegrityError):
        db_session.flush()


# The message log


def inbound(session: Session, provider_id: str | None, **overrides: Any) -> Message | None:
    fields: dict[str, Any] = {
        "channel": Channel.SMS,
        "address": "+15005550006",
        "body": "hi",
        "provider_id": provider_id,
    }
    return record_inbound(session, **(fields | overrides))


def count_messages(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.execute(select(func.count(Message.id))).scalar_one())


def test_provider_retry_is_recorded_once(migrated_engine: Engine) -> None:
    with session_scope(migrated_engine) as session:
        first = inbound(session, "SM123")
        assert first is not None and first.status == MessageStatus.RECEIVED
    with session_scope(migrated_engine) as session:
        assert inbound(session, "SM123") is None
    assert count_messages(migrated_engine) == 1


def test_provider_retry_keeps_the_rest_of_the_transaction(migrated_engine: Engine) -> None:
    with session_scope(migrated_engine) as session:
        inbound(session, "SM123")
    with session_scope(migrated_engine) as session:
        audit.record(session, action="before_the_retry")
        assert inbound(session, "SM123") is None
        audit.record(session, action="after_the_retry")
    with session_scope(migrated_engine) as session:
        actions = session.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars()
        assert list(actions) == ["before_the_retry", "after_the_retry"]


def test_provider_retry_racing_the_first_delivery_is_recorded_once(
    migrated_engine: Engine,
) -> None:
    results: list[Message | None] = []

    def retry() -> None:
        with session_scope(migrated_engine) as session:
            results.append(inbound(session, "SM-race"))

    with session_scope(migrated_engine) as session:
        assert inbound(session, "SM-race") is not None
        racer = threading.Thread(target=retry)
        racer.start()
        clock.sleep(0.3)  # the retry is now waiting on the uncommitted first delivery
    racer.join(timeout=30)
    assert results == [None]
    assert count_messages(migrated_engine) == 1


def test_same_provider_id_elsewhere_is_another_message(migrated_engine: Engine) -> None:
    with session_scope(migrated_engine) as session:
        assert inbound(session, "42") is not None
        assert inbound(session, "42", channel=Channel.TELEGRAM, address="777000") is not None
        assert inbound(session, None) is not None
        assert inbound(session, None) is not None
    assert count_messages(migrated_engine) == 4


def test_inbound_for_an_unknown_client_is_an_error_not_a_retry(db_session: Session) -> None:
    with pytest.raises(IntegrityError):
        inbound(db_session, "SM1", client_id=424242)


@pytest.mark.parametrize(
    "bad",
    [{"channel": "fax"}, {"address": ""}, {"address": "x" * 65}, {"provider_id": "x" * 65}],
)
def test_inbound_with_bad_fields_is_refused(db_session: Session, bad: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        inbound(db_session, **({"provider_id": "SM1"} | bad))


def test_outbound_replies_are_numbered_per_conversation(
    db_session: Session, client_id: int
) -> None:
    other = make_client(db_session, code="CLIENT02")

    def reply(client: int | None, address: str = "+15005550006") -> int | None:
        return record_outbound(
            db_session, client_id=client, channel=Channel.SMS, address=address, body="ok"
        ).sequence

    assert [reply(client_id), reply(client_id), reply(other.id), reply(client_id)] == [1, 2, 1, 3]
    assert [reply(None, "+15005550099"), reply(None, "+15005550099")] == [1, 2]
    assert reply(None, "+15005550098") == 1


def test_concurrent_replies_get_distinct_sequence_numbers(
    migrated_engine: Engine, client_id: int
) -> None:
    def reply_ten_times() -> None:
        for _ in range(10):
            with session_scope(migrated_engine) as session:
                record_outbound(
                    session, client_id=client_id, channel=Channel.SMS, address="+1", body="ok"
                )

    writers = [threading.Thread(target=reply_ten_times) for _ in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    with session_scope(migrated_engine) as session:
        sequences = session.execute(select(Message.sequence).order_by(Message.sequence))
        assert list(sequences.scalars()) == list(range(1, 31))


def test_mark_status_records_provider_id_and_error_code(db_session: Session) -> None:
    message = record_outbound(
        db_session, client_id=None, channel=Channel.SMS, address="+15005550006", body="hi"
    )
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 0)
    mark_status(db_session, message.id, MessageStatus.FAILED, error="twilio-30003")
    assert (message.status, message.error) == (MessageStatus.FAILED, "twilio-30003")
    mark_status(db_session, message.id, MessageStatus.SENT, provider_id="SMabc")
    assert (message.status, message.error, message.provider_id) == ("sent", None, "SMabc")


def test_mark_status_refuses_bad_input(db_session: Session) -> None:
    message = record_outbound(
        db_session, client_id=None, channel=Channel.SMS, address="+15005550006", body="hi"
    )
    with pytest.raises(ValueError, match="status"):
        mark_status(db_session, message.id, "lost")
    with pytest.raises(ValueError, match="short code"):
        mark_status(db_session, message.id, MessageStatus.FAILED, error="the client wrote " * 9)
    with pytest.raises(LookupError):
        mark_status(db_session, 424242, MessageStatus.SENT)


def test_transcript_is_the_latest_messages_oldest_first(
    db_session: Session, client_id: int
) -> None:
    start = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
    for minute in range(5):
        message = inbound(db_session, f"SM{minute}", body=f"message {minute}", client_id=client_id)
        assert message is not None
        message.created_at = start + timedelta(minutes=minute)
    inbound(db_session, "SM-other", body="someone else")
    db_session.flush()
    assert [m.body for m in transcript(db_session, client_id, limit=3)] == [
        "message 2",
        "message 3",
        "message 4",
    ]


# The audit log


def test_audit_entries_are_stored(db_session: Session, client_id: int) -> None:
    entry = audit.record(
        db_session, action="view_transcript", actor_therapist_id=1, client_id=client_id, ip="::1"
    )
    stored = db_session.get(AuditLog, entry.id)
    assert stored is not None
    assert (stored.action, stored.client_id, stored.ip) == ("view_transcript", client_id, "::1")
    assert stored.at.tzinfo == timezone.utc


def test_audit_detail_must_be_a_short_note(db_session: Session) -> None:
    with pytest.raises(ValueError, match="short note"):
        audit.record(db_session, action="view_transcript", detail="x" * 501)


def test_upgrading_marks_existing_demo_staff_and_keeps_one_active_escalation_per_client(
    database_url: str,
) -> None:
    upgrade(database_url, "0001")
    engine = create_engine_for(database_url)
    now = "2026-11-01 10:00:00"
    with engine.begin() as connection:
        for staff_id, email in ((1, "therapist@demo.clinic"), (2, "dr@clinic.example")):
            connection.execute(
                text(
                    "INSERT INTO therapists (id, email, name, role, password_hash, page_channel,"
                    " active, created_at) VALUES (:id, :email, 'T', 'therapist', 'x', 'sms',"
                    " TRUE, :now)"
                ),
                {"id": staff_id, "email": email, "now": now},
            )
        connection.execute(
            text(
                "INSERT INTO clients (id, code, name, therapist_id, timezone, locale,"
                " quiet_start, quiet_end, created_at) VALUES (1, 'CLIENT01', 'C', 2, 'UTC', 'en',"
                " '22:00:00', '08:00:00', :now)"
            ),
            {"now": now},
        )
        for escalation_id, code in ((1, "AAAAAA"), (2, "BBBBBB")):
            connection.execute(
                text(
                    "INSERT INTO escalations (id, client_id, code, level, categories, evidence,"
                    " status, opened_at) VALUES (:id, 1, :code, 'high', '[]', '', 'open', :now)"
                ),
                {"id": escalation_id, "code": code, "now": now},
            )
    upgrade(database_url)
    with engine.connect() as connection:
        demo = connection.execute(text("SELECT email, is_demo FROM therapists ORDER BY id")).all()
        assert [(email, bool(flag)) for email, flag in demo] == [
            ("therapist@demo.clinic", True),
            ("dr@clinic.example", False),
        ]
        statuses = connection.execute(text("SELECT status FROM escalations ORDER BY id")).all()
        assert [status for (status,) in statuses] == ["resolved", "open"]
    engine.dispose()
