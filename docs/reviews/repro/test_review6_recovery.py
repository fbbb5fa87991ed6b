"""Review 6: the Rasa server's recovery loop after recover6 (one claim per client, 6-minute lease).

Real SQLite and PostgreSQL through the fixtures of ``tests/test_intake.py`` (the demo
clinic on a real rota), the real intake pipeline and the real ``keep_recovering`` loop of
``channels/outbox_output.py``; the Rasa model is replaced by a recorder, as in
``tests/test_intake.py::test_a_rasa_server_stopping_mid_turn_ends_the_turn_and_leaves_the_message_open``.
Each test fails on main because of the hole its docstring describes.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import UserMessage
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from bot.intake import FloodControl, claim_handoffs, finish_handoff, receive
from bot.intake.pipeline import HANDOFF_LEASE
from bot.settings import Settings
from bot.storage.models import utcnow
from tests.test_intake import (  # noqa: F401  (fixtures and helpers)
    DEMO_CHAT,
    _read_within,
    _recovering,
    _taken_in_by_the_dashboard,
    _with_telegram,
    engine,
    settings,
    sms,
    unlimited,
)


async def test_a_client_cut_off_by_a_restart_is_answered_by_the_restarted_server_at_once(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a clinic would see: the Rasa server is restarted (a deploy) while the assistant
    answers the demo client's "hello". The turn is cancelled and its claim left standing;
    the restarted server will not take that message, nor any later message of the client
    (one message per client, and the client is "held"), until the 6-minute lease runs
    out. The client, who writes "are you there? i need help" at once, hears nothing from
    the assistant for six minutes (the core's crisis reply and page are not delayed)."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    settings = _with_telegram(settings)  # noqa: F811
    read: list[str] = []
    started = asyncio.Event()

    async def cut_off_by_the_restart(message: UserMessage) -> None:
        started.set()
        await asyncio.sleep(60)

    async def assistant(message: UserMessage) -> None:
        read.append(message.text or "")

    _taken_in_by_the_dashboard(settings, engine, "hello", DEMO_CHAT)
    async with _recovering(settings, cut_off_by_the_restart):
        await asyncio.wait_for(started.wait(), 10)
    async with _recovering(settings, assistant) as wake:
        await asyncio.to_thread(
            _taken_in_by_the_dashboard, settings, engine, "are you there? i need help",
            DEMO_CHAT, 2,
        )  # fmt: skip
        wake.set()
        await _read_within(5, read, ["hello", "are you there? i need help"])
    if "are you there? i need help" not in read:
        pytest.fail("the restarted server leaves the client unanswered until the lease ends")


async def test_a_client_whose_answered_turn_failed_to_close_is_not_held_for_the_lease(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a clinic would see: the assistant answered the demo client's "no" to "are you
    safe right now?", but closing the message failed (the database briefly locked). Its
    claim stays, so every later message of the client waits the whole 6-minute lease (on
    5f071b8 they were claimed at once), and then the "no" is answered a second time before
    them: the client who
    writes "hello?? please answer" hears nothing for six minutes, then the crisis follow-up
    repeated out of its time."""
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    monkeypatch.setattr("channels.outbox_output.RECOVERY_SECONDS", 0.05)
    settings = _with_telegram(settings)  # noqa: F811
    read: list[str] = []

    async def assistant(message: UserMessage) -> None:
        read.append(message.text or "")

    failing = _taken_in_by_the_dashboard(settings, engine, "no", DEMO_CHAT)

    def close_or_fail(message_id: int, *, answered: bool) -> None:
        if message_id == failing:
            raise OperationalError("UPDATE messages", {}, Exception("database is locked"))
        finish_handoff(message_id, answered=answered)

    monkeypatch.setattr("channels.outbox_output.finish_handoff", close_or_fail)
    async with _recovering(settings, assistant) as wake:
        assert await _read_within(5, read, ["no"]) == ["no"]
        await asyncio.to_thread(
            _taken_in_by_the_dashboard, settings, engine, "hello?? please answer", DEMO_CHAT, 2
        )
        wake.set()
        await _read_within(5, read, ["no", "hello?? please answer"])
    if read != ["no", "hello?? please answer"]:
        pytest.fail(f"the client is held for the lease after a failed close: read {read}")


def test_a_direct_hand_off_still_being_answered_after_the_lease_is_not_claimed_again(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: an SMS handed to Rasa directly by the Rasa server's webhook
    (``channels/twilio_sms.py``, ``process_inbound`` in a background task) is never renewed
    and is not among the recovery loop's ``busy`` clients. A turn of two slow actions
    (each up to Rasa's 5-minute action timeout: the action server hung) outlasts the
    6-minute lease, and the same server's recovery loop claims the message again while
    its first turn still runs: the client's message is answered twice."""
    decision = receive(sms("no", 1), settings, engine=engine, flood=unlimited)
    assert decision.hand_off is not None and not decision.handoff_left  # handed over directly
    # Seven minutes on, Rasa still waits on the turn's second slow action.
    still_answering = utcnow() + HANDOFF_LEASE + HANDOFF_LEASE / 6
    assert claim_handoffs("sms", engine=engine, now=still_answering) == [], "answered twice"
