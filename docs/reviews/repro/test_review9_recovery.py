"""Review 9: the stop of the channels' background work after recover8 (9aea3ab).

Real PostgreSQL through the fixtures of ``tests/test_intake.py``, the real intake
pipeline, ``BackgroundTasks``, ``keep_recovering`` and ``claim_handoffs`` (in its
thread, as the recovery loop runs it), with the Rasa model replaced by a slow
assistant. No server is started: the event loop is driven as Sanic 21.12's
``sanic.server.runners.serve`` drives it on a stop (the before-stop listeners, the
drain, ``loop.close()``). A second connection holds a table lock for a moment so that
the stop lands while the recovery pass's claim is in its thread (what a busy database
does). The test fails on main (1a03a62) because of the hole its docstring describes.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from rasa.core.channels.channel import UserMessage
from sqlalchemy.engine import Engine

from bot.intake import claim_handoffs, receive
from bot.intake.pipeline import release_handoff
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.models import Message
from channels.outbox_output import keep_recovering
from channels.twilio_sms import SmsOutput
from channels.webhook import BackgroundTasks
from tests.test_intake import engine, settings, sms  # noqa: F401  (fixtures and helpers)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_message_the_recovery_loop_is_claiming_as_the_server_stops_is_left_to_the_next_server(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a clinic would see: a deploy stops `rasa run` while the recovery loop (every
    Telegram message, and any SMS left behind an older one or given up by a stopped
    server, is answered this way) is claiming the client's "hello" in its thread
    (`asyncio.to_thread(claim_handoffs, ...)`). `BackgroundTasks.stop` cancels the loop:
    the await is cancelled at once, but the thread runs on and commits the claim, and
    nothing takes the claimed hand-offs back (no turn is started, none released). The
    restarted server answers neither "hello" nor the client's next messages until the
    6-minute lease runs out: review 7 #13's silence, for the message being claimed."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    decision = receive(sms("hello"), settings, engine=engine)
    assert decision.hand_off is not None
    message_id = decision.hand_off.message_id

    async def assistant(message: UserMessage) -> None:
        await asyncio.sleep(60)

    loop = asyncio.new_event_loop()
    background = BackgroundTasks()
    wake = asyncio.Event()
    locker = engine.connect()
    try:
        # The recovery loop runs as the channels start it: its first pass finds nothing
        # (the webhook holds "hello").
        async def server_starts() -> None:
            background.start(keep_recovering(assistant, SmsOutput, "sms", settings, wake))
            await asyncio.sleep(1.0)

        async def loop_woken() -> None:
            wake.set()
            await asyncio.sleep(1.0)  # claim_handoffs waits in its thread

        loop.run_until_complete(server_starts())
        # A server gives "hello" up and wakes the loop; the database is busy (the table
        # locked for a moment by another transaction) as the pass claims.
        release_handoff(message_id, engine=engine)
        transaction = locker.begin()
        locker.exec_driver_sql("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
        loop.run_until_complete(loop_woken())
        loop.run_until_complete(background.stop())  # Sanic's before_server_stop
        transaction.commit()  # the database answers: the thread's claim goes through
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with session_scope(engine) as session:
                held = session.get(Message, message_id)
                if held is not None and held.handed_off_at is not None:
                    break
            time.sleep(0.1)
        loop.run_until_complete(asyncio.sleep(0.1))  # the drain
    finally:
        locker.close()
        loop.close()  # Sanic's end
    claimed = claim_handoffs("sms", engine=engine)  # the next server
    assert [hand_off.text for hand_off in claimed] == ["hello"], "held for the 6-minute lease"
