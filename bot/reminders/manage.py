"""What therapists do with reminders and check-ins (``wisemind reminders|checkin``).

Local dates and times are the client's, as the therapist agreed them with the
client; everything is validated here so the CLI and, later, the dashboard
share one set of rules and messages.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.clinic import client_by_code, normalise_code, therapist_by_email
from bot.reminders.checkins import checkins_of
from bot.reminders.commands import describe_one
from bot.reminders.schedule import QuietHours
from bot.reminders.store import (
    ONE_OFF_LEEWAY,
    ReminderError,
    add_reminder,
    change_quiet_hours,
    client_reminders,
    deactivate,
)
from bot.storage.enums import ReminderDays
from bot.storage.models import Client, Homework, Reminder

#: ``--days weekdays`` as stored.
WEEKDAYS_ONLY = "mon,tue,wed,thu,fri"


def client_for(session: Session, code: str) -> Client:
    client = client_by_code(session, normalise_code(code))
    if client is None:
        raise ReminderError(f"no client with code {code!r}")
    return client


def add_for_client(
    session: Session,
    *,
    client_code: str,
    kind: str,
    therapist_email: str | None,
    now: datetime,
    at: time | None = None,
    days: str = ReminderDays.DAILY,
    on: datetime | None = None,
    text: str | None = None,
    after_days: int | None = None,
    homework_id: int | None = None,
) -> Reminder:
    """A therapist sets a reminder; ``on`` is a naive local date and time of the client."""
    client = client_for(session, client_code)
    created_by = None
    if therapist_email:
        therapist = therapist_by_email(session, therapist_email)
        if therapist is None:
            raise ReminderError(f"no therapist with email {therapist_email!r}")
        created_by = therapist.id
    homework = None
    if homework_id is not None:
        homework = session.get(Homework, homework_id)
        if homework is None:
            raise ReminderError(f"no homework with id {homework_id}")
    one_off_at = None
    if on is not None:
        one_off_at = on.replace(tzinfo=ZoneInfo(client.timezone))
        if one_off_at < now - ONE_OFF_LEEWAY:
            raise ReminderError(
                f"{on:%Y-%m-%d %H:%M} has already passed in the client's time zone "
                f"({client.timezone})"
            )
    return add_reminder(
        session,
        client,
        kind,
        now,
        local_time=at,
        days=normalise_days(days),
        one_off_at=one_off_at,
        text=text,
        after_days=after_days,
        homework=homework,
        created_by=created_by,
    )


def normalise_days(days: str) -> str:
    """``daily``, ``weekdays`` or a comma list such as ``Mon, thu``."""
    days = days.strip().lower()
    if days == "weekdays":
        return WEEKDAYS_ONLY
    if days == ReminderDays.DAILY:
        return days
    names = [d.strip()[:3] for d in days.split(",") if d.strip()]
    unknown = [d for d in names if d not in ReminderDays.WEEKDAYS]
    if not names or unknown:
        raise ReminderError(f"days must be daily, weekdays or a list like mon,thu; got {days!r}")
    return ",".join(d for d in ReminderDays.WEEKDAYS if d in names)


def reminder_lines(session: Session, client_code: str) -> list[str]:
    """One line per active reminder, with its id (for ``remove``)."""
    client = client_for(session, client_code)
    return [
        f"{reminder.id}\t{reminder.kind}\t{describe_one(reminder, client)}"
        for reminder in client_reminders(session, client.id)
    ]


def remove(
    session: Session, reminder_id: int, now: datetime, *, client: Client | None = None
) -> Reminder:
    """Stop a reminder or check-in; with ``client``, only one of theirs."""
    reminder = session.get(Reminder, reminder_id)
    if (
        reminder is None
        or not reminder.active
        or (client is not None and reminder.client_id != client.id)
    ):
        raise ReminderError(f"no active reminder with id {reminder_id}")
    deactivate(session, [reminder], now)
    return reminder


def set_quiet_hours(
    session: Session, client_code: str, start: time, end: time, now: datetime
) -> str:
    """A therapist sets a client's quiet hours (the client's local times); what was done."""
    client = client_for(session, client_code)
    rescheduled = change_quiet_hours(session, client, QuietHours(start, end), now)
    hours = f"{start:%H:%M} to {end:%H:%M}" if start != end else "none"
    return (
        f"Quiet hours for {client.code}: {hours} ({client.timezone}); "
        f"{rescheduled} reminder(s) rescheduled."
    )


def checkin_lines(session: Session, client_code: str) -> list[str]:
    """Each check-in question, then every time it was asked and the answer given."""
    client = client_for(session, client_code)
    zone = ZoneInfo(client.timezone)
    lines = []
    for record in checkins_of(session, client):
        state = "" if record.active else " (stopped)"
        lines.append(f"{record.reminder_id}\t{record.question}{state}")
        for due_at, status, answer, answered_at in record.asked:
            when = due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            if answer is not None and answered_at is not None:
                answered = answered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                lines.append(f"  {when} {status}: answered {answered}: {answer}")
            else:
                lines.append(f"  {when} {status}: no answer yet")
    return lines
