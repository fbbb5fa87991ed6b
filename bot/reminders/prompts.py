"""What a reminder says, and what the client's "yes" will start.

The Rasa action that delivers a reminder (:func:`open_delivery`) and the
direct outbox hand-off (:func:`bot.reminders.handoff.send_due_to_outbox`) use the
same words, from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.reminders import delivery as deliveries
from bot.storage.enums import HomeworkStatus, ReminderKind, SkipReason
from bot.storage.models import Client, Homework, ReminderDelivery, Therapist

#: Button payloads: Rasa intents, so a tap (or "1"/"2" by SMS) is read exactly.
YES_PAYLOAD = "/affirm"
LATER_PAYLOAD = "/reminder_later"


class Offer:
    """What the conversation expects after a reminder (the ``reminder_offer`` slot)."""

    #: "yes" starts the diary card.
    DIARY: str = "diary"
    #: "yes" (done it) asks how it went and records the homework done.
    HOMEWORK: str = "homework"
    #: The next message is the answer to a therapist's question.
    CHECKIN: str = "checkin"
    #: "yes" is acknowledged; "later" snoozes.
    OTHER: str = "other"


@dataclass(frozen=True)
class Prompt:
    """A reminder ready to say: its text, its choices and what a reply continues into."""

    delivery_id: int
    kind: str
    text: str
    buttons: tuple[tuple[str, str], ...]
    offer: str


YES_LATER = (("Yes", YES_PAYLOAD), ("Later", LATER_PAYLOAD))


def open_delivery(session: Session, delivery_id: int, now: datetime) -> Prompt | None:
    """Claim the right to send an occurrence and return what to say, or None.

    None when it was already sent (a repeated hand-off) or skipped, or when
    the client opted out or entered a crisis since it was claimed (then it is
    recorded as skipped).
    """
    delivery = session.get(ReminderDelivery, delivery_id)
    if delivery is None:
        return None
    reminder = delivery.reminder
    client = session.get(Client, reminder.client_id)
    assert client is not None
    if client.opted_out_at is not None:
        deliveries.skip(session, delivery_id, SkipReason.OPTED_OUT)
        return None
    if deliveries.in_crisis(session, {client.id}):
        deliveries.skip(session, delivery_id, SkipReason.CRISIS)
        return None
    if not deliveries.begin_send(session, delivery_id, now):
        return None
    return prompt_for(session, delivery.id, reminder, client.timezone)


class ReminderFields(Protocol):
    """What the words of a reminder depend on: a :class:`Reminder` or a claim of one."""

    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str | None: ...
    @property
    def homework_id(self) -> int | None: ...
    @property
    def one_off_at(self) -> datetime | None: ...
    @property
    def created_by(self) -> int | None: ...


def prompt_for(
    session: Session, delivery_id: int, reminder: ReminderFields, timezone: str
) -> Prompt:
    """The words of one occurrence (see the module docstring); ``timezone`` is the client's."""
    kind = reminder.kind
    if kind == ReminderKind.DIARY:
        return Prompt(
            delivery_id,
            kind,
            "Time for today's diary card 📝 It takes about two minutes. Fill it in now?",
            YES_LATER,
            Offer.DIARY,
        )
    if kind == ReminderKind.PRACTICE:
        skill = reminder.text or "a DBT skill"
        text = f"A nudge to practice {skill} today 🌱 Have you had a chance yet?"
        return Prompt(delivery_id, kind, text, YES_LATER, Offer.OTHER)
    if kind == ReminderKind.HOMEWORK:
        homework = session.get(Homework, reminder.homework_id) if reminder.homework_id else None
        title = homework.title if homework is not None else "your homework"
        due = (
            f", due {_when(homework.due_at, timezone)}"
            if homework is not None and homework.due_at
            else ""
        )
        text = f"Reminder: {title}{due}. Done it already?"
        return Prompt(delivery_id, kind, text, YES_LATER, Offer.HOMEWORK)
    if kind == ReminderKind.SESSION:
        assert reminder.one_off_at is not None
        text = (
            f"Reminder: your therapy session is {_when(reminder.one_off_at, timezone)}. "
            "Reply YES to confirm you'll be there."
        )
        return Prompt(delivery_id, kind, text, (("Yes", YES_PAYLOAD),), Offer.OTHER)
    if kind == ReminderKind.REENGAGE:
        text = (
            "Hi, it's been a few days. How are you doing? Text DIARY for today's card, "
            "or MENU to see what we can do together."
        )
        return Prompt(delivery_id, kind, text, (), Offer.OTHER)
    therapist = session.get(Therapist, reminder.created_by) if reminder.created_by else None
    asker = therapist.name.split()[0] if therapist is not None else "Your therapist"
    text = f"{asker} asked me to check in: {reminder.text} (Your reply goes to {asker}.)"
    return Prompt(delivery_id, kind, text, (), Offer.CHECKIN)


def _when(moment: datetime, timezone: str) -> str:
    """A due time as the client reads it: ``Tue 3 Dec at 3:00 PM`` in their zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%b} at {local:%I:%M %p}".replace(" 0", " ")


def reminded_homework(session: Session, delivery_id: int, client_id: int) -> Homework | None:
    """The homework a client's homework reminder was about, while it waits for their report.

    None when the occurrence is not this client's homework reminder, or the
    homework was already reported (or cancelled): nothing for a "yes" to record.
    """
    delivery = session.get(ReminderDelivery, delivery_id)
    if delivery is None or delivery.reminder.client_id != client_id:
        return None
    homework_id = delivery.reminder.homework_id
    homework = session.get(Homework, homework_id) if homework_id is not None else None
    if homework is None or homework.status != HomeworkStatus.ASSIGNED:
        return None
    return homework
