"""Therapist check-ins: the answer a client gives is kept against the question's occurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.enums import DeliveryStatus, ReminderKind
from bot.storage.models import Reminder, ReminderDelivery


@dataclass(frozen=True)
class CheckinRecord:
    """One check-in question as the therapist sees it, with every time it was asked."""

    reminder_id: int
    question: str
    active: bool
    asked: list[tuple[datetime, str, str | None, datetime | None]]
    """``(due_at, status, answer, answered_at)`` per occurrence, oldest first."""


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


def checkins_of(session: Session, client_id: int) -> list[CheckinRecord]:
    """A client's check-ins (stopped ones too) with their answers, for the therapist."""
    reminders = session.execute(
        select(Reminder)
        .where(Reminder.client_id == client_id, Reminder.kind == ReminderKind.CHECKIN)
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
                reminder.id,
                reminder.text or "",
                reminder.active,
                [tuple(row) for row in asked],
            )
        )
    return records
