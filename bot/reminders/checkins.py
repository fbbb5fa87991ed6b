"""Therapist check-ins: the answer a client gives is kept against the question's occurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reminders.commands import describe_when
from bot.storage.enums import DeliveryStatus, ReminderKind
from bot.storage.models import Client, Reminder, ReminderDelivery


class Asked(NamedTuple):
    """One occurrence of a check-in: when it was due, what became of it, the answer."""

    due_at: datetime
    status: str
    answer: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class CheckinRecord:
    """One check-in question as the therapist sees it, with every time it was asked."""

    reminder_id: int
    question: str
    active: bool
    #: When it is asked, in the client's time ("every day at 9:00 PM", "Tue 1 Dec at 3:00 PM").
    schedule: str
    recurring: bool
    #: The staff account that set it (None if set by the system).
    set_by: int | None
    #: Per occurrence made so far, oldest first.
    asked: list[Asked]


def record_answer(
    session: Session, delivery_id: int, client_id: int, answer: str, now: datetime
) -> bool:
    """Keep the client's answer to a check-in they were sent; False if it is not theirs."""
    delivery = session.get(ReminderDelivery, delivery_id)
    if (
        delivery is None
        or delivery.reminder.client_id != client_id
        or delivery.reminder.kind != ReminderKind.CHECKIN
        or delivery.status != DeliveryStatus.SENT
    ):
        return False
    delivery.answer = answer
    delivery.answered_at = now
    session.flush()
    return True


def checkins_of(session: Session, client: Client) -> list[CheckinRecord]:
    """A client's check-ins (stopped ones too) with their answers, for the therapist."""
    reminders = session.execute(
        select(Reminder)
        .where(Reminder.client_id == client.id, Reminder.kind == ReminderKind.CHECKIN)
        .order_by(Reminder.id)
    ).scalars()
    records = []
    for reminder in reminders:
        asked = session.execute(
            select(
                ReminderDelivery.due_at,
                ReminderDelivery.status,
                ReminderDelivery.answer,
                ReminderDelivery.answered_at,
            )
            .where(ReminderDelivery.reminder_id == reminder.id)
            .order_by(ReminderDelivery.due_at)
        ).all()
        records.append(
            CheckinRecord(
                reminder_id=reminder.id,
                question=reminder.text or "",
                active=reminder.active,
                schedule=describe_when(reminder, client),
                recurring=reminder.local_time is not None,
                set_by=reminder.created_by,
                asked=[Asked(*row) for row in asked],
            )
        )
    return records
