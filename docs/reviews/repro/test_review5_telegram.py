"""Review 5: the Rasa server's recovery loop, which every Telegram message now goes through.

Real SQLite and PostgreSQL through the fixtures of ``tests/test_intake.py`` (the demo
clinic on a real rota), the real intake pipeline and the real ``keep_recovering`` loop
of ``channels/outbox_output.py``; the Rasa model is replaced by a recorder, as in
``tests/test_intake.py::test_a_slow_conversation_in_the_rasa_servers_recovery_holds_up_no_other_client``.
Each test fails on main because of the hole its docstring describes.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import UserMessage
from sqlalchemy.engine import Engine

from bot.clinic import add_client
from bot.intake import receive
from bot.settings import Settings
from bot.storage import session_scope
from channels.outbox_output import keep_recovering
from channels.telegram import TelegramOutput
from tests.test_intake import (  # noqa: F401  (fixtures and helpers)
    _telegram,
    _with_telegram,
    engine,
    settings,
)


async def test_a_telegram_message_arriving_during_another_clients_slow_turn_is_answered_at_once(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a clinic would see: every Telegram message now reaches the assistant through
    the Rasa server's recovery loop (the dashboard's process takes it in and wakes the loop).
    The loop answers the clients *of one pass* side by side, but waits for all of them
    before it claims again: a client whose message arrives a moment after another client's
    slow turn began (an action that hangs, up to Rasa's 5-minute action timeout) waits for
    that turn to end, woken or not. Here the demo client's turn lasts until the other
    client's message is read; the other client writes after the pass began, and the
    dashboard's wake-up comes at once: the message is not read within 5 s."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    settings = _with_telegram(settings)
    with session_scope(engine) as session:
        add_client(session, name="Other Client", therapist_email="therapist@demo.clinic",
                   timezone="America/New_York", telegram_chat_id="888000")  # fmt: skip
    read: list[str] = []
    slow_turn_started = asyncio.Event()
    other_read = asyncio.Event()

    async def assistant(message: UserMessage) -> None:
        read.append(message.text or "")
        if message.text == "hello":  # the demo client's turn lasts until the other's is read
            slow_turn_started.set()
            await asyncio.wait_for(other_read.wait(), 20)
        else:
            other_read.set()

    wake = asyncio.Event()
    receive(_telegram("hello", 1), settings, engine=engine, handing_off=False)
    recovering = asyncio.create_task(
        keep_recovering(assistant, TelegramOutput, "telegram", settings, wake)
    )
    try:
        await asyncio.wait_for(slow_turn_started.wait(), 10)
        # The other client writes; the dashboard's process takes it in and wakes the loop.
        decision = await asyncio.to_thread(
            receive, _telegram("i can't stop shaking", 1, "888000"), settings,
            engine=engine, handing_off=False,
        )  # fmt: skip
        assert decision.handoff_left
        wake.set()
        try:
            await asyncio.wait_for(other_read.wait(), 5)
        except asyncio.TimeoutError:
            pytest.fail("the other client's message waits for the slow turn to end")
    finally:
        recovering.cancel()
    assert read == ["hello", "i can't stop shaking"]
