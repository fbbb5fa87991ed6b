"""Paging end to end on the real servers: Telegram pages and ACKs, and a scheduler killed mid-send.

``wisemind run`` runs with both channels on the stand-ins and the test clinic
on call (``tests/servers.py``); these tests change the rota only for their
own time and put it back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clinic import add_therapist, client_by_code, set_oncall
from bot.outbox import SEND_LEASE, enqueue
from bot.readiness import SCHEDULER
from bot.settings import PROJECT_ROOT, load_settings
from bot.storage import session_scope
from bot.storage.enums import Channel, EscalationStatus, MessageStatus
from bot.storage.models import Escalation, Heartbeat, Message, OncallShift, Therapist
from tests.servers import (
    DASHBOARD_URL,
    PRIMARY_ON_CALL,
    RunningWiseMind,
    enrol_client,
    new_phone,
    poll_until,
)
from tests.standins import TelegramStandin, TwilioStandin
from tests.test_channel_telegram import Chat, new_chat_id
from tests.test_crisis import pages_about

#: The scheduler comes back after its back-off, then waits out the dead one's lease.
RECOVERY_TIMEOUT = SEND_LEASE.total_seconds() + 60
#: The stand-in answers this late, so that the scheduler can be killed mid-send.
SLOW_ANSWER_SECONDS = 8.0


@pytest.fixture
def telegram_therapist(wisemind: RunningWiseMind) -> Iterator[tuple[int, int]]:
    """A therapist paged by Telegram, on call as primary today: (therapist id, chat id)."""
    chat_id = new_chat_id()
    today = datetime.now(ZoneInfo(load_settings().clinic_timezone)).weekday()
    with session_scope(wisemind.engine) as session:
        therapist, _ = add_therapist(
            session,
            email=f"tg{chat_id}@clinic.test",
            name="Dr. Telegram",
            telegram_chat_id=chat_id,
        )
        # A shift for this weekday beats the every-day rota.
        shift = set_oncall(session, therapist_email=therapist.email, role="primary", weekday=today)
        ids = therapist.id, shift.id
    try:
        yield ids[0], chat_id
    finally:
        with session_scope(wisemind.engine) as session:
            session.delete(session.get(OncallShift, ids[1]))


def test_a_telegram_client_in_crisis_pages_a_telegram_therapist_who_acks_from_telegram(
    wisemind: RunningWiseMind,
    providers: tuple[TwilioStandin, TelegramStandin],
    telegram_therapist: tuple[int, int],
) -> None:
    twilio, telegram = providers
    therapist_id, therapist_chat = telegram_therapist
    client_chat = Chat(wisemind, telegram, new_chat_id())
    client_chat.code = enrol_client(
        wisemind, consented=True, name="Kai Tg", telegram_chat_id=str(client_chat.chat_id)
    )
    words = "i have the pills lined up, taking them all tonight"
    assert "alerted a person" in client_chat.reply_to(words)

    def pages_to_therapist() -> list[str]:
        texts = [m.text or "" for m in telegram.messages_to(therapist_chat)]
        return [text for text in texts if client_chat.code in text]

    pages = poll_until(pages_to_therapist, bool)
    assert pages, "no Telegram page reached the therapist on call"
    page = pages[0]
    assert "pills" not in page and "tonight" not in page
    with session_scope(wisemind.engine) as session:
        client = client_by_code(session, client_chat.code)
        assert client is not None
        escalation = session.execute(
            select(Escalation).where(Escalation.client_id == client.id)
        ).scalar_one()
        assert f"{DASHBOARD_URL}/escalations/{escalation.id}" in page
    assert pages_about(twilio, PRIMARY_ON_CALL, client_chat.code) == []

    ack_code = page.split("Reply ACK ")[1].split()[0]
    therapist = Chat(wisemind, telegram, therapist_chat)
    assert "Acknowledged" in therapist.reply_to(f"ACK {ack_code}")
    with session_scope(wisemind.engine) as session:
        acknowledged = session.get(Escalation, escalation.id)
        assert acknowledged is not None
        assert acknowledged.status == EscalationStatus.ACKNOWLEDGED
        assert (acknowledged.acknowledged_by, acknowledged.acknowledged_via) == (
            therapist_id,
            Channel.TELEGRAM,
        )


def _scheduler_pid(server: RunningWiseMind) -> int | None:
    with session_scope(server.engine) as session:
        beat = session.get(Heartbeat, SCHEDULER)
        return beat.pid if beat is not None else None


def _health(server: RunningWiseMind) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(server.health_url, timeout=5) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_scheduler_killed_mid_send_is_restarted_and_sends_the_message_once(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    twilio, _ = providers
    number = new_phone()
    code = enrol_client(wisemind, consented=True, sms_number=number)
    old_pid = poll_until(lambda: _scheduler_pid(wisemind), bool)
    assert old_pid is not None
    assert _health(wisemind)[0] == 200

    twilio.delay(SLOW_ANSWER_SECONDS)
    with session_scope(wisemind.engine) as session:
        client = client_by_code(session, code)
        assert client is not None
        message_id = enqueue(
            session, client_id=client.id, channel=Channel.SMS, address=number,
            body=f"Time for your diary card ({code}).",
        ).id  # fmt: skip
    # Twilio has the message, and the scheduler waits for its answer: kill it now.
    assert poll_until(lambda: twilio.messages_to(number), bool)
    os.kill(old_pid, signal.SIGKILL)
    twilio.reset()

    new_pid = poll_until(lambda: _scheduler_pid(wisemind), lambda pid: pid not in (None, old_pid))
    assert new_pid not in (None, old_pid), "the scheduler was not restarted"

    def status() -> str:
        with session_scope(wisemind.engine) as session:
            message = session.get(Message, message_id)
            assert message is not None
            return message.status

    assert poll_until(status, lambda s: s == MessageStatus.SENT, RECOVERY_TIMEOUT) == "sent"
    assert len(twilio.messages_to(number)) == 1
    log = wisemind.log_path.read_text()
    assert "scheduler exited with code -9; restarting" in log
    status_code, health = _health(wisemind)
    assert status_code == 200, health
    assert health["processes"]["scheduler"] == {"running": True, "restarts": 1}  # type: ignore[index]
    cli = subprocess.run(
        [sys.executable, "-m", "bot.cli", "status"],
        cwd=PROJECT_ROOT,
        env=wisemind.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0 and "scheduler: running" in cli.stdout


def test_with_real_channels_the_demo_clinic_is_not_seeded(wisemind: RunningWiseMind) -> None:
    with session_scope(wisemind.engine) as session:
        demo = session.execute(select(Therapist).where(Therapist.is_demo.is_(True))).all()
        assert demo == []
