"""Sending occurrences: claiming what is due, deciding whether it may go, and marking it sent.

The scheduler claims due ``pending`` rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two schedulers never claim the same row), checks each against
the rules below, and hands the rest to Rasa marked ``sending``. The Rasa
action that says one first calls :func:`begin_send`, a conditional update
from ``pending``/``sending`` to ``sent``: only one caller can win it, so a
retried hand-off, a restarted scheduler or a second scheduler never sends an
occurrence twice. The direct outbox hand-off instead marks its claims
``sent`` in the transaction that queues their messages (``send_now``).

An occurrence is skipped (and the reason recorded) when it is older than its
kind's grace window, the client opted out or was discharged, the client has
an open or acknowledged crisis escalation, the client already had the daily
cap of reminders today (their local day), the reminder was stopped or its
homework is no longer open, a re-engagement finds the client wrote recently
(by their last inbound message) or never wrote at all, or there is no SMS or
Telegram address to reach them on.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.reminders.store import grace
from bot.storage.enums import (
    Channel,
    DeliveryStatus,
    Direction,
    EscalationStatus,
    HomeworkStatus,
    ReminderKind,
    SkipReason,
)
from bot.storage.models import (
    Client,
    ClientIdentity,
    Escalation,
    Homework,
    Message,
    Reminder,
    ReminderDelivery,
)

#: Reminders a client gets at most per local day (check-ins and sessions included).
DAILY_CAP = 3
#: Occurrences claimed per transaction.
CLAIM_BATCH = 500
#: A claim this old was made by a scheduler that died before the hand-off finished.
STALE_CLAIM = timedelta(seconds=30)
FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 300.0
#: Channels a reminder can go out on, preferred first when the client used neither lately.
REMINDER_CHANNELS = (Channel.SMS, Channel.TELEGRAM)


class DueOccurrence(NamedTuple):
    """A due occurrence with what the rules, and its words, need of its reminder and client.

    A plain tuple rather than SQLAlchemy's ``Row``, whose attributes cost
    microseconds each: thousands are read per pass when a clinic's reminders
    fall due in the same minute.
    """

    id: int
    due_at: datetime
    reminder_id: int
    kind: str
    active: bool
    text: str | None
    homework_id: int | None
    one_off_at: datetime | None
    created_by: int | None
    after_days: int | None
    client_id: int
    client_code: str
    timezone: str
    opted_out: bool
    consented: bool
    discharged: bool


#: The columns :func:`claim_due` reads, in the order of :class:`DueOccurrence`.
DUE_COLUMNS = (
    ReminderDelivery.id,
    ReminderDelivery.due_at,
    Reminder.id.label("reminder_id"),
    Reminder.kind,
    Reminder.active,
    Reminder.text,
    Reminder.homework_id,
    Reminder.one_off_at,
    Reminder.created_by,
    Reminder.after_days,
    Client.id.label("client_id"),
    Client.code.label("client_code"),
    Client.timezone,
    Client.opted_out_at.is_not(None).label("opted_out"),
    Client.consent_at.is_not(None).label("consented"),
    Client.discharged_at.is_not(None).label("discharged"),
)
#: Open crises that hold every reminder back.
CRISIS_OPEN = (EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED)


@dataclass(frozen=True)
class Claim:
    """An occurrence claimed for sending, detached from the session.

    It carries what its words depend on (:class:`~bot.reminders.prompts.ReminderFields`
    and the client's time zone), so they can be written without reading it again.
    """

    delivery_id: int
    reminder_id: int
    kind: str
    client_id: int
    client_code: str
    channel: str
    address: str
    due_at: datetime
    timezone: str
    text: str | None
    homework_id: int | None
    one_off_at: datetime | None
    created_by: int | None


def claim_due(
    session: Session, now: datetime, limit: int = CLAIM_BATCH, *, send_now: bool = False
) -> tuple[list[Claim], int]:
    """Claim up to ``limit`` due occurrences; return the claims and how many were skipped.

    Claims are marked ``sending``: whoever says them later wins :func:`begin_send`.
    With ``send_now`` the caller queues their words in this same transaction
    (:func:`bot.reminders.handoff.send_due_to_outbox`), so they are marked
    ``sent`` at once: the transaction makes the claim and the message one
    all-or-nothing step, with one update per occurrence instead of two.
    """
    # One query for the occurrences and what the rules need of their reminders and clients,
    # as plain rows rather than ORM objects: thousands fall due in the same minute.
    query = (
        select(*DUE_COLUMNS)
        .join(Reminder, Reminder.id == ReminderDelivery.reminder_id)
        .join(Client, Client.id == Reminder.client_id)
        .where(
            ReminderDelivery.status == DeliveryStatus.PENDING,
            ReminderDelivery.due_at <= now,
            (ReminderDelivery.next_attempt_at.is_(None))
            | (ReminderDelivery.next_attempt_at <= now),
        )
        # Oldest first, in the order of the (status, due_at) index, which can then stop
        # at the limit instead of sorting every occurrence due in the same minute.
        .order_by(ReminderDelivery.due_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ReminderDelivery)
    due = [DueOccurrence._make(row) for row in session.execute(query)]
    if not due:
        return [], 0
    timezones = {row.client_id: row.timezone for row in due}
    client_ids = set(timezones)
    crisis_clients = in_crisis(session, client_ids)
    sent_today = _sent_today(session, timezones, now)
    reengaging = {row.client_id for row in due if row.kind == ReminderKind.REENGAGE}
    last_contact = _last_contact(session, reengaging) if reengaging else {}
    open_homework = _open_homework(session, {row.homework_id for row in due})
    addresses = preferred_addresses(session, client_ids)
    claims: list[Claim] = []
    skipped: defaultdict[str, list[int]] = defaultdict(list)
    for row in due:
        reason = _skip_reason(
            row,
            now,
            in_crisis=row.client_id in crisis_clients,
            sent_today=sent_today[row.client_id],
            last_contact=last_contact.get(row.client_id),
            homework_open=row.homework_id in open_homework,
            address=addresses.get(row.client_id),
        )
        if reason is not None:
            skipped[reason].append(row.id)
            continue
        channel, address = addresses[row.client_id]
        sent_today[row.client_id] += 1
        claims.append(
            Claim(
                delivery_id=row.id,
                reminder_id=row.reminder_id,
                kind=row.kind,
                client_id=row.client_id,
                client_code=row.client_code,
                channel=channel,
                address=address,
                due_at=row.due_at,
                timezone=row.timezone,
                text=row.text,
                homework_id=row.homework_id,
                one_off_at=row.one_off_at,
                created_by=row.created_by,
            )
        )
    # A few set-based updates rather than one per row: thousands fall due in the same minute.
    for reason, ids in skipped.items():
        _set(session, ids, status=DeliveryStatus.SKIPPED, skip_reason=reason)
    claimed = [claim.delivery_id for claim in claims]
    outcome = (
        {"status": DeliveryStatus.SENT, "sent_at": now}
        if send_now
        else {"status": DeliveryStatus.SENDING}
    )
    marked = _set(
        session, claimed, claimed_at=now, attempts=ReminderDelivery.attempts + 1, **outcome
    )
    if marked != len(claimed):
        # Cannot happen while the rows are locked (or SQLite's write lock is held): never
        # go on to send what another scheduler may have taken.
        raise RuntimeError(f"claimed {len(claimed)} reminder occurrences but marked {marked}")
    return claims, sum(len(ids) for ids in skipped.values())


def _set(session: Session, delivery_ids: Sequence[int], **values: Any) -> int:
    """Update these still-``pending`` occurrences; how many rows changed."""
    if not delivery_ids:
        return 0
    result = session.execute(
        update(ReminderDelivery)
        .where(
            ReminderDelivery.id.in_(delivery_ids),
            ReminderDelivery.status == DeliveryStatus.PENDING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def _skip_reason(
    due: DueOccurrence,
    now: datetime,
    *,
    in_crisis: bool,
    sent_today: int,
    last_contact: datetime | None,
    homework_open: bool,
    address: tuple[str, str] | None,
) -> str | None:
    if now - due.due_at > grace(due.kind):
        return SkipReason.EXPIRED
    if due.opted_out:
        return SkipReason.OPTED_OUT
    if not due.consented:
        return SkipReason.NO_CONSENT
    if in_crisis:
        return SkipReason.CRISIS
    if not due.active or due.discharged:
        return SkipReason.NOT_NEEDED
    if due.homework_id is not None and not homework_open:
        return SkipReason.NOT_NEEDED
    if due.kind == ReminderKind.REENGAGE:
        # "It's been a few days" means nothing to someone who never wrote: their first
        # contact (enrolment, consent) comes from them or their therapist, not a nudge.
        if last_contact is None:
            return SkipReason.NEVER_WROTE
        assert due.after_days is not None
        if now - last_contact < timedelta(days=due.after_days):
            return SkipReason.RECENT_CONTACT
    if sent_today >= DAILY_CAP:
        return SkipReason.DAILY_CAP
    if address is None:
        return SkipReason.NO_CHANNEL
    return None


def begin_send(session: Session, delivery_id: int, now: datetime) -> bool:
    """Mark an occurrence sent, if nobody has; True means the caller sends it now.

    Called where the message is produced (the Rasa action), in its own
    committed transaction before the message is handed on: the one place
    that makes "never twice" hold across retries, restarts and schedulers.
    """
    result = session.execute(
        update(ReminderDelivery)
        .where(
            ReminderDelivery.id == delivery_id,
            ReminderDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
        )
        .values(status=DeliveryStatus.SENT, sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def skip(session: Session, delivery_id: int, reason: str) -> None:
    """Record that an occurrence will not be sent (e.g. a crisis began after it was claimed)."""
    session.execute(
        update(ReminderDelivery)
        .where(
            ReminderDelivery.id == delivery_id,
            ReminderDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
        )
        .values(status=DeliveryStatus.SKIPPED, skip_reason=reason)
        .execution_options(synchronize_session=False)
    )


def settle_handoffs(session: Session, delivery_ids: Sequence[int], now: datetime) -> list[int]:
    """After a hand-off: occurrences still ``sending`` were not taken, so retry them later.

    Each goes back to ``pending`` with a backoff while its grace window lasts,
    and is skipped as expired after that. Returns the ids that were not taken.
    """
    if not delivery_ids:
        return []
    query = (
        select(ReminderDelivery, Reminder.kind)
        .join(Reminder, Reminder.id == ReminderDelivery.reminder_id)
        .where(
            ReminderDelivery.id.in_(delivery_ids),
            ReminderDelivery.status == DeliveryStatus.SENDING,
        )
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=ReminderDelivery)
    untaken = session.execute(query).all()
    for delivery, kind in untaken:
        retry_at = now + timedelta(seconds=retry_delay(delivery.attempts))
        if retry_at - delivery.due_at > grace(kind):
            delivery.status = DeliveryStatus.SKIPPED
            delivery.skip_reason = SkipReason.EXPIRED
        else:
            delivery.status = DeliveryStatus.PENDING
            delivery.next_attempt_at = retry_at
    session.flush()
    return [delivery.id for delivery, _ in untaken]


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter between hand-off attempts."""
    base = min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    return base * random.uniform(0.8, 1.2)


def requeue_stale(session: Session, now: datetime) -> int:
    """Claims left ``sending`` by a scheduler that died go back to ``pending``.

    Sending them again is safe: :func:`begin_send` lets through only the
    first of any repeated hand-offs.
    """
    result = session.execute(
        update(ReminderDelivery)
        .where(
            ReminderDelivery.status == DeliveryStatus.SENDING,
            ReminderDelivery.claimed_at < now - STALE_CLAIM,
        )
        .values(status=DeliveryStatus.PENDING, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def preferred_addresses(session: Session, client_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Each client's channel and address for reminders.

    The channel the client last wrote from, when it is SMS or Telegram and
    still linked; otherwise their first linked SMS number, then Telegram chat.
    """
    ids = list(client_ids)
    if not ids:
        return {}
    identities: dict[int, dict[str, str]] = defaultdict(dict)
    for client_id, channel, address in session.execute(
        select(ClientIdentity.client_id, ClientIdentity.channel, ClientIdentity.address)
        .where(ClientIdentity.client_id.in_(ids), ClientIdentity.channel.in_(REMINDER_CHANNELS))
        .order_by(ClientIdentity.id)
    ):
        identities[client_id].setdefault(channel, address)
    latest = _latest_inbound_channel(session, ids)
    chosen: dict[int, tuple[str, str]] = {}
    for client_id, linked in identities.items():
        preferred = latest.get(client_id)
        if preferred in linked:
            chosen[client_id] = (preferred, linked[preferred])
            continue
        for channel in REMINDER_CHANNELS:
            if channel in linked:
                chosen[client_id] = (channel, linked[channel])
                break
    return chosen


def _latest_inbound_channel(session: Session, client_ids: Sequence[int]) -> dict[int, str]:
    latest_ids = (
        select(func.max(Message.id))
        .where(
            Message.client_id.in_(client_ids),
            Message.direction == Direction.INBOUND,
            Message.channel.in_(REMINDER_CHANNELS),
        )
        .group_by(Message.client_id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Message.client_id, Message.channel).where(Message.id.in_(latest_ids))
    ).all()
    return {client_id: channel for client_id, channel in rows if client_id is not None}


def in_crisis(session: Session, client_ids: set[int]) -> set[int]:
    rows = session.execute(
        select(Escalation.client_id).where(
            Escalation.client_id.in_(client_ids), Escalation.status.in_(CRISIS_OPEN)
        )
    ).scalars()
    return set(rows)


def _sent_today(
    session: Session, timezones: dict[int, str], now: datetime
) -> defaultdict[int, int]:
    """Reminders already sent (or being sent) on each client's local today (by client id)."""
    counts: defaultdict[int, int] = defaultdict(int)
    rows = session.execute(
        select(Reminder.client_id, ReminderDelivery.sent_at, ReminderDelivery.claimed_at)
        .join(Reminder, Reminder.id == ReminderDelivery.reminder_id)
        .where(
            Reminder.client_id.in_(list(timezones)),
            ReminderDelivery.status.in_((DeliveryStatus.SENT, DeliveryStatus.SENDING)),
            func.coalesce(ReminderDelivery.sent_at, ReminderDelivery.claimed_at)
            >= now - timedelta(days=1, hours=14),
        )
    ).all()
    for client_id, sent_at, claimed_at in rows:
        moment = sent_at or claimed_at
        zone = ZoneInfo(timezones[client_id])
        if moment is not None and moment.astimezone(zone).date() == now.astimezone(zone).date():
            counts[client_id] += 1
    return counts


def _last_contact(session: Session, client_ids: set[int]) -> dict[int, datetime]:
    rows = session.execute(
        select(Message.client_id, func.max(Message.created_at))
        .where(Message.client_id.in_(client_ids), Message.direction == Direction.INBOUND)
        .group_by(Message.client_id)
    ).all()
    return {client_id: _aware(at) for client_id, at in rows if at is not None}


def _aware(value: datetime | str) -> datetime:
    """``max()`` on SQLite returns the stored text, not a typed timestamp."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _open_homework(session: Session, ids: set[int | None]) -> set[int | None]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return set()
    rows = session.execute(
        select(Homework.id).where(
            Homework.id.in_(wanted), Homework.status == HomeworkStatus.ASSIGNED
        )
    ).scalars()
    return set(rows)
