"""The outbox: every outbound SMS and Telegram message is stored, then sent.

Replies and notifications are written to the message log with status
``queued`` (:func:`enqueue`); the scheduler process's :class:`OutboxWorker`
claims them and hands each to its channel's :class:`Sender`, each send on
its own (a slow provider call holds up only its own message) and within a
time limit. A transient failure (5xx, timeout, 429) is retried with
exponential backoff, or after the provider's ``retry_after``; a permanent one
(opted out, blocked) is marked ``undeliverable`` and not retried.

Two lanes, so that nothing urgent ever waits:

- ``crisis`` (crisis replies, pages, a therapist's take-over messages) is
  claimed first, messages to staff (pages) ahead of the rest, and waits for
  nothing but an earlier crisis message to the same person on the same
  channel that is still being sent (the parts of one crisis reply keep their
  order); one in retry back-off does not hold the next.
- ``normal`` replies go out in the order the bot produced them, per
  conversation *and* channel: an SMS in back-off never holds a Telegram reply.

Each lane has sending slots of its own on each channel, so a provider that
hangs (a Telegram outage) fills only its own slots: a page by SMS still
leaves at once.

A claim is a lease (``lease_until``): a message stays with the scheduler
that claimed it until the lease runs out, so a slow send is never taken by
another scheduler and sent twice; one whose sender died is requeued by the
running scheduler once its lease has expired. SMS to a client queued before
they texted STOP are dropped, so only the STOP confirmation (queued after it)
goes out; their messages on Telegram are not.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from bot import message_log
from bot.storage import session_scope
from bot.storage.database import POSTGRES_LOCK_TIMEOUT_MS, SQLITE_BUSY_TIMEOUT_MS
from bot.storage.enums import Channel, Direction, Lane, MessageStatus
from bot.storage.models import Client, Message, utcnow

logger = logging.getLogger(__name__)

#: Channels whose messages leave through the outbox (local chat replies in the HTTP response).
OUTBOX_CHANNELS = (Channel.SMS, Channel.TELEGRAM)
#: Outbound messages still to be delivered, in order, by their conversation.
PENDING = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.FAILED)
#: Crisis messages still in flight: the next part to the same person waits for these only.
IN_FLIGHT = (MessageStatus.QUEUED, MessageStatus.SENDING)
MAX_ATTEMPTS = 10
FIRST_RETRY_SECONDS = 2.0
MAX_RETRY_SECONDS = 300.0
#: One send (and its reconciliation) is given up after this long, whatever the provider
#: does (a trickling answer included); its outcome is then unknown, as after a crash.
SEND_TIMEOUT_SECONDS = 20.0
POLL_SECONDS = 0.2
CLAIM_BATCH = 50
#: Sends in flight at once, per lane and channel: neither a full normal lane nor a
#: hanging provider keeps a page on the other provider waiting.
SLOT_CONCURRENCY = 20
#: ``messages.error`` of a message dropped because the client opted out after it was queued.
OPTED_OUT_ERROR = "opted-out"
INTERRUPTED_ERROR = "interrupted"
#: Tries at recording a successful send, :data:`FIRST_RETRY_SECONDS` apart and doubling.
RECORD_ATTEMPTS = 4
#: The longest one try at recording may wait for a lock: SQLite's busy time-out, or
#: PostgreSQL's lock time-out (a try updates one row: it waits for one lock at most).
RECORD_ATTEMPT_SECONDS = max(SQLITE_BUSY_TIMEOUT_MS, POSTGRES_LOCK_TIMEOUT_MS) / 1000
#: The longest recording a send's outcome may take: every try, and the waits between them.
RECORD_BUDGET_SECONDS = RECORD_ATTEMPTS * RECORD_ATTEMPT_SECONDS + sum(
    FIRST_RETRY_SECONDS * 2**attempt for attempt in range(RECORD_ATTEMPTS - 1)
)
#: How long a claimed message belongs to its scheduler: longer than the send and the
#: recording of its outcome can take together, so that no other scheduler requeues (and
#: sends again) a message whose send is still being recorded.
SEND_LEASE = timedelta(seconds=SEND_TIMEOUT_SECONDS + RECORD_BUDGET_SECONDS + 10)


#: Sending slots are counted per (lane, channel).
Slot = tuple[str, str]
#: Every (lane, channel) pair of the outbox, crisis lane first.
SLOTS: tuple[Slot, ...] = tuple(
    (lane, channel) for lane in (Lane.CRISIS, Lane.NORMAL) for channel in OUTBOX_CHANNELS
)


@dataclass(frozen=True)
class Button:
    """A choice offered with a message: what the client sees, what the bot gets."""

    title: str
    payload: str


@dataclass(frozen=True)
class Outgoing:
    """A claimed message, detached from the database session, ready to send."""

    id: int
    channel: str
    address: str
    body: str
    buttons: tuple[Button, ...]
    attempts: int
    #: When it was queued: a provider cannot have it from before then.
    created_at: datetime | None = None
    #: The last attempt's sender died mid-send: the provider may have it already.
    interrupted: bool = False
    lane: str = Lane.NORMAL

    @property
    def slot(self) -> Slot:
        """The sending slots it takes one of: its lane's on its channel."""
        return (self.lane, self.channel)


class SendError(Exception):
    """A send that failed; ``code`` is short and never contains message content.

    ``transient`` failures are retried (after ``retry_after`` seconds if the
    provider said so); permanent ones mark the message undeliverable.
    """

    def __init__(self, code: str, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.transient = transient
        self.retry_after = retry_after


class Sender(Protocol):
    """Sends one message over one channel; implemented in each provider's module."""

    channel: str

    async def send(self, message: Outgoing) -> str:
        """Send ``message``; return the provider's id for it, or raise :class:`SendError`."""
        ...

    async def close(self) -> None:
        """Close the provider's HTTP connections (the scheduler stops); no send follows."""
        ...


@runtime_checkable
class ReconcilingSender(Sender, Protocol):
    """A sender that can ask its provider whether a message already went out.

    Used before re-sending a message whose sender died mid-send, so that a
    message the provider already took is not sent twice. Providers that
    cannot tell (Telegram has no such API) resend: twice beats never.
    """

    async def find_sent(self, message: Outgoing) -> str | None:
        """The provider's id of ``message`` if the provider already has it, else None."""
        ...


def enqueue(
    session: Session,
    *,
    client_id: int | None,
    channel: str,
    address: str,
    body: str,
    buttons: Sequence[Button] = (),
    lane: str = Lane.NORMAL,
) -> Message:
    """Store an outbound message for the worker to send.

    ``lane`` ``crisis`` (crisis replies, pages) is sent first and never waits
    behind another message; ``normal`` ones follow their conversation's order.
    """
    message = message_log.record_outbound(
        session, client_id=client_id, channel=channel, address=address, body=body
    )
    message.lane = lane
    if buttons:
        message.buttons = json.dumps([{"title": b.title, "payload": b.payload} for b in buttons])
    session.flush()
    return message


def buttons_of(message: Message) -> tuple[Button, ...]:
    """The choices stored with an outbound message."""
    if not message.buttons:
        return ()
    return tuple(Button(item["title"], item["payload"]) for item in json.loads(message.buttons))


def claim_due(
    session: Session,
    now: datetime,
    limit: int = CLAIM_BATCH,
    *,
    room: Mapping[Slot, int] | None = None,
    holding: Collection[int] = (),
) -> list[Outgoing]:
    """Mark up to ``limit`` sendable messages ``sending`` (leased) and return them.

    Crisis-lane messages come first, and within a lane messages to staff (pages)
    before clients' messages, then the oldest first; ``room`` caps what each
    lane may take on each channel (the worker's free sending slots). Expired
    leases are requeued (except ``holding``: the caller's own sends still in
    progress) and messages queued before an opt-out are dropped first, in the
    same transaction.
    """
    requeue_stale(session, now, holding=holding)
    drop_before_opt_out(session, now)
    claimed: list[Outgoing] = []
    for lane, channel in SLOTS:
        free = limit - len(claimed)
        if room is not None:
            free = min(free, room[(lane, channel)])
        if free > 0:
            claimed += _claim_slot(session, lane, channel, now, free)
    session.flush()
    return claimed


def _claim_slot(
    session: Session, lane: str, channel: str, now: datetime, limit: int
) -> list[Outgoing]:
    earlier = aliased(Message)
    same_conversation_and_channel = and_(
        earlier.channel == Message.channel,
        or_(
            and_(Message.client_id.is_not(None), earlier.client_id == Message.client_id),
            and_(
                Message.client_id.is_(None),
                earlier.client_id.is_(None),
                earlier.address == Message.address,
            ),
        ),
    )
    blocked = exists().where(
        earlier.direction == Direction.OUTBOUND,
        earlier.lane == lane,
        earlier.status.in_(IN_FLIGHT if lane == Lane.CRISIS else PENDING),
        earlier.sequence < Message.sequence,
        same_conversation_and_channel,
    )
    query = (
        select(Message)
        .where(
            Message.direction == Direction.OUTBOUND,
            Message.lane == lane,
            Message.channel == channel,
            Message.status.in_((MessageStatus.QUEUED, MessageStatus.FAILED)),
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
            ~blocked,
        )
        # Pages (to staff: no client) first: a client's crisis message retried after a
        # time-out must not take the slot of the page that gets a person to them.
        .order_by(Message.client_id.is_not(None), Message.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Several schedulers may share one database: each claims different rows.
        query = query.with_for_update(skip_locked=True, of=Message)
    claimed = []
    for message in session.execute(query).scalars():
        message.status = MessageStatus.SENDING
        message.attempts += 1
        message.next_attempt_at = now
        message.lease_until = now + SEND_LEASE
        claimed.append(
            Outgoing(
                id=message.id,
                channel=message.channel,
                address=message.address,
                body=message.body,
                buttons=buttons_of(message),
                attempts=message.attempts,
                created_at=message.created_at,
                interrupted=message.error == INTERRUPTED_ERROR,
                lane=lane,
            )
        )
    return claimed


def drop_before_opt_out(session: Session, now: datetime) -> int:
    """Give up on SMS queued for a client before they opted out (STOP).

    STOP is an SMS carrier rule: the client's messages on other channels (a
    Telegram crisis reply) still go out.
    """
    opted_out = select(Client.id).where(
        Client.id == Message.client_id,
        Client.opted_out_at.is_not(None),
        Message.created_at < Client.opted_out_at,
    )
    stale = session.execute(
        select(Message).where(
            Message.direction == Direction.OUTBOUND,
            Message.channel == Channel.SMS,
            Message.client_id.is_not(None),
            Message.status.in_((MessageStatus.QUEUED, MessageStatus.FAILED)),
            opted_out.exists(),
        )
    ).scalars()
    count = 0
    for message in stale:
        message.status = MessageStatus.UNDELIVERABLE
        message.error = OPTED_OUT_ERROR
        message.next_attempt_at = None
        count += 1
    return count


def record_sent(session: Session, message_id: int, provider_id: str) -> None:
    message = message_log.mark_status(
        session, message_id, MessageStatus.SENT, provider_id=provider_id
    )
    message.lease_until = None


def record_failure(session: Session, message_id: int, error: SendError, now: datetime) -> Message:
    """Schedule a retry for a transient failure, or give up on a permanent one."""
    message = session.get(Message, message_id)
    if message is None:
        raise LookupError(f"no message with id {message_id}")
    if error.transient and message.attempts < MAX_ATTEMPTS:
        message.status = MessageStatus.FAILED
        message.next_attempt_at = now + timedelta(seconds=retry_delay(message.attempts, error))
    else:
        message.status = MessageStatus.UNDELIVERABLE
        message.next_attempt_at = None
    message.error = error.code[:64]
    message.lease_until = None
    session.flush()
    return message


def retry_delay(attempts: int, error: SendError) -> float:
    """Exponential backoff with jitter, or the provider's own ``retry_after``."""
    if error.retry_after is not None:
        return min(max(error.retry_after, 0.0), MAX_RETRY_SECONDS)
    base = min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
    return base * random.uniform(0.8, 1.2)


def requeue_stale(session: Session, now: datetime, *, holding: Collection[int] = ()) -> int:
    """Put back messages whose sender died mid-send, once their lease has run out.

    Until then the message may still be in a live sender's hands: sending it
    again would send it twice. ``holding`` are ids the caller is itself still
    sending or recording: never requeued, however long that takes. On
    PostgreSQL a row locked by another transaction (another scheduler
    recording its send, late) is skipped, not waited for: once that commits
    "sent", requeuing it would send it again.
    """
    query = select(Message).where(
        Message.direction == Direction.OUTBOUND,
        Message.status == MessageStatus.SENDING,
        or_(Message.lease_until.is_(None), Message.lease_until < now),
        Message.id.not_in(list(holding)),
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    stale = session.execute(query).scalars()
    count = 0
    for message in stale:
        message.status = MessageStatus.FAILED
        message.error = INTERRUPTED_ERROR
        message.next_attempt_at = now
        message.lease_until = None
        logger.warning("message %s was interrupted mid-send; requeued", message.id)
        count += 1
    return count


class OutboxWorker:
    """Claims due messages and sends each as its own task, so that none waits for another.

    A slow provider (Telegram answering in 8 s, a send retried after a
    timeout) holds only its own message: the worker claims again at the next
    poll, whatever is still in flight, and a page queued meanwhile leaves at
    once. Each lane has :data:`SLOT_CONCURRENCY` sending slots of its own on
    each channel (a hanging provider holds only its own channel's messages),
    and each send is bounded by :data:`SEND_TIMEOUT_SECONDS`. The order within a
    conversation is the claim's (:func:`claim_due`), not the worker's.
    """

    def __init__(
        self,
        senders: Mapping[str, Sender],
        poll_seconds: float = POLL_SECONDS,
        *,
        send_timeout: float = SEND_TIMEOUT_SECONDS,
        slot_concurrency: int = SLOT_CONCURRENCY,
    ) -> None:
        self.senders = dict(senders)
        self.poll_seconds = poll_seconds
        self.send_timeout = send_timeout
        self.slot_concurrency = slot_concurrency
        self._sending: dict[Slot, set[asyncio.Task[None]]] = {slot: set() for slot in SLOTS}
        #: Ids of the messages this worker is sending or recording: never requeued under it.
        self._holding: set[int] = set()
        #: Set when a send ends: the next part of that conversation (a crisis reply is
        #: three messages, each waiting for the one before) is claimed at once, not at
        #: the next poll.
        self._send_ended = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and start sends until ``stop``; then let the sends in flight finish."""
        try:
            while not stop.is_set():
                self._send_ended.clear()
                try:
                    started = await self.start_due()
                except Exception:
                    # A database hiccup must not stop all sending: log it, try again shortly.
                    logger.exception("outbox pass failed")
                    started = 0
                if not started:
                    await self._idle(stop)
        finally:
            await self.drain()

    async def _idle(self, stop: asyncio.Event) -> None:
        """Wait for the next poll, a send to end, or ``stop``, whichever comes first."""
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._send_ended.wait())]
        try:
            await asyncio.wait(
                waits, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for wait in waits:
                wait.cancel()

    async def start_due(self) -> int:
        """Claim what is due, as far as each lane has free slots on each channel, and
        start sending it.

        Returns how many sends were started; it does not wait for them.
        """
        room = {slot: self.slot_concurrency - len(tasks) for slot, tasks in self._sending.items()}
        if not any(free > 0 for free in room.values()):
            return 0
        claimed = await asyncio.to_thread(self._claim, room, frozenset(self._holding))
        for message in claimed:
            self._holding.add(message.id)
            task = asyncio.create_task(self._send(message))
            in_slot = self._sending[message.slot]
            in_slot.add(task)
            task.add_done_callback(in_slot.discard)
        return len(claimed)

    async def send_due(self) -> int:
        """One pass, waited for: claim what is due and send it; returns how many were attempted."""
        started = await self.start_due()
        await self.drain()
        return started

    async def drain(self) -> None:
        """Wait for every send in flight (each ends within the send timeout)."""
        in_flight = [task for tasks in self._sending.values() for task in tasks]
        await asyncio.gather(*in_flight)

    def _claim(self, room: Mapping[Slot, int], holding: Collection[int]) -> list[Outgoing]:
        with session_scope() as session:
            due = claim_due(session, utcnow(), room=room, holding=holding)
            unsendable = [m for m in due if m.channel not in self.senders]
            not_configured = SendError("channel-not-configured", transient=True)
            for message in unsendable:
                record_failure(session, message.id, not_configured, utcnow())
            return [m for m in due if m.channel in self.senders]

    async def _send(self, message: Outgoing) -> None:
        """Send one message and record how it went; nothing here stops the other sends."""
        try:
            outcome = await self._outcome(message)
            if isinstance(outcome, SendError):
                await asyncio.to_thread(self._record_failure, message, outcome)
            else:
                await asyncio.to_thread(self._record_sent, message.id, outcome)
        except Exception:
            # Its lease runs out and it is tried again, reconciled with the provider first.
            logger.exception("recording how message %s went failed", message.id)
        finally:
            self._holding.discard(message.id)
            self._send_ended.set()

    async def _outcome(self, message: Outgoing) -> str | SendError:
        """The provider's id for the sent message, or why it was not sent."""
        try:
            return await asyncio.wait_for(self._attempt(message), self.send_timeout)
        except asyncio.TimeoutError:
            # The provider may have it or not, as after a crash: the next try reconciles first.
            return SendError(INTERRUPTED_ERROR, transient=True)
        except SendError as error:
            return error
        except Exception:
            # A sender bug must not lose the message: log (no content) and retry later.
            logger.exception("unexpected error sending message %s", message.id)
            return SendError("internal-error", transient=True)

    async def _attempt(self, message: Outgoing) -> str:
        """Send ``message``, unless the provider already has it from an interrupted try."""
        sender = self.senders[message.channel]
        if message.interrupted and isinstance(sender, ReconcilingSender):
            already = await sender.find_sent(message)
            if already is not None:
                logger.warning(
                    "message %s reached the provider before its last try ended; not resent",
                    message.id,
                )
                return already
        return await sender.send(message)

    @staticmethod
    def _record_sent(message_id: int, provider_id: str) -> None:
        """Record a send that happened; retried, because a lost record means a second send."""
        for attempt in range(RECORD_ATTEMPTS):
            try:
                with session_scope() as session:
                    record_sent(session, message_id, provider_id)
                return
            except Exception:
                if attempt == RECORD_ATTEMPTS - 1:
                    raise
                logger.warning("recording message %s as sent failed; retrying", message_id)
                time.sleep(FIRST_RETRY_SECONDS * 2**attempt)

    @staticmethod
    def _record_failure(message: Outgoing, error: SendError) -> None:
        with session_scope() as session:
            stored = record_failure(session, message.id, error, utcnow())
            status = stored.status
        level = logging.WARNING if status == MessageStatus.FAILED else logging.ERROR
        logger.log(
            level,
            "%s message %s not sent (%s, attempt %d): %s",
            message.channel,
            message.id,
            error.code,
            message.attempts,
            "will retry" if status == MessageStatus.FAILED else "gave up",
        )


def latest_inbound(session: Session, client_id: int) -> Message | None:
    """The client's latest message over SMS or Telegram: the channel, address and words to answer.

    Whoever writes to the client unprompted (a take-over, "we couldn't reach
    your care team") writes where the client last wrote, in the language they
    last wrote in, so one query answers both.
    """
    return session.execute(
        select(Message)
        .where(
            Message.client_id == client_id,
            Message.direction == Direction.INBOUND,
            Message.channel.in_(OUTBOX_CHANNELS),
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def latest_choices(session: Session, client_id: int, channel: str) -> tuple[Button, ...]:
    """The choices offered with the client's latest message on ``channel``, if it had any."""
    latest = session.execute(
        select(Message)
        .where(
            Message.client_id == client_id,
            Message.channel == channel,
            Message.direction == Direction.OUTBOUND,
        )
        .order_by(Message.sequence.desc())
        .limit(1)
    ).scalar_one_or_none()
    return buttons_of(latest) if latest is not None else ()


def chosen_payload(text: str, choices: Sequence[Button]) -> str | None:
    """The payload a reply selects: its number ("2") or its title ("Yes"), else None."""
    answer = text.strip().rstrip(".").lower()
    if answer.isdigit() and 1 <= int(answer) <= len(choices):
        return choices[int(answer) - 1].payload
    for choice in choices:
        if answer == choice.title.strip().lower():
            return choice.payload
    return None
