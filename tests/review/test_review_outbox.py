"""Review 7b: the outbox's send tasks, their time limit and their lease.

Real SQLite and PostgreSQL, the real :class:`~bot.outbox.OutboxWorker` and
Telegram sender against the Telegram stand-in. Time is scaled down by ten
(lease 30 s -> 3 s, send limit 20 s -> 2 s, record back-off 2 s -> 0.2 s) so the
test runs in seconds; the ratios are the shipped ones.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

import bot.outbox
from bot.outbox import (
    FIRST_RETRY_SECONDS,
    RECORD_ATTEMPTS,
    SEND_LEASE,
    SEND_TIMEOUT_SECONDS,
    OutboxWorker,
    enqueue,
)
from bot.storage import session_scope
from bot.storage.enums import Channel, Lane
from tests.standins import TelegramStandin, TwilioStandin
from tests.test_intake import engine, settings, unlimited  # noqa: F401  (fixtures)
from tests.test_outbox import (  # noqa: F401  (fixtures)
    CLIENT_CHAT,
    _senders,
    outbox_database,
    stand_ins,
)

SCALE = 0.1


def test_a_send_and_the_recording_of_its_outcome_end_within_the_messages_lease() -> None:
    """The lease is what stops a second send: a message whose recording is still being
    retried when its lease runs out is requeued and sent again. The longest a send may
    hold a message (its time limit, then the record retries' back-off) must fit in it."""
    backoff = sum(FIRST_RETRY_SECONDS * 2**i for i in range(RECORD_ATTEMPTS - 1))
    assert SEND_TIMEOUT_SECONDS + backoff < SEND_LEASE.total_seconds(), (
        SEND_TIMEOUT_SECONDS, backoff, SEND_LEASE,
    )  # fmt: skip


async def test_a_slow_telegram_crisis_reply_whose_record_is_retried_is_not_sent_twice(
    outbox_database: Engine,  # noqa: F811
    stand_ins: tuple[TwilioStandin, TelegramStandin],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a clinic would see: Telegram answers a crisis reply slowly (18 s, under the
    outbox's 20 s limit), and recording "sent" hits a locked database a few times (a
    reminder batch, a PostgreSQL fail-over). The record's own retries (2 + 4 + 8 s) run past
    the message's 30 s lease, the same worker's next claim requeues it as interrupted, and
    Telegram, which cannot be asked whether it already has a message, gets it again: the
    client in crisis receives the whole crisis reply twice."""
    twilio, telegram = stand_ins
    monkeypatch.setattr(bot.outbox, "SEND_LEASE", SEND_LEASE * SCALE)
    monkeypatch.setattr(bot.outbox, "FIRST_RETRY_SECONDS", FIRST_RETRY_SECONDS * SCALE)
    telegram.delay(18 * SCALE)
    failures = {"left": RECORD_ATTEMPTS - 1}
    real_record_sent = bot.outbox.record_sent

    def locked_a_while(session, message_id, provider_id):  # type: ignore[no-untyped-def]
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("UPDATE messages", {}, Exception("database is locked"))
        real_record_sent(session, message_id, provider_id)

    monkeypatch.setattr(bot.outbox, "record_sent", locked_a_while)
    with session_scope(outbox_database) as session:
        enqueue(session, client_id=None, channel=Channel.TELEGRAM, address=CLIENT_CHAT,
                body="I'm really glad you told me. Call or text 988 now.",
                lane=Lane.CRISIS)  # fmt: skip
    stop = asyncio.Event()
    senders = _senders(twilio, telegram)
    worker = OutboxWorker(senders, send_timeout=SEND_TIMEOUT_SECONDS * SCALE)
    running = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.sleep(6)
    finally:
        stop.set()
        await running
        await asyncio.gather(*(sender.close() for sender in senders.values()))
    assert len(telegram.messages) == 1, [m.text for m in telegram.messages]


def _demo_client_id(session) -> int:  # type: ignore[no-untyped-def]
    from bot.storage.models import Client

    return int(session.execute(select(Client.id).where(Client.code == "DEMO0001")).scalar_one())
