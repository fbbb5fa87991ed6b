"""Telegram: a Rasa input channel, its output channel, and the outbox sender.

Inbound: ``POST /webhooks/telegram/webhook`` receives Telegram's JSON
``Update``; the ``X-Telegram-Bot-Api-Secret-Token`` header is compared in
constant time with ``WISEMIND_TELEGRAM_SECRET`` (set when the webhook is
registered by ``wisemind channels setup``), and a wrong one gets 403 with
nothing stored. A message is stored once per ``update_id`` before it is
processed; Telegram gets its 200 at once (it retries anything else) and Rasa
processes the message in the background. ``/start <code>`` links a chat to
a client. Button presses are answered (``answerCallbackQuery``) and their
payload goes to Rasa as the client's message.

Outbound: replies become outbox rows (split to Telegram's 4096-character
limit, buttons as an inline keyboard on the last part) and
:class:`TelegramSender` sends them with python-telegram-bot. Text is sent
without a parse mode, so nothing anyone types is ever read as markup.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot import clinic
from bot.gateway import (
    ENROLMENT_FAILED_REPLY,
    UNKNOWN_SENDER_REPLY,
    Inbound,
    accept_inbound,
    accept_staff_message,
    with_crisis_contacts,
)
from bot.outbox import Button, Outgoing, SendError
from bot.settings import Settings, TelegramSettings, load_settings
from bot.storage import session_scope
from bot.storage.enums import Channel
from bot.storage.models import utcnow
from channels.formatting import split_text
from channels.outbox_output import (
    BackgroundTasks,
    ConversationOutput,
    OutboxOutput,
    Part,
    process_inbound,
    recover_unprocessed,
)

logger = logging.getLogger(__name__)

CHANNEL_NAME = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
START_COMMAND = "/start"
SEND_TIMEOUT_SECONDS = 10.0
#: What the bot does on first contact once a chat is linked: greet, which starts consent.
GREETING_TRIGGER = "/greet"

NOT_TEXT_REPLY = "I can only read text messages. Text MENU to see what I can do."


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def telegram_parts(text: str, buttons: Sequence[Button]) -> list[Part]:
    """Split to Telegram's limit; the keyboard goes with the last part."""
    parts = split_text(text, lambda part: telegram_length(part) <= MessageLimit.MAX_TEXT_LENGTH)
    return [(part, buttons if i == len(parts) - 1 else ()) for i, part in enumerate(parts)]


class TelegramOutput(OutboxOutput):
    """The bot's replies to one client on Telegram, stored for the outbox."""

    channel = Channel.TELEGRAM

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def parts(self, text: str, buttons: Sequence[Button]) -> list[Part]:
        return telegram_parts(text, buttons)


@dataclass(frozen=True)
class _Update:
    """The parts of a Telegram Update that WiseMind acts on."""

    update_id: int
    chat_id: str
    text: str | None
    callback_query_id: str | None = None


@dataclass(frozen=True)
class _Triage:
    inbound: Inbound | None = None
    text: str = ""
    #: Answered in the webhook response itself, nothing stored (unknown chats).
    direct_reply: str | None = None


def _parse_update(payload: Any) -> _Update | None:
    """The message or button press in ``payload``; None for updates we ignore.

    Raises ValueError for a payload that is not a Telegram Update at all.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
        raise ValueError("not a Telegram Update")
    update_id = payload["update_id"]
    if isinstance(payload.get("callback_query"), dict):
        query = payload["callback_query"]
        chat = (query.get("message") or {}).get("chat") or {}
        if not isinstance(query.get("id"), str) or "id" not in chat:
            raise ValueError("callback_query without id or chat")
        if chat.get("type", "private") != "private":
            return None
        data = query.get("data")
        return _Update(
            update_id, str(chat["id"]), data if isinstance(data, str) else None, query["id"]
        )
    message = payload.get("message")
    if not isinstance(message, dict):
        return None  # edited messages, channel posts, member updates: not for us
    chat = message.get("chat")
    if not isinstance(chat, dict) or "id" not in chat:
        raise ValueError("message without chat")
    if chat.get("type") != "private":
        return None  # never talk about anyone's care in a group
    text = message.get("text")
    return _Update(update_id, str(chat["id"]), text if isinstance(text, str) else None)


class TelegramInput(InputChannel):
    """Telegram's webhook, verified, stored first, processed in the background."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        return cls(load_settings())

    def get_output_channel(self) -> OutputChannel:
        """Where messages Rasa sends unprompted go (``trigger_intent``: reminders)."""
        return ConversationOutput(TelegramOutput)

    def __init__(self, settings: Settings) -> None:
        self.config = settings.telegram
        self.bot = telegram_bot(self.config) if self.config else None
        self.background = BackgroundTasks()
        if self.config is None:
            logger.info("Telegram channel off: WISEMIND_TELEGRAM_* not set")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wisemind_telegram", __name__)

        @webhook.listener("after_server_start")
        async def recover(*_: Any) -> None:
            if self.config is not None:
                self.background.start(
                    recover_unprocessed(on_new_message, TelegramOutput, CHANNEL_NAME)
                )

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.config else "not configured"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.config is None:
                return response.json({"error": "Telegram channel not configured"}, status=503)
            supplied = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(supplied.encode(), self.config.secret.encode()):
                return response.json({"error": "invalid secret token"}, status=403)
            try:
                update = _parse_update(request.json)
            except Exception:  # sanic's own error for bad JSON, or our ValueError
                return response.json({"error": "expected a Telegram Update"}, status=400)
            if update is None:
                return response.json({})
            if update.callback_query_id is not None:
                self.background.start(self._answer_button(update.callback_query_id))
            triage = await asyncio.to_thread(_triage, update)
            if triage.inbound is not None and triage.inbound.conversation_id is not None:
                output = TelegramOutput(triage.inbound.client_id, update.chat_id)
                self.background.start(
                    process_inbound(
                        on_new_message, triage.inbound, triage.text, output, CHANNEL_NAME
                    )
                )
            if triage.direct_reply is not None:
                # Telegram performs a method returned in the webhook response.
                return response.json(
                    {
                        "method": "sendMessage",
                        "chat_id": update.chat_id,
                        "text": triage.direct_reply,
                    }
                )
            return response.json({})

        return webhook

    async def _answer_button(self, callback_query_id: str) -> None:
        """Stop the button's spinner; a failure here only costs the client a spinner."""
        assert self.bot is not None
        try:
            await self.bot.answer_callback_query(callback_query_id)
        except TelegramError as exc:
            logger.warning("answerCallbackQuery failed: %s", type(exc).__name__)


def _triage(update: _Update) -> _Triage:
    """Enrolment by ``/start <code>``, and the message log, in one transaction."""
    text = (update.text or "").strip()
    with session_scope() as session:
        if accept_staff_message(
            session,
            channel=Channel.TELEGRAM,
            address=update.chat_id,
            body=text,
            provider_id=str(update.update_id),
            now=utcnow(),
        ):
            return _Triage()
        client = clinic.client_for_identity(session, Channel.TELEGRAM, update.chat_id)
        if client is None:
            return _start(session, update, text)
        inbound = accept_inbound(
            session,
            channel=Channel.TELEGRAM,
            address=update.chat_id,
            body=update.text or "",
            provider_id=str(update.update_id),
        )
        if inbound.duplicate:
            return _Triage()
        if inbound.reply is not None:  # a sticker, a photo: no text to read
            TelegramOutput(client.id, update.chat_id).enqueue_in(session, NOT_TEXT_REPLY)
            return _Triage()
        for crisis_text in inbound.crisis_reply:
            TelegramOutput(client.id, update.chat_id).enqueue_in(session, crisis_text)
        if text.split()[:1] == [START_COMMAND]:
            text = GREETING_TRIGGER
        return _Triage(inbound=inbound, text=text)


def _start(session: Session, update: _Update, text: str) -> _Triage:
    """A chat we do not know: ``/start <code>`` links it; anything else learns nothing."""
    words = text.split()
    if len(words) != 2 or words[0] != START_COMMAND:
        return _Triage(direct_reply=with_crisis_contacts(UNKNOWN_SENDER_REPLY))
    try:
        client = clinic.redeem_enrolment_code(
            session, words[1], channel=Channel.TELEGRAM, address=update.chat_id
        )
    except clinic.ClinicError:
        return _Triage(direct_reply=ENROLMENT_FAILED_REPLY)
    inbound = accept_inbound(
        session,
        channel=Channel.TELEGRAM,
        address=update.chat_id,
        body=text,
        provider_id=str(update.update_id),
    )
    logger.info("Telegram chat linked to client %s by enrolment code", client.code)
    return _Triage(inbound=inbound, text=GREETING_TRIGGER)


def telegram_bot(config: TelegramSettings) -> Bot:
    """A python-telegram-bot ``Bot`` on the configured API base URL."""
    request = HTTPXRequest(
        connect_timeout=SEND_TIMEOUT_SECONDS,
        read_timeout=SEND_TIMEOUT_SECONDS,
        write_timeout=SEND_TIMEOUT_SECONDS,
    )
    return Bot(config.token, base_url=f"{config.api_url.rstrip('/')}/bot", request=request)


def _keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    usable = [
        b for b in buttons if len(b.payload.encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    ]
    if not usable:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.title, callback_data=b.payload)] for b in usable]
    )


class TelegramSender:
    """Sends outbox messages with the Bot API (python-telegram-bot, async)."""

    channel = Channel.TELEGRAM

    def __init__(self, config: TelegramSettings) -> None:
        self.bot = telegram_bot(config)

    async def send(self, message: Outgoing) -> str:
        try:
            sent = await self.bot.send_message(
                chat_id=int(message.address),
                text=message.body,
                reply_markup=_keyboard(message.buttons),
            )
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise SendError("telegram-429", transient=True, retry_after=seconds) from None
        except Forbidden:
            raise SendError("telegram-403-blocked", transient=False) from None
        except BadRequest:
            raise SendError("telegram-400", transient=False) from None
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            raise SendError(f"telegram-{type(exc).__name__}", transient=True) from None
        # Message ids are per chat: the chat makes the provider id unique.
        return f"{message.address}:{sent.message_id}"
