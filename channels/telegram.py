"""Telegram: a Rasa input channel, its output channel, and the outbox sender.

Inbound: ``POST /webhooks/telegram/webhook`` receives Telegram's JSON
``Update``. A body over 64 kB is refused before it is read; the
``X-Telegram-Bot-Api-Secret-Token`` header is compared in constant time with
``WISEMIND_TELEGRAM_SECRET`` (set when the webhook is registered by
``wisemind channels setup``), and a wrong one gets 403 with nothing stored.
Every field a person writes becomes the text of one
:class:`~bot.intake.InboundMessage`: a message's text or a photo's caption,
edited messages and channel posts too, and a pressed button's data. The
intake pipeline decides the rest; Telegram gets its 200 at once (it retries
anything else) and Rasa answers in the background. Button presses are
answered (``answerCallbackQuery``).

A message is recognised by the bot, chat and message id (and edit date), not
by ``update_id``: Telegram restarts that sequence, and a new message that
reused an old number must not be taken for a retry.

Outbound: replies become outbox rows (split to Telegram's 4096-character
limit, buttons as an inline keyboard on the last part) and
:class:`TelegramSender` sends them with python-telegram-bot. Text is sent
without a parse mode, so nothing anyone types is ever read as markup.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.intake import EDIT_SEPARATOR, InboundMessage, receive, register_reply_format
from bot.outbox import Button, Outgoing, SendError
from bot.settings import Settings, TelegramSettings, process_settings
from bot.storage.enums import Channel
from channels.formatting import split_text
from channels.outbox_output import (
    BackgroundTasks,
    ConversationOutput,
    OutboxOutput,
    Part,
    keep_recovering,
    process_inbound,
)
from channels.webhook import BodyTooLarge, read_body, too_large

logger = logging.getLogger(__name__)

CHANNEL_NAME = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SEND_TIMEOUT_SECONDS = 10.0
#: Update fields that carry a message a person wrote (new or edited; chat or channel).
MESSAGE_FIELDS = ("message", "edited_message", "channel_post", "edited_channel_post")
#: Chats the bot talks in: only one-to-one chats. Never a group or a broadcast channel,
#: where others would read about someone's care (a crisis reply would be broadcast).
PERSONAL_CHATS = ("private",)


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


@dataclass(frozen=True)
class _Update:
    """The message or button press of a Telegram Update, as the pipeline takes it."""

    message: InboundMessage
    callback_query_id: str | None = None


def parse_update(payload: Any, bot_id: str) -> _Update | None:
    """The message or button press in ``payload``; None for updates WiseMind ignores.

    Raises ValueError for a payload that is not a Telegram Update at all.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
        raise ValueError("not a Telegram Update")
    if isinstance(payload.get("callback_query"), dict):
        return _button_press(payload["callback_query"], bot_id)
    field = next((f for f in MESSAGE_FIELDS if isinstance(payload.get(f), dict)), None)
    if field is None:
        return None  # member updates, polls, reactions: nothing a person wrote to us
    message = payload[field]
    chat = message.get("chat")
    if not isinstance(chat, dict) or "id" not in chat:
        raise ValueError("message without chat")
    if not isinstance(message.get("message_id"), int):
        raise ValueError("message without message_id")
    if chat.get("type") not in PERSONAL_CHATS:
        return None
    written = [message.get(key) for key in ("text", "caption")]
    text = "\n".join(part for part in written if isinstance(part, str))
    key = f"{bot_id}:{chat['id']}:{message['message_id']}"
    if "edit_date" in message:
        key += f"{EDIT_SEPARATOR}{message['edit_date']}"
    return _Update(
        InboundMessage(
            channel=Channel.TELEGRAM,
            address=str(chat["id"]),
            text=text,
            provider_id=key,
            has_media=not isinstance(message.get("text"), str),
        )
    )


def _button_press(query: dict[str, Any], bot_id: str) -> _Update | None:
    chat = (query.get("message") or {}).get("chat") or {}
    if not isinstance(query.get("id"), str) or "id" not in chat:
        raise ValueError("callback_query without id or chat")
    if chat.get("type", "private") != "private":
        return None
    data = query.get("data")
    return _Update(
        InboundMessage(
            channel=Channel.TELEGRAM,
            address=str(chat["id"]),
            text=data if isinstance(data, str) else "",
            provider_id=f"{bot_id}:cb:{query['id']}",
        ),
        callback_query_id=query["id"],
    )


class TelegramInput(InputChannel):
    """Telegram's webhook: refused cheaply, verified, parsed, handed to the intake pipeline."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        return cls(process_settings())

    def get_output_channel(self) -> OutputChannel:
        """Where messages Rasa sends unprompted go (``trigger_intent``: reminders)."""
        return ConversationOutput(TelegramOutput)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
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
                    keep_recovering(on_new_message, TelegramOutput, CHANNEL_NAME, self.settings)
                )

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.config else "not configured"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive_update(request: Request) -> HTTPResponse:
            if self.config is None:
                return response.json({"error": "Telegram channel not configured"}, status=503)
            try:
                body = await read_body(request)
            except BodyTooLarge:
                return too_large()
            supplied = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(supplied.encode(), self.config.secret.encode()):
                return response.json({"error": "invalid secret token"}, status=403)
            try:
                update = parse_update(json.loads(body), bot_id(self.config))
            except ValueError:  # bad JSON (json's error is a ValueError) or not an Update
                return response.json({"error": "expected a Telegram Update"}, status=400)
            if update is None:
                return response.json({})
            if update.callback_query_id is not None:
                self.background.start(self._answer_button(update.callback_query_id))
            decision = await asyncio.to_thread(receive, update.message, self.settings)
            if decision.hand_off is not None:
                output = TelegramOutput(decision.hand_off.client_id, update.message.address)
                self.background.start(
                    process_inbound(on_new_message, decision.hand_off, output, CHANNEL_NAME)
                )
            if decision.direct_reply is not None:
                # Telegram performs a method returned in the webhook response.
                return response.json(
                    {
                        "method": "sendMessage",
                        "chat_id": update.message.address,
                        "text": decision.direct_reply,
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


def bot_id(config: TelegramSettings) -> str:
    """The bot's numeric id (its token before the colon, not a secret), or a digest of the token."""
    prefix = config.token.split(":", 1)[0]
    return prefix if prefix.isdigit() else hashlib.sha256(config.token.encode()).hexdigest()[:12]


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

    async def close(self) -> None:
        """Close the Bot API connections (the bot's httpx client)."""
        await self.bot.request.shutdown()


register_reply_format(Channel.TELEGRAM, telegram_parts)
