"""Review 3: the outbox's crisis lane when one provider hangs.

Real SQLite and PostgreSQL, the real outbox worker and senders against the Twilio and
Telegram stand-ins. Each test fails today because of the hole its docstring describes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.outbox import OutboxWorker, enqueue
from bot.storage import session_scope
from bot.storage.enums import Channel, Lane
from tests.standins import TelegramStandin, TwilioStandin
from tests.standins.base import _Server
from tests.test_outbox import (  # noqa: F401  (fixtures)
    PRIMARY_PHONE,
    _senders,
    outbox_database,
)

#: Telegram answers this late (under the worker's send limit below): an outage, a slow DC.
TELEGRAM_DELAY = 6.0
#: The send limit, scaled down from the shipped 20 s so that the test stays short.
SEND_LIMIT = 8.0
#: SPEC, quality bars: the crisis reply and the page within 2 s of the webhook.
PAGE_BAR = 2.0


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TwilioStandin, TelegramStandin]]:
    """The stand-ins, taking twenty connections at once as Telegram's API does (the
    stand-in's listen backlog of 5 would refuse some, which a real outage does not)."""
    monkeypatch.setattr(_Server, "request_queue_size", 128)
    with TwilioStandin() as twilio, TelegramStandin() as telegram:
        yield twilio, telegram


async def test_an_sms_page_is_not_held_behind_twenty_hanging_telegram_crisis_messages(
    outbox_database: Engine,  # noqa: F811
    stand_ins: tuple[TwilioStandin, TelegramStandin],
) -> None:
    """What a clinic would see: Telegram's API hangs (an outage; every call answered after
    the time limit). Twenty Telegram messages in the crisis lane are due: crisis replies
    (three parts each), "are you safe?" follow-ups and the replies of every client with an
    active escalation (review 2 #3 put those in the crisis lane), a page to a therapist on
    Telegram. They take all 20 crisis-lane slots, each for the full send limit (20 s).
    A page by SMS to the on-call therapist, queued now, waits for a free slot: Twilio is
    fine, the page is not sent for 20 s, and again while the Telegram retries keep the slots
    full."""
    twilio, telegram = stand_ins
    telegram.delay(TELEGRAM_DELAY)
    with session_scope(outbox_database) as session:
        for chat in range(20):
            enqueue(session, client_id=None, channel=Channel.TELEGRAM, address=str(900000 + chat),
                    body="I'm staying right here with you. Are you safe right now?",
                    lane=Lane.CRISIS)  # fmt: skip
    stop = asyncio.Event()
    senders = _senders(twilio, telegram)
    running = asyncio.create_task(OutboxWorker(senders, send_timeout=SEND_LIMIT).run(stop))
    try:
        await telegram.wait_for_messages_async(1)  # the Telegram sends are under way
        with session_scope(outbox_database) as session:
            enqueue(session, client_id=None, channel=Channel.SMS, address=PRIMARY_PHONE,
                    body="WiseMind high risk alert for client X. Reply ACK ABC123",
                    lane=Lane.CRISIS)  # fmt: skip
        queued = time.monotonic()
        await twilio.wait_for_messages_async(1, timeout=SEND_LIMIT + 5)
        waited = time.monotonic() - queued
    finally:
        stop.set()
        await running
        await asyncio.gather(*(sender.close() for sender in senders.values()))
    assert waited < PAGE_BAR, f"the SMS page waited {waited:.1f} s for a crisis-lane slot"


def test_recording_a_send_on_postgresql_gives_up_within_its_budget_behind_a_row_lock(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a clinic would see (PostgreSQL, several schedulers): a crisis reply went out
    on Telegram; recording "sent" waits for a lock on its row held by a stalled
    transaction (a process paused mid-transaction, a connection cut off while PostgreSQL
    still holds its locks). The lease (104 s) assumes each try at recording ends within
    SQLite's 15 s busy time-out; on PostgreSQL a try waits without limit, past the lease,
    and another scheduler's requeue (whose UPDATE matches by id only) then marks the sent
    message interrupted once the lock is released: Telegram cannot be asked, so the client
    in crisis gets the whole reply again. With one scheduler, a claim pass that meets such
    a lock stalls every send, pages included."""
    import threading

    from bot.outbox import RECORD_ATTEMPT_SECONDS, claim_due, record_sent
    from bot.storage import create_engine_for
    from bot.storage.migrate import upgrade

    upgrade(postgres_url)
    monkeypatch.setenv("WISEMIND_DATABASE_URL", postgres_url)
    engine = create_engine_for(postgres_url)
    with session_scope(engine) as session:
        message_id = enqueue(session, client_id=None, channel=Channel.TELEGRAM,
                             address="777000", body="Please call or text 988",
                             lane=Lane.CRISIS).id  # fmt: skip
        from bot.storage.models import utcnow

        claim_due(session, utcnow())
    holder = engine.connect()
    stalled = holder.begin()
    holder.exec_driver_sql("SELECT id FROM messages WHERE id = %s FOR UPDATE", (message_id,))
    finished = threading.Event()

    def record() -> None:
        try:
            with session_scope(engine) as session:
                record_sent(session, message_id, "777000:1")
        except Exception:
            pass
        finally:
            finished.set()

    threading.Thread(target=record, daemon=True).start()
    try:
        gave_up = finished.wait(RECORD_ATTEMPT_SECONDS + 3)
    finally:
        stalled.rollback()
        holder.close()
        finished.wait(10)
        engine.dispose()
    assert gave_up, f"one try at recording waited over {RECORD_ATTEMPT_SECONDS + 3:.0f} s"
