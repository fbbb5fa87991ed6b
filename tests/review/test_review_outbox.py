"""Review: the outbox holds urgent messages behind unrelated ones.

Real database, real outbox worker, the real Twilio and Telegram senders
talking to the local provider stand-ins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.outbox import OutboxWorker, Sender, SendError, claim_due, enqueue, record_failure
from bot.settings import TelegramSettings, TwilioSettings
from bot.storage import session_scope
from bot.storage.enums import Channel, Lane
from bot.storage.migrate import upgrade
from bot.storage.models import utcnow
from bot.takeover import send_as_therapist, start_takeover
from channels.telegram import TelegramSender
from channels.twilio_sms import TwilioSender
from tests.review.conftest import DEMO_CHAT, DEMO_PHONE, PRIMARY_PHONE, demo_client, therapist
from tests.standins import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    DEFAULT_TOKEN,
    TelegramStandin,
    TwilioStandin,
)


def test_a_therapists_take_over_message_is_not_held_behind_a_bot_reply_in_back_off(
    engine: Engine,
) -> None:
    """The therapist took over a client in crisis; an earlier bot reply hit a Twilio 5xx."""
    now = utcnow()
    with session_scope(engine) as session:
        client = demo_client(session)
        menu = enqueue(session, client_id=client.id, channel=Channel.SMS, address=DEMO_PHONE,
                       body="Here's what I can do: ...")  # fmt: skip
        (claimed,) = claim_due(session, now)
        assert claimed.id == menu.id
        # Twilio answered 503: the reply waits in back-off (up to 5 min after a few tries).
        failed = record_failure(session, menu.id, SendError("twilio-503", transient=True), now)
        failed.next_attempt_at = now + timedelta(minutes=5)
        # An inbound SMS from the client, so the take-over writes by SMS.
        from bot.message_log import record_inbound

        record_inbound(session, channel="sms", address=DEMO_PHONE, body="hi",
                       provider_id="SM" + "7" * 32, client_id=client.id)  # fmt: skip
        clinician = therapist(session, "therapist@demo.clinic")
        start_takeover(session, client=client, therapist=clinician, now=now, minutes=60)
        send_as_therapist(session, client=client, therapist=clinician, now=now, minutes=60,
                          text="It's Dr. Demo. I'm here with you now. Are you safe?")  # fmt: skip
    with session_scope(engine) as session:
        due = [m.body for m in claim_due(session, now + timedelta(seconds=1))]
    assert any("I'm here with you" in body for body in due), (
        f"the therapist's words wait behind a reply in back-off; claimable now: {due}"
    )


@pytest.fixture
def outbox_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite database that ``session_scope()`` (the worker's) uses."""
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    upgrade(url)
    monkeypatch.setenv("WISEMIND_DATABASE_URL", url)
    yield url


@pytest.fixture
def stand_ins() -> Iterator[tuple[TwilioStandin, TelegramStandin]]:
    with TwilioStandin() as twilio, TelegramStandin() as telegram:
        yield twilio, telegram


async def test_a_page_by_sms_leaves_while_a_telegram_reply_is_slow(
    outbox_database: str, stand_ins: tuple[TwilioStandin, TelegramStandin]
) -> None:
    """Telegram answers in 8 s (under the 10 s send timeout); a page queued meanwhile waits."""
    twilio, telegram = stand_ins
    senders: dict[str, Sender] = {
        Channel.SMS: TwilioSender(
            TwilioSettings(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, "+15005550000", twilio.url),
            "",
        ),
        Channel.TELEGRAM: TelegramSender(TelegramSettings(DEFAULT_TOKEN, "s", telegram.url)),
    }
    telegram.delay(8)
    with session_scope() as session:
        enqueue(session, client_id=None, channel=Channel.TELEGRAM, address=DEMO_CHAT,
                body="Good morning! Time for your diary card.")  # fmt: skip
    stop = asyncio.Event()
    worker = asyncio.create_task(OutboxWorker(senders).run(stop))
    try:
        await telegram.wait_for_messages_async(1, timeout=5)  # taken, and being answered slowly
        with session_scope() as session:
            enqueue(session, client_id=None, channel=Channel.SMS, address=PRIMARY_PHONE,
                    body="WiseMind high risk alert for client X. Reply ACK ABC123",
                    lane=Lane.CRISIS)  # fmt: skip
        # The SLA is 2 s from the webhook; allow twice that for the page alone.
        await twilio.wait_for_messages_async(1, timeout=4)
    finally:
        stop.set()
        telegram.reset()
        await worker


def test_an_sms_stop_does_not_drop_the_clients_telegram_crisis_reply(
    engine: Engine,
) -> None:
    """STOP is an SMS carrier rule; ``drop_before_opt_out`` applies it to every channel."""
    now = utcnow()
    with session_scope(engine) as session:
        client = demo_client(session)
        enqueue(session, client_id=client.id, channel=Channel.TELEGRAM, address=DEMO_CHAT,
                body="Please call or text 988 now.", lane=Lane.CRISIS)  # fmt: skip
        client.opted_out_at = now + timedelta(seconds=1)  # "STOP" by SMS a second later
    with session_scope(engine) as session:
        due = [(m.channel, m.body) for m in claim_due(session, now + timedelta(seconds=2))]
    assert (Channel.TELEGRAM, "Please call or text 988 now.") in due, due
