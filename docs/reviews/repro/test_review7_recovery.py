"""Review 7: the hand-off claims after fix6c (4850c61).

Real SQLite and PostgreSQL through the fixtures of ``tests/test_intake.py``, the real
``keep_recovering`` loop and ``hand_to_rasa`` with the Rasa model replaced by a recorder
that answers through the real outbox output. No server is started. Each test fails on
main (1b94673) because of the hole its docstring describes.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import UserMessage
from sqlalchemy.engine import Engine

from bot.intake import claim_handoffs
from bot.settings import Settings
from channels.outbox_output import keep_recovering
from channels.telegram import TelegramOutput
from channels.webhook import BackgroundTasks
from tests.test_intake import (  # noqa: F401  (fixtures and helpers)
    DEMO_CHAT,
    _read_within,
    _recovering,
    _taken_in_by_the_dashboard,
    _with_telegram,
    engine,
    settings,
)

#: What the assistant says first to a "no" after "are you safe right now?".
FOLLOW_UP = "Thank you for telling me. Is anyone with you right now?"


async def test_a_turn_cut_off_after_the_assistant_replied_is_not_answered_again(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a clinic would see: the client answers "no" to "are you safe right now?"; the
    assistant has already queued its crisis follow-up ("Thank you for telling me. Is
    anyone with you right now?") and waits on its next action when the Rasa server is
    restarted (a deploy). `hand_to_rasa` counts the turn as cut off "before Rasa
    answered" and gives the claim up, so the restarted server hands the same "no" to the
    assistant again at once: the client gets the follow-up twice, and the action server
    runs the crisis follow-up's actions a second time. (Rasa saves its tracker only at
    the turn's end, so it has no record of the first replies.)"""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    settings = _with_telegram(settings)  # noqa: F811
    replied = asyncio.Event()
    read_again: list[str] = []

    async def replies_then_is_cut_off(message: UserMessage) -> None:
        assert message.output_channel is not None
        await message.output_channel.send_text_message(message.sender_id or "", FOLLOW_UP)
        replied.set()
        await asyncio.sleep(60)  # the next action, cut off by the restart

    async def restarted_assistant(message: UserMessage) -> None:
        read_again.append(message.text or "")

    _taken_in_by_the_dashboard(settings, engine, "no", DEMO_CHAT)
    async with _recovering(settings, replies_then_is_cut_off):
        await asyncio.wait_for(replied.wait(), 10)
    async with _recovering(settings, restarted_assistant):
        await _read_within(2, read_again, ["no"])
    assert read_again == [], "the answered 'no' is handed to the assistant a second time"


def test_a_rasa_server_stopped_as_sanic_stops_it_gives_up_the_claim_of_a_cut_off_turn(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a clinic would see: a deploy restarts `rasa run` (SIGTERM) while the assistant
    answers the demo client's "hello" (its recovery loop's turn, or a webhook's direct
    hand-off: both are started by `BackgroundTasks.start`, a bare `create_task`). Sanic
    21.12 (`sanic.server.runners.serve`, then `serve_single`) stops the loop, cancels only
    the tasks registered with `app.add_task`, and closes the loop: the recovery loop and the
    turns are never cancelled, so no `finally` gives the claim up. The restarted server
    takes neither "hello" nor the client's "are you there? i need help" until the 6-minute
    lease runs out: review 6 #9 as before its fix. Its test cancels the loop's task itself,
    which no server does. Here the server's stop is done as Sanic does it."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    settings = _with_telegram(settings)  # noqa: F811
    _taken_in_by_the_dashboard(settings, engine, "hello", DEMO_CHAT)
    loop = asyncio.new_event_loop()
    background = BackgroundTasks()

    async def start_the_server() -> asyncio.Event:
        started = asyncio.Event()

        async def slow_assistant(message: UserMessage) -> None:
            started.set()
            await asyncio.sleep(60)

        background.start(  # as the Telegram channel's after_server_start listener does
            keep_recovering(slow_assistant, TelegramOutput, "telegram", settings, asyncio.Event())
        )
        return started

    try:
        started = loop.run_until_complete(start_the_server())
        loop.run_until_complete(asyncio.wait_for(started.wait(), 10))
    finally:
        loop.close()  # Sanic's stop: tasks it did not register are left as they are
    claimed = claim_handoffs("telegram", engine=engine)
    assert [hand_off.text for hand_off in claimed] == ["hello"], "held for the 6-minute lease"
