"""Risky messages from senders we cannot link: people are told, without ringing all night.

A risky text from a number or account that is no client's may be a client on
a new phone: the on-call therapist and the admins must hear of it (its
number, never its words). It may also be one of fifty throwaway numbers, and
the on-call phone must stay the one that is believed. So:

- a sender people were told about in the last :data:`SENDER_ALERT_INTERVAL`
  is not told about again for a message at the same or a lower level (a
  "goodbye" after a "hopeless" is told: the alert names the level);
- clinic-wide, one alert per :data:`ALERT_WINDOW` for moderate risk. The first
  risky stranger of a quiet window is told at once, with their number; later
  ones wait (``status`` ``received``) and are told in one summary with their
  count once the window has passed (:func:`send_summary`, which the scheduler
  runs), the most urgent numbers named first. A sender a summary only counts
  ("and 2 more") was not named, so is not covered: their next risky message
  is told with their number;
- a high or imminent message (an attempt in progress, from a client on a new
  phone) does not wait for the window: it is told at once, with whatever is
  held, unless :data:`URGENT_ALERTS_PER_WINDOW` alerts went out in the window
  already (fifty throwaway numbers texting "goodbye" ring the phone a few
  times, then wait for the summary).

Only the alerts to staff are limited: every such message is kept, screened,
and answered with the crisis numbers, whatever the alerts do.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import escalation
from bot.safety import RiskLevel
from bot.settings import Settings
from bot.storage.enums import Direction, MessageStatus
from bot.storage.models import Message

logger = logging.getLogger(__name__)

#: A sender people were told about is not told about again for this long.
SENDER_ALERT_INTERVAL = timedelta(hours=1)
#: Clinic-wide, at most one alert about unregistered senders in this long.
ALERT_WINDOW = timedelta(minutes=10)
#: High or imminent messages are told at once while fewer alerts than this went out
#: in the last :data:`ALERT_WINDOW`.
URGENT_ALERTS_PER_WINDOW = 3
#: A summary names this many numbers at most, the most urgent first; it counts the rest.
SUMMARY_NUMBERS = 3
#: How an alert names a message the detector could not score (ranked as high: when in
#: doubt, escalate).
UNSCORED = "not scored"

SENDER_ALERT = (
    "WiseMind: a risky message ({level}) came from an unregistered {channel} number "
    "{address}; they were sent the crisis numbers. See the dashboard: {link}"
)
SUMMARY_ALERT = (
    "WiseMind: {count} risky messages came from {senders} unregistered number(s) ({numbers}) "
    "since the last such alert; each was sent the crisis numbers. These alerts go out at "
    "most every {minutes} min. See the dashboard: {link}"
)


def tell_people(session: Session, message: Message, settings: Settings) -> None:
    """Tell people of a risky message kept from an unregistered sender, now or in a summary.

    ``message`` is stored and screened; it is marked told (``alerted_at``,
    ``processed``) when an alert naming its sender goes out (with every message
    still held) or an earlier one naming its sender, at its level or above,
    covers it, and left ``received`` for the next summary otherwise.
    """
    now = message.created_at
    level = _level(message.risk_level)
    told = session.execute(
        select(Message.risk_level, Message.alerted_at).where(
            *_kept_from_strangers(),
            Message.channel == message.channel,
            Message.address == message.address,
            Message.alerted_at >= now - SENDER_ALERT_INTERVAL,
        )
    ).all()
    covered = [row.alerted_at for row in told if _level(row.risk_level) >= level]
    if covered:
        _mark_told([message], max(covered))
    elif _alert_due(session, now, urgent=level.escalates):
        _tell(session, _held(session), now, settings)  # the message is held too
    else:
        logger.warning(
            "risky message %s from an unknown sender: told in the next summary", message.id
        )


def send_summary(session: Session, now: datetime, settings: Settings) -> int:
    """Once the window has passed, tell people of the risky messages held back; how many."""
    held = _held(session)
    if not held or not _alert_due(session, now, urgent=False):
        return 0
    _tell(session, held, now, settings)
    return len(held)


def _kept_from_strangers() -> tuple[object, ...]:
    """The conditions of an inbound message kept from a sender who is no client.

    Staff messages have no client either, but are never left ``received``
    once screened, and never have ``alerted_at``.
    """
    return (Message.direction == Direction.INBOUND, Message.client_id.is_(None))


def _alert_due(session: Session, now: datetime, *, urgent: bool) -> bool:
    """Whether an alert may go out now: none in the last window, or an ``urgent`` one
    while fewer than :data:`URGENT_ALERTS_PER_WINDOW` did (an alert is one
    ``alerted_at``, shared by the messages it told of)."""
    alerts = session.execute(
        select(func.count(func.distinct(Message.alerted_at))).where(
            *_kept_from_strangers(), Message.alerted_at > now - ALERT_WINDOW
        )
    ).scalar_one()
    return alerts == 0 or (urgent and alerts < URGENT_ALERTS_PER_WINDOW)


def _level(risk_level: str | None) -> RiskLevel:
    """A kept message's level; one the detector could not score counts as high."""
    return RiskLevel(risk_level) if risk_level else RiskLevel.HIGH


def _held(session: Session) -> list[Message]:
    """Kept risky messages from strangers that people have not been told of yet: the
    most urgent first, then oldest first."""
    held = session.execute(
        select(Message)
        .where(
            *_kept_from_strangers(),
            Message.status == MessageStatus.RECEIVED,
            Message.screened_at.is_not(None),
        )
        .order_by(Message.id)
    ).scalars()
    return sorted(held, key=lambda message: -_level(message.risk_level).rank)


def _tell(session: Session, messages: list[Message], now: datetime, settings: Settings) -> None:
    """One alert: about the sender of one message, or a summary of several.

    Only the messages whose sender the alert names are marked told
    (``alerted_at``), so only a named sender's later messages are covered; the
    ones a summary only counts ("and 2 more") are closed without it, so their
    sender's next risky message is told with their number.
    """
    senders = _most_urgent_per_sender(messages)
    named = set(list(senders)[:SUMMARY_NUMBERS])
    if len(messages) == 1:
        (message,) = messages
        text = SENDER_ALERT.format(
            level=_label(message),
            channel=message.channel,
            address=message.address,
            link=settings.dashboard_url,
        )
    else:
        text = _summary(len(messages), senders, settings)
        logger.warning("%d risky messages from unknown senders told in one summary", len(messages))
    escalation.alert_on_call_and_admins(session, text, now, settings)
    _mark_told([message for message in messages if message.address in named], now)
    for message in messages:
        message.status = MessageStatus.PROCESSED


def _label(message: Message) -> str:
    """The level an alert names, never the words: "imminent risk", "not scored"."""
    return f"{message.risk_level} risk" if message.risk_level else UNSCORED


def _most_urgent_per_sender(messages: list[Message]) -> dict[str, Message]:
    """Each sender of ``messages`` (most urgent first) with their most urgent message, in
    the order a summary names them."""
    most_urgent: dict[str, Message] = {}
    for message in messages:
        most_urgent.setdefault(message.address, message)
    return most_urgent


def _summary(count: int, senders: dict[str, Message], settings: Settings) -> str:
    """The summary of ``count`` messages: the first :data:`SUMMARY_NUMBERS` of ``senders``
    named, each at its most urgent message's level, the rest counted."""
    named = [f"{address} ({_label(message)})" for address, message in senders.items()]
    shown = ", ".join(named[:SUMMARY_NUMBERS])
    if len(named) > SUMMARY_NUMBERS:
        shown += f" and {len(named) - SUMMARY_NUMBERS} more"
    return SUMMARY_ALERT.format(
        count=count,
        senders=len(named),
        numbers=shown,
        minutes=int(ALERT_WINDOW.total_seconds() // 60),
        link=settings.dashboard_url,
    )


def _mark_told(messages: list[Message], at: datetime) -> None:
    """``messages``' senders were named to people at ``at``: they cover their later ones."""
    for message in messages:
        message.alerted_at = at
        message.status = MessageStatus.PROCESSED
