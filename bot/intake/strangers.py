"""Risky messages from senders we cannot link: people are told, without ringing all night.

A risky text from a number or account that is no client's may be a client on
a new phone: the on-call therapist and the admins must hear of it (its
number, never its words). It may also be one of fifty throwaway numbers, and
the on-call phone must stay the one that is believed. So:

- a sender people were told about in the last :data:`SENDER_ALERT_INTERVAL`
  is not told about again;
- clinic-wide, at most one alert goes out per :data:`ALERT_WINDOW`. The first
  risky stranger of a quiet window is told at once, with their number; later
  ones wait (``status`` ``received``) and are told in one summary with their
  count once the window has passed (:func:`send_summary`, which the scheduler
  runs).

Only the alerts to staff are limited: every such message is kept, screened,
and answered with the crisis numbers, whatever the alerts do.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import escalation
from bot.settings import Settings
from bot.storage.enums import Direction, MessageStatus
from bot.storage.models import Message

logger = logging.getLogger(__name__)

#: A sender people were told about is not told about again for this long.
SENDER_ALERT_INTERVAL = timedelta(hours=1)
#: Clinic-wide, at most one alert about unregistered senders in this long.
ALERT_WINDOW = timedelta(minutes=10)
#: A summary names this many numbers at most; it counts the rest.
SUMMARY_NUMBERS = 3

SENDER_ALERT = (
    "WiseMind: a risky message came from an unregistered {channel} number {address}; "
    "they were sent the crisis numbers. See the dashboard: {link}"
)
SUMMARY_ALERT = (
    "WiseMind: {count} risky messages came from {senders} unregistered number(s) ({numbers}) "
    "since the last such alert; each was sent the crisis numbers. These alerts go out at "
    "most every {minutes} min. See the dashboard: {link}"
)


def tell_people(session: Session, message: Message, settings: Settings) -> None:
    """Tell people of a risky message kept from an unregistered sender, now or in a summary.

    ``message`` is stored and screened; it is marked told (``alerted_at``,
    ``processed``) when its alert goes out or an earlier one about its sender
    covers it, and left ``received`` for the next summary otherwise.
    """
    now = message.created_at
    covered = session.execute(
        select(func.max(Message.alerted_at)).where(
            *_kept_from_strangers(),
            Message.channel == message.channel,
            Message.address == message.address,
            Message.alerted_at >= now - SENDER_ALERT_INTERVAL,
        )
    ).scalar_one()
    if covered is not None:
        _mark_told([message], covered)
    elif _alert_due(session, now):
        _tell(session, _held(session), now, settings)  # the message is held too
    else:
        logger.warning(
            "risky message %s from an unknown sender: told in the next summary", message.id
        )


def send_summary(session: Session, now: datetime, settings: Settings) -> int:
    """Once the window has passed, tell people of the risky messages held back; how many."""
    held = _held(session)
    if not held or not _alert_due(session, now):
        return 0
    _tell(session, held, now, settings)
    return len(held)


def _kept_from_strangers() -> tuple[object, ...]:
    """The conditions of an inbound message kept from a sender who is no client.

    Staff messages have no client either, but are never left ``received``
    once screened, and never have ``alerted_at``.
    """
    return (Message.direction == Direction.INBOUND, Message.client_id.is_(None))


def _alert_due(session: Session, now: datetime) -> bool:
    """Whether no alert about unregistered senders went out in the last window."""
    last = session.execute(
        select(func.max(Message.alerted_at)).where(*_kept_from_strangers())
    ).scalar_one()
    return last is None or last <= now - ALERT_WINDOW


def _held(session: Session) -> list[Message]:
    """Kept risky messages from strangers that people have not been told of yet, oldest first."""
    return list(
        session.execute(
            select(Message)
            .where(
                *_kept_from_strangers(),
                Message.status == MessageStatus.RECEIVED,
                Message.screened_at.is_not(None),
            )
            .order_by(Message.id)
        ).scalars()
    )


def _tell(session: Session, messages: list[Message], now: datetime, settings: Settings) -> None:
    """One alert: about the sender of one message, or a summary of several."""
    if len(messages) == 1:
        (message,) = messages
        text = SENDER_ALERT.format(
            channel=message.channel, address=message.address, link=settings.dashboard_url
        )
    else:
        text = _summary(messages, settings)
        logger.warning("%d risky messages from unknown senders told in one summary", len(messages))
    escalation.alert_on_call_and_admins(session, text, now, settings)
    _mark_told(messages, now)


def _summary(messages: list[Message], settings: Settings) -> str:
    numbers = list(dict.fromkeys(message.address for message in messages))
    shown = ", ".join(numbers[:SUMMARY_NUMBERS])
    if len(numbers) > SUMMARY_NUMBERS:
        shown += f" and {len(numbers) - SUMMARY_NUMBERS} more"
    return SUMMARY_ALERT.format(
        count=len(messages),
        senders=len(numbers),
        numbers=shown,
        minutes=int(ALERT_WINDOW.total_seconds() // 60),
        link=settings.dashboard_url,
    )


def _mark_told(messages: list[Message], at: datetime) -> None:
    for message in messages:
        message.alerted_at = at
        message.status = MessageStatus.PROCESSED
