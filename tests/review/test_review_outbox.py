"""Review 7b: the outbox's send tasks, their time limit and their lease.

Real SQLite and PostgreSQL, the real :class:`~bot.outbox.OutboxWorker` and
Telegram sender against the Telegram stand-in. Time is scaled down by ten
(lease 30 s -> 3 s, send limit 20 s -> 2 s, record back-off 2 s -> 0.2 s) so the
test runs in seconds; the ratios are the shipped ones.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

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


def test_the_are_you_safe_question_after_a_crisis_reply_is_not_held_behind_a_reply_in_back_off(
    engine: Engine,  # noqa: F811
    settings,  # noqa: F811
    unlimited,  # noqa: F811
) -> None:
    """What a clinic would see: an ordinary bot reply to the client ("Here's what I can do")
    hit a Twilio 5xx and waits in back-off (2 s ... 300 s a try, up to 10 tries). The client
    then texts "i want to kill myself tonight": the core's crisis reply goes at once (crisis
    lane), but the assistant's follow-up, "I'm staying right here with you. Are you safe right
    now?", is queued by the Rasa server's output channel in the normal lane and waits behind
    the failed ordinary reply, for minutes. The bot has already recorded the question as
    asked, so the client's "ok" to the crisis reply is read as the answer meanwhile."""
    from bot.crisis_messages import SAFE_NOW_FIRST
    from bot.intake import receive
    from bot.intake.replies import queue_reply
    from bot.outbox import SendError, claim_due, record_failure
    from bot.storage.models import utcnow
    from tests.test_intake import CRISIS, DEMO_PHONE, sms

    with session_scope(engine) as session:
        client_id = _demo_client_id(session)
        earlier = enqueue(session, client_id=client_id, channel=Channel.SMS, address=DEMO_PHONE,
                          body="Here's what I can do: ...")  # fmt: skip
        earlier.attempts = 8  # its next try in about 4 minutes
        record_failure(session, earlier.id, SendError("twilio-503", transient=True), utcnow())
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    # The Rasa server's follow-up, queued as its output channel queues every reply
    # (channels/outbox_output.py OutboxOutput._store_now).
    with session_scope(engine) as session:
        queue_reply(session, client_id=client_id, channel=Channel.SMS, address=DEMO_PHONE,
                    text=SAFE_NOW_FIRST["en"])  # fmt: skip
    with session_scope(engine) as session:
        claimed = [m.body for m in claim_due(session, utcnow() + timedelta(seconds=1))]
    assert any("988" in body for body in claimed)  # the crisis reply goes
    assert SAFE_NOW_FIRST["en"] in claimed, claimed


def _demo_client_id(session) -> int:  # type: ignore[no-untyped-def]
    from bot.storage.models import Client

    return int(session.execute(select(Client.id).where(Client.code == "DEMO0001")).scalar_one())
