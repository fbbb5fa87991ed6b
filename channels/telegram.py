"""Telegram: a Rasa input channel, its output channel, and the outbox sender.

Inbound: :class:`~channels.telegram_webhook.TelegramWebhook` verifies and takes
in Telegram's ``Update``. The webhook Telegram is given is on the dashboard's
process, which does not depend on Rasa; this channel serves the same path
(``POST /webhooks/telegram/webhook``, where the message is handed to the
assistant at once) and ``POST /webhooks/telegram/wake``, where the dashboard's
process asks it to answer what it took in. Either way Telegram gets its 200
at once (it retries anything else) and Rasa answers in the background.

Outbound: replies become outbox rows (split to Telegram's 4096-character
limit, buttons as an inline keyboard on the last part) and
:class:`TelegramSender` sends them with python-telegram-bot. Text is sent
without a parse mode, so nothing anyone types is ever read as markup.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.intake import register_reply_format
from bot.outbox import Button, Outgoing, SendError
from bot.settings import Settings, TelegramSettings, process_settings
from bot.storage.enums import Channel
from channels.formatting import split_text
from channels.outbox_output import (
    ConversationOutput,
    OutboxOutput,
    Part,
    answer_after_webhook,
    keep_recovering,
)
from channels.telegram_webhook import (
    SECRET_HEADER,
    TelegramAnswer,
    TelegramRequest,
    TelegramWebhook,
    telegram_bot,
)
from channels.webhook import BackgroundTasks, read_body

logger = logging.getLogger(__name__)

CHANNEL_NAME = "telegram"


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
        self.webhook = TelegramWebhook(settings)
        self.background = BackgroundTasks()
        #: Set when a message was left to the recovery loop, to be answered now.
        self.wake = asyncio.Event()
        if self.config is None:
            logger.info("Telegram channel off: WISEMIND_TELEGRAM_* not set")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wisemind_telegram", __name__)
        # Its turns give their claims up as the server stops, for the next server to take.
        self.background.stop_with(webhook)

        @webhook.listener("after_server_start")
        async def recover(*_: Any) -> None:
            if self.config is not None:
                self.background.start(
                    keep_recovering(
                        on_new_message, TelegramOutput, CHANNEL_NAME, self.settings, self.wake
                    )
                )

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.config else "not configured"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive_update(request: Request) -> HTTPResponse:
            answer, decision = await self.webhook.receive_update(
                _telegram_request(request), handing_off=True
            )
            if decision is not None and decision.hand_off is not None:
                hand_off = decision.hand_off
                output = TelegramOutput(hand_off.client_id, hand_off.address)
                await answer_after_webhook(
                    self.background, on_new_message, hand_off, output, CHANNEL_NAME
                )
            if decision is not None and decision.handoff_left:
                self.wake.set()
            return _sanic_answer(answer)

        @webhook.route("/wake", methods=["POST"], stream=True)
        async def wake(request: Request) -> HTTPResponse:
            """The dashboard's process took a message in: answer it now, not at the next pass."""
            verified = await self.webhook.verified_body(_telegram_request(request))
            if isinstance(verified, TelegramAnswer):
                return _sanic_answer(verified)
            self.wake.set()
            return response.json({})

        return webhook


def _telegram_request(request: Request) -> TelegramRequest:
    return TelegramRequest(
        secret=request.headers.get(SECRET_HEADER, ""), read_body=lambda: read_body(request)
    )


def _sanic_answer(answer: TelegramAnswer) -> HTTPResponse:
    return response.json(answer.body, status=answer.status, headers=answer.headers)


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
