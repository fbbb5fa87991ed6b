"""Clients on Telegram: Telegram's webhook Updates in, the Bot API out.

The real Rasa server, action server and scheduler run (``wisemind run``);
Telegram is the stand-in in ``tests/standins``, which speaks the Bot API.
"""

from __future__ import annotations

import itertools
import json
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clinic import client_by_code, new_enrolment_code
from bot.storage import session_scope
from bot.storage.models import Message
from tests.servers import (
    QUIET_SECONDS,
    REPLY_TIMEOUT,
    TELEGRAM_SECRET,
    RunningWiseMind,
    enrol_client,
    poll_until,
    post_webhook,
    settle,
)
from tests.standins import (
    SentTelegram,
    TelegramStandin,
    TwilioStandin,
    callback_update,
    signed_telegram_headers,
    text_update,
)

_update_ids = itertools.count(secrets.randbelow(10**6) * 1000)


@dataclass
class Chat:
    """A client's private chat with the clinic's Telegram bot."""

    server: RunningWiseMind
    telegram: TelegramStandin
    chat_id: int
    code: str = ""

    @property
    def webhook_url(self) -> str:
        return f"{self.server.rasa_url}/webhooks/telegram/webhook"

    def post(self, payload: Any, secret: str = TELEGRAM_SECRET) -> tuple[int, Any]:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        status, body = post_webhook(self.webhook_url, data, signed_telegram_headers(secret))
        return status, json.loads(body) if status == 200 else body.decode()

    def send(self, text: str) -> tuple[int, Any]:
        return self.post(text_update(next(_update_ids), self.chat_id, text))

    def replies(self, count: int) -> list[SentTelegram]:
        sent = poll_until(
            lambda: self.telegram.messages_to(self.chat_id), lambda s: len(s) >= count
        )
        got = [m.text for m in sent]
        assert len(sent) >= count, f"expected {count} messages to chat {self.chat_id}, got {got}"
        return sent

    def reply_to(self, text: str) -> str:
        before = len(self.telegram.messages_to(self.chat_id))
        assert self.send(text)[0] == 200
        self.replies(before + 1)
        settle(lambda: [m.text or "" for m in self.telegram.messages_to(self.chat_id)])
        return "\n".join(m.text or "" for m in self.telegram.messages_to(self.chat_id)[before:])


def new_chat_id() -> int:
    return 10**9 + secrets.randbelow(10**9)


@pytest.fixture
def chat(wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]) -> Chat:
    """An enrolled, consented client's Telegram chat."""
    chat_id = new_chat_id()
    code = enrol_client(wisemind, consented=True, name="Kim Tg", telegram_chat_id=str(chat_id))
    return Chat(wisemind, providers[1], chat_id, code)


def test_a_telegram_message_gets_its_reply_in_the_chat(chat: Chat) -> None:
    reply = chat.reply_to("hey")
    assert "DIARY" in reply
    (message,) = chat.telegram.messages_to(chat.chat_id)
    assert message.method == "sendMessage"


def test_a_wrong_secret_token_is_refused_and_nothing_is_stored(chat: Chat) -> None:
    update = text_update(next(_update_ids), chat.chat_id, "hi")
    status, _ = chat.post(update, secret="guessed")
    assert status == 403
    with session_scope(chat.server.engine) as session:
        stored = session.execute(
            select(func.count(Message.id)).where(Message.address == str(chat.chat_id))
        ).scalar_one()
    assert stored == 0
    time.sleep(QUIET_SECONDS)
    assert chat.telegram.messages_to(chat.chat_id) == []


def test_an_update_telegram_delivers_twice_is_answered_once(chat: Chat) -> None:
    update = text_update(next(_update_ids), chat.chat_id, "hello")
    assert chat.post(update)[0] == 200
    assert chat.post(update)[0] == 200
    chat.replies(1)
    time.sleep(QUIET_SECONDS)
    assert len(chat.telegram.messages_to(chat.chat_id)) == 1


def test_a_button_press_is_answered_and_its_payload_is_the_message(chat: Chat) -> None:
    update = callback_update(next(_update_ids), chat.chat_id, "/help", query_id="q-777")
    assert chat.post(update)[0] == 200
    (reply,) = chat.replies(1)
    assert "DIARY" in (reply.text or "")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not chat.telegram.callback_answers:
        time.sleep(0.1)
    assert "q-777" in [answer.callback_query_id for answer in chat.telegram.callback_answers]


def test_start_with_an_enrolment_code_links_the_chat_and_starts_first_contact(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    code = enrol_client(wisemind, consented=False, name="Lee Starter")
    with session_scope(wisemind.engine) as session:
        client = client_by_code(session, code)
        assert client is not None
        enrolment = new_enrolment_code(session, client).code
    chat = Chat(wisemind, providers[1], new_chat_id(), code)
    assert "NOT an emergency service" in chat.reply_to(f"/start {enrolment}")
    assert "You're all set" in chat.reply_to("yes")


def test_an_unknown_chat_is_answered_in_the_webhook_response_and_nothing_is_stored(
    chat: Chat,
) -> None:
    stranger = Chat(chat.server, chat.telegram, new_chat_id())
    status, body = stranger.send("/start")
    assert status == 200
    assert body["method"] == "sendMessage"
    assert "isn't linked to anyone" in body["text"]
    with session_scope(chat.server.engine) as session:
        stored = session.execute(
            select(func.count(Message.id)).where(Message.address == str(stranger.chat_id))
        ).scalar_one()
    assert stored == 0


def test_replies_held_up_by_flood_control_arrive_in_order(chat: Chat) -> None:
    chat.telegram.fail_next(1, status=429, retry_after=1)
    assert chat.send("start my diary card")[0] == 200
    first, second = chat.replies(2)[:2]
    assert "Let's fill in today's diary card" in (first.text or "")
    assert "Urge to commit suicide" in (second.text or "")


def test_a_client_who_blocked_the_bot_is_not_retried(chat: Chat) -> None:
    chat.telegram.block_chat(chat.chat_id)
    assert chat.send("hi")[0] == 200
    deadline = time.monotonic() + REPLY_TIMEOUT
    row = None
    while time.monotonic() < deadline:
        with session_scope(chat.server.engine) as session:
            row = session.execute(
                select(Message.status, Message.attempts).where(
                    Message.address == str(chat.chat_id), Message.direction == "outbound"
                )
            ).one_or_none()
        if row is not None and row[0] == "undeliverable":
            break
        time.sleep(0.2)
    assert row is not None and tuple(row) == ("undeliverable", 1)


def test_a_sticker_gets_a_text_only_reply(chat: Chat) -> None:
    update = text_update(next(_update_ids), chat.chat_id, "x")
    del update["message"]["text"]
    update["message"]["sticker"] = {"file_id": "abc", "width": 512, "height": 512}
    assert chat.post(update)[0] == 200
    assert "only read text" in (chat.replies(1)[0].text or "")


def test_group_chats_are_ignored(chat: Chat) -> None:
    update = text_update(next(_update_ids), chat.chat_id, "hi all")
    update["message"]["chat"]["type"] = "group"
    assert chat.post(update) == (200, {})
    time.sleep(QUIET_SECONDS)
    assert chat.telegram.messages_to(chat.chat_id) == []


@pytest.mark.parametrize(
    "payload", [b"{not json", b"[]", b'{"update_id": "7"}', b'{"message": {}}']
)
def test_a_malformed_update_gets_400_not_500(chat: Chat, payload: bytes) -> None:
    status, _ = chat.post(payload)
    assert status == 400


def test_a_ten_kilobyte_message_gets_a_reply(chat: Chat) -> None:
    assert chat.reply_to("everything went wrong today. " * 350)


def test_channels_setup_registers_the_webhook_on_the_dashboards_process_with_its_secret(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    """Telegram has no fallback URL: its one webhook is where nothing depends on Rasa."""
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "channels", "setup"],
        env=wisemind.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    webhook = providers[1].webhook
    assert webhook is not None
    assert webhook.url == f"{wisemind.env['WISEMIND_DASHBOARD_URL']}/webhooks/telegram/webhook"
    assert webhook.secret_token == TELEGRAM_SECRET
    assert "/webhooks/twilio_sms/webhook" in result.stdout
