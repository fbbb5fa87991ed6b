"""Review 8: the stop of the channels' background turns after recover7 (27877dd).

Real SQLite and PostgreSQL through the fixtures of ``tests/test_intake.py``, the real
intake pipeline, ``BackgroundTasks`` and ``process_inbound`` with the Rasa model replaced
by a slow assistant. No server is started: the event loop is driven as Sanic 21.12's
``sanic.server.runners.serve`` drives it on a stop (the before-stop listeners, then the
graceful drain of requests in flight with the loop running, then ``loop.close()``). The
test fails on main (244ed9c) because of the hole its docstring describes.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import UserMessage
from sqlalchemy.engine import Engine

from bot.intake import claim_handoffs, receive
from bot.settings import Settings
from channels.outbox_output import process_inbound
from channels.twilio_sms import SmsOutput
from channels.webhook import BackgroundTasks
from tests.test_intake import engine, settings, sms  # noqa: F401  (fixtures and helpers)


def test_a_webhook_in_flight_when_the_server_stops_leaves_its_message_to_the_next_server(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a clinic would see: a deploy stops `rasa run` (SIGTERM) while Twilio's webhook
    for the client's "hello" is in its handler (the intake runs in a thread). Sanic runs
    the before-stop listener: `BackgroundTasks.stop` finds no task and returns at once.
    Sanic then drains the requests in flight with the loop running: the handler ends and
    starts the hand-off with `BackgroundTasks.start`, which nothing will cancel any more.
    The loop is closed with the turn pending: no `finally`, no claim given up, and the
    restarted server answers neither "hello" nor the client's next message until the
    6-minute lease runs out (review 7 #13's silence, for the message in flight)."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    loop = asyncio.new_event_loop()
    background = BackgroundTasks()

    async def webhook_ends_during_the_drain() -> None:
        decision = await asyncio.to_thread(receive, sms("hello"), settings, engine=engine)
        hand_off = decision.hand_off
        assert hand_off is not None
        started = asyncio.Event()

        async def slow_assistant(message: UserMessage) -> None:
            started.set()
            await asyncio.sleep(60)

        output = SmsOutput(hand_off.client_id, hand_off.address)
        background.start(process_inbound(slow_assistant, hand_off, output, "sms"))
        await asyncio.wait_for(started.wait(), 10)

    try:
        loop.run_until_complete(background.stop())  # Sanic's before_server_stop
        loop.run_until_complete(webhook_ends_during_the_drain())  # the graceful drain
    finally:
        loop.close()  # Sanic's end: tasks it did not register are left as they are
    claimed = claim_handoffs("sms", engine=engine)
    assert [hand_off.text for hand_off in claimed] == ["hello"], "held for the 6-minute lease"
