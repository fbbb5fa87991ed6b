"""Reminders as rows: setting them, and turning them into occurrences ahead of time.

Each occurrence is a ``reminder_deliveries`` row, unique per ``(reminder,
due_at)``, inserted before it is due (:func:`materialise`). The due time is
already moved out of the client's quiet hours, so what the scheduler sends is
exactly what the table says. Changing a reminder (its time, its days, the
client's quiet hours) drops the occurrences not yet sent and makes them again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.reminders.schedule import (
    SESSION_LEADS,
    QuietHours,
    after_quiet_hours,
    daily_instants,
    parse_days,
)
from bot.storage.enums import DeliveryStatus, ReminderDays, ReminderKind
from bot.storage.models import Client, Homework, Reminder, ReminderDelivery

#: Occurrences are made this far ahead of their due time.
HORIZON = timedelta(days=2)
#: A reminder is materialised again once fewer than this many hours are left.
REFRESH_BEFORE = timedelta(days=1)
#: How late an occurrence may still go out after downtime; older ones are skipped.
GRACE = {
    ReminderKind.DIARY: timedelta(hours=3),
    ReminderKind.PRACTICE: timedelta(hours=3),
    ReminderKind.HOMEWORK: timedelta(hours=3),
    # The 1 h reminder is useless after the session has started.
    ReminderKind.SESSION: timedelta(minutes=45),
    ReminderKind.REENGAGE: timedelta(hours=12),
    ReminderKind.CHECKIN: timedelta(hours=12),
}
#: A one-off set for "now" is typed to the minute, so its time has just passed: occurrences
#: of a new one-off are made from this long before it was set (later ones are refused).
ONE_OFF_LEEWAY = timedelta(minutes=2)
#: Reminders materialised per query, so 10,000 clients never load at once.
MATERIALISE_BATCH = 1000
#: A pass that makes this many occurrences refreshes the table's statistics (PostgreSQL).
REFRESH_STATISTICS_AFTER = 1000


class ReminderError(ValueError):
    """A reminder cannot be set as asked; the message says why, in plain words."""


def grace(kind: str) -> timedelta:
    return GRACE[kind]


def quiet_hours(client: Client) -> QuietHours:
    return QuietHours(client.quiet_start, client.quiet_end)


def add_reminder(
    session: Session,
    client: Client,
    kind: str,
    now: datetime,
    *,
    local_time: time | None = None,
    days: str = ReminderDays.DAILY,
    one_off_at: datetime | None = None,
    text: str | None = None,
    after_days: int | None = None,
    homework: Homework | None = None,
    created_by: int | None = None,
) -> Reminder:
    """Store a reminder and its first occurrences.

    A recurring reminder needs ``local_time`` (and ``days``); a one-off needs
    ``one_off_at`` (for a session: the appointment). Occurrences start from
    ``now``: a reminder set at 21:30 for 21:00 first goes out tomorrow; a
    one-off from :data:`ONE_OFF_LEEWAY` before, so "now" to the minute is sent.
    """
    if kind not in ReminderKind.ALL:
        raise ReminderError(f"unknown reminder kind {kind!r}")
    if (local_time is None) == (one_off_at is None):
        raise ReminderError("give either a daily time or a one-off date and time")
    if kind == ReminderKind.SESSION and one_off_at is None:
        raise ReminderError("a session reminder needs the appointment's date and time")
    if kind == ReminderKind.CHECKIN and not (text and text.strip()):
        raise ReminderError("a check-in needs the therapist's question")
    if kind == ReminderKind.REENGAGE and (after_days is None or after_days < 1):
        raise ReminderError("a re-engagement reminder needs a number of days (1 or more)")
    if kind == ReminderKind.HOMEWORK and homework is None:
        raise ReminderError("a homework reminder needs the homework it is about")
    if homework is not None and homework.client_id != client.id:
        raise ReminderError("that homework belongs to another client")
    parse_days(days)  # fails loudly on a misspelled weekday
    reminder = Reminder(
        client_id=client.id,
        kind=kind,
        local_time=local_time,
        days=days,
        one_off_at=one_off_at,
        text=text.strip() if text else None,
        after_days=after_days,
        homework_id=homework.id if homework is not None else None,
        created_by=created_by,
        materialised_until=now if one_off_at is None else now - ONE_OFF_LEEWAY,
        active=True,
        created_at=now,
    )
    session.add(reminder)
    session.flush()
    materialise_reminders(session, [(reminder, client)], now)
    return reminder


def reschedule(session: Session, reminders: Iterable[Reminder], now: datetime) -> None:
    """After a change: drop unsent future occurrences and make them again."""
    reminders = list(reminders)
    if not reminders:
        return
    session.execute(
        delete(ReminderDelivery)
        .where(
            ReminderDelivery.reminder_id.in_([r.id for r in reminders]),
            ReminderDelivery.status == DeliveryStatus.PENDING,
            ReminderDelivery.due_at > now,
        )
        .execution_options(synchronize_session=False)
    )
    for reminder in reminders:
        reminder.materialised_until = now
    session.flush()
    pairs = [(r, session.get(Client, r.client_id)) for r in reminders if r.active]
    materialise_reminders(session, [(r, c) for r, c in pairs if c is not None], now)


def change_quiet_hours(session: Session, client: Client, quiet: QuietHours, now: datetime) -> int:
    """Set the client's quiet hours (their local times); every active reminder is remade.

    Returns how many reminders were rescheduled. ``quiet.start == quiet.end``
    means no quiet hours.
    """
    client.quiet_start = quiet.start
    client.quiet_end = quiet.end
    session.flush()
    reminders = client_reminders(session, client.id)
    reschedule(session, reminders, now)
    return len(reminders)


def deactivate(session: Session, reminders: Iterable[Reminder], now: datetime) -> int:
    """Stop reminders; their unsent future occurrences go. Returns how many stopped."""
    reminders = [r for r in reminders if r.active]
    for reminder in reminders:
        reminder.active = False
    reschedule(session, reminders, now)
    return len(reminders)


class Materialised(NamedTuple):
    """What one :func:`materialise` call did."""

    reminders: int
    occurrences: int


def materialise(session: Session, now: datetime, limit: int = MATERIALISE_BATCH) -> Materialised:
    """Make the occurrences of up to ``limit`` active reminders up to ``now + HORIZON``.

    Only reminders with fewer than :data:`REFRESH_BEFORE` materialised ahead
    are read, so a pass over an idle clinic costs one query; those read are
    then materialised to the horizon, so the next call reads the next ones.
    Call it in a transaction of its own until fewer than ``limit`` reminders
    come back: a whole clinic's in one transaction would hold SQLite's write
    lock (and every inbound message waiting for it) for seconds.
    """
    rows = session.execute(
        select(Reminder, Client)
        .join(Client, Client.id == Reminder.client_id)
        .where(
            Reminder.active.is_(True),
            or_(
                Reminder.materialised_until.is_(None),
                Reminder.materialised_until < now + HORIZON - REFRESH_BEFORE,
            ),
        )
        .order_by(Reminder.id)
        .limit(limit)
    ).all()
    if not rows:
        return Materialised(0, 0)
    return Materialised(len(rows), materialise_reminders(session, [(r, c) for r, c in rows], now))


def refresh_statistics(session: Session) -> None:
    """After many occurrences were made at once, let PostgreSQL's planner see them.

    Until autovacuum gets round to it (a minute or more), PostgreSQL plans the
    claim of new rows from statistics that have not seen them: sorting every
    occurrence due in the same minute for each batch instead of reading the
    first few in order. SQLite has no such statistics to refresh.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {ReminderDelivery.__tablename__}"))


def materialise_reminders(
    session: Session, pairs: Sequence[tuple[Reminder, Client]], now: datetime
) -> int:
    """Insert the occurrences of these reminders up to ``now + HORIZON``; existing ones stay."""
    end = now + HORIZON
    homework_due = _homework_due(session, [r.homework_id for r, _ in pairs if r.homework_id])
    values: list[dict[str, Any]] = []
    for reminder, client in pairs:
        start = max(reminder.materialised_until or now, now - grace(reminder.kind))
        until = homework_due.get(reminder.homework_id) if reminder.homework_id else None
        for due in occurrences(reminder, client, start, min(end, until) if until else end):
            values.append(
                {"reminder_id": reminder.id, "due_at": due, "status": DeliveryStatus.PENDING}
            )
        reminder.materialised_until = end
    session.flush()
    if not values:
        return 0
    return _insert_new(session, values)


def occurrences(
    reminder: Reminder, client: Client, start: datetime, end: datetime
) -> list[datetime]:
    """Due times (UTC, moved out of quiet hours) whose nominal time is in [start, end)."""
    zone = ZoneInfo(client.timezone)
    if reminder.local_time is not None:
        nominal = list(
            daily_instants(reminder.local_time, parse_days(reminder.days), zone, start, end)
        )
    else:
        assert reminder.one_off_at is not None
        leads = SESSION_LEADS if reminder.kind == ReminderKind.SESSION else (timedelta(0),)
        nominal = [
            reminder.one_off_at - lead
            for lead in leads
            if start <= reminder.one_off_at - lead < end
        ]
    quiet = quiet_hours(client)
    return sorted({after_quiet_hours(instant, zone, quiet) for instant in nominal})


def add_occurrence(session: Session, reminder: Reminder, due_at: datetime) -> bool:
    """One extra occurrence (a snooze); False if that exact one already exists."""
    return bool(
        _insert_new(
            session,
            [{"reminder_id": reminder.id, "due_at": due_at, "status": DeliveryStatus.PENDING}],
        )
    )


def client_reminders(
    session: Session, client_id: int, *, active_only: bool = True
) -> list[Reminder]:
    query = select(Reminder).where(Reminder.client_id == client_id)
    if active_only:
        query = query.where(Reminder.active.is_(True))
    return list(session.execute(query.order_by(Reminder.id)).scalars())


def _homework_due(session: Session, ids: Sequence[int | None]) -> dict[int | None, datetime]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(
        select(Homework.id, Homework.due_at).where(Homework.id.in_(wanted))
    ).all()
    return {id_: due for id_, due in rows if due is not None}


def _insert_new(session: Session, values: list[dict[str, Any]]) -> int:
    """Insert occurrences, skipping existing ``(reminder_id, due_at)``: the idempotency key."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ReminderDelivery).on_conflict_do_nothing(
        index_elements=["reminder_id", "due_at"]
    )
    result = session.execute(statement, values)
    return max(int(result.rowcount or 0), 0)
