"""Telegram's webhook without a web framework: verified, parsed, taken in, answered.

Two processes serve ``POST /webhooks/telegram/webhook``, each with a thin
route around :class:`TelegramWebhook`:

- the dashboard's process (:func:`dashboard_routes`): the webhook
  ``wisemind channels setup`` registers with Telegram. Telegram has no
  fallback URL, so its one webhook is served where nothing depends on Rasa:
  a message sent while the Rasa server restarts and loads its model is
  stored, screened and paged at once, like an SMS at Twilio's Fallback URL.
  The assistant's turn is left to the Rasa server (:func:`bot.intake.claim_handoffs`),
  which this process wakes (``POST /webhooks/telegram/wake`` there) so that
  it answers at once; a Rasa server that is down takes the message up as
  soon as it is back.
- the Rasa server's Telegram channel (:mod:`channels.telegram`), which hands
  the message to the assistant itself (the SPEC's webhook on the Rasa
  server, which tests and benchmarks post to), and serves the wake route.

Each request is checked cheapest first: configured, body size (over 64 kB is
refused before it is read), then the ``X-Telegram-Bot-Api-Secret-Token``
header, compared in constant time with ``WISEMIND_TELEGRAM_SECRET`` (set when
the webhook is registered); a wrong one gets 403 with nothing stored. Every
field a person writes becomes the text of one
:class:`~bot.intake.InboundMessage`: a message's text or a photo's caption,
edited messages and channel posts too, and a pressed button's data. Button
presses are answered (``answerCallbackQuery``).

A message is recognised by the bot, chat and message id (and edit date), not
by ``update_id``: Telegram restarts that sequence, and a new message that
reused an old number must not be taken for a retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Bot
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.intake import EDIT_SEPARATOR, Decision, InboundMessage, receive
from bot.settings import Settings, TelegramSettings
from bot.storage.enums import Channel
from channels.webhook import BackgroundTasks, Refusal, configured_body, read_limited

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Where Telegram posts updates, on the dashboard's process and on the Rasa server.
WEBHOOK_PATH = "/webhooks/telegram/webhook"
#: On the Rasa server: the dashboard's process asks it to answer what it took in.
WAKE_PATH = "/webhooks/telegram/wake"
#: How long the dashboard's process waits for the Rasa server to take a wake-up.
WAKE_TIMEOUT_SECONDS = 2.0
SEND_TIMEOUT_SECONDS = 10.0
#: Update fields that carry a message a person wrote (new or edited; chat or channel).
MESSAGE_FIELDS = ("message", "edited_message", "channel_post", "edited_channel_post")
#: Chats the bot talks in: only one-to-one chats. Never a group or a broadcast channel,
#: where others would read about someone's care (a crisis reply would be broadcast).
PERSONAL_CHATS = ("private",)


@dataclass(frozen=True)
class TelegramRequest:
    """A request to the Telegram webhook, as any web framework hands it over."""

    #: The ``X-Telegram-Bot-Api-Secret-Token`` header ("" if absent).
    secret: str
    #: Reads the body; raises :class:`~channels.webhook.BodyTooLarge` past the limit.
    read_body: Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class TelegramAnswer:
    """What Telegram is answered (JSON), for the serving framework to send."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str, **headers: str) -> TelegramAnswer:
        return cls(status, {"error": message}, headers)


@dataclass(frozen=True)
class TelegramUpdate:
    """The message or button press of a Telegram Update, as the pipeline takes it."""

    message: InboundMessage
    callback_query_id: str | None = None


def parse_update(payload: Any, bot_id: str) -> TelegramUpdate | None:
    """The message or button press in ``payload``; None for updates WiseMind ignores.

    Raises ValueError for a payload that is not a Telegram Update at all.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
        raise ValueError("not a Telegram Update")
    if isinstance(payload.get("callback_query"), dict):
        return _button_press(payload["callback_query"], bot_id)
    field_name = next((f for f in MESSAGE_FIELDS if isinstance(payload.get(f), dict)), None)
    if field_name is None:
        return None  # member updates, polls, reactions: nothing a person wrote to us
    message = payload[field_name]
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
    return TelegramUpdate(
        InboundMessage(
            channel=Channel.TELEGRAM,
            address=str(chat["id"]),
            text=text,
            provider_id=key,
            has_media=not isinstance(message.get("text"), str),
        )
    )


def _button_press(query: dict[str, Any], bot_id: str) -> TelegramUpdate | None:
    chat = (query.get("message") or {}).get("chat") or {}
    if not isinstance(query.get("id"), str) or "id" not in chat:
        raise ValueError("callback_query without id or chat")
    if chat.get("type", "private") != "private":
        return None
    data = query.get("data")
    return TelegramUpdate(
        InboundMessage(
            channel=Channel.TELEGRAM,
            address=str(chat["id"]),
            text=data if isinstance(data, str) else "",
            provider_id=f"{bot_id}:cb:{query['id']}",
        ),
        callback_query_id=query["id"],
    )


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


class TelegramWebhook:
    """Telegram's webhook: refused cheaply, verified, parsed, handed to the intake pipeline.

    Args:
        settings: the process's settings (no Telegram configuration: every request is refused).
        engine: the database (default: the configured one).
    """

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.config = settings.telegram
        self.engine = engine
        self.bot = telegram_bot(self.config) if self.config else None
        self.background = BackgroundTasks()

    async def verified_body(self, request: TelegramRequest) -> bytes | TelegramAnswer:
        """The body of a request that carries the secret, or the answer refusing it."""
        body = await configured_body(self.config is not None, "Telegram", request.read_body)
        if isinstance(body, Refusal):
            return TelegramAnswer.error(body.status, body.message, **body.headers)
        assert self.config is not None  # configured_body refuses an unconfigured channel
        if not hmac.compare_digest(request.secret.encode(), self.config.secret.encode()):
            return TelegramAnswer.error(403, "invalid secret token")
        return body

    async def receive_update(
        self, request: TelegramRequest, *, handing_off: bool
    ) -> tuple[TelegramAnswer, Decision | None]:
        """Take in one update: the answer for Telegram, and what the pipeline decided.

        ``handing_off``: the caller hands the message to the assistant now (the
        Rasa server); otherwise it is left for a Rasa server to take up. A
        database failure while storing raises: Telegram delivers the update again.
        """
        verified = await self.verified_body(request)
        if isinstance(verified, TelegramAnswer):
            return verified, None
        assert self.config is not None
        try:
            update = parse_update(json.loads(verified), bot_id(self.config))
        except ValueError:  # bad JSON (json's error is a ValueError) or not an Update
            return TelegramAnswer.error(400, "expected a Telegram Update"), None
        if update is None:
            return TelegramAnswer(200), None
        if update.callback_query_id is not None:
            self.background.start(self._answer_button(update.callback_query_id))
        decision = await asyncio.to_thread(
            receive, update.message, self.settings, engine=self.engine, handing_off=handing_off
        )
        if decision.direct_reply is None:
            return TelegramAnswer(200), decision
        # Telegram performs a method returned in the webhook response.
        reply = {
            "method": "sendMessage",
            "chat_id": update.message.address,
            "text": decision.direct_reply,
        }
        return TelegramAnswer(200, reply), decision

    async def _answer_button(self, callback_query_id: str) -> None:
        """Stop the button's spinner; a failure here only costs the client a spinner."""
        assert self.bot is not None
        try:
            await self.bot.answer_callback_query(callback_query_id)
        except TelegramError as exc:
            logger.warning("answerCallbackQuery failed: %s", type(exc).__name__)


def dashboard_routes(settings: Settings, engine: Engine | None = None) -> list[Route]:
    """Telegram's webhook as a Starlette route, for the dashboard's process."""
    webhook = TelegramWebhook(settings, engine)

    async def receive_update(request: Request) -> Response:
        answer, decision = await webhook.receive_update(
            TelegramRequest(
                secret=request.headers.get(SECRET_HEADER, ""),
                read_body=lambda: read_limited(
                    request.headers.get("content-length"), request.stream()
                ),
            ),
            handing_off=False,
        )
        waiting = decision is not None and decision.handoff_left
        return JSONResponse(
            answer.body,
            answer.status,
            headers=answer.headers,
            # After the answer: Telegram is never kept waiting for the Rasa server.
            background=BackgroundTask(wake_rasa_server, settings) if waiting else None,
        )

    return [Route(WEBHOOK_PATH, receive_update, methods=["POST"])]


async def wake_rasa_server(settings: Settings) -> None:
    """Ask the Rasa server to answer what was left to it now; if it is down, it will at start."""
    assert settings.telegram is not None
    try:
        async with httpx.AsyncClient(timeout=WAKE_TIMEOUT_SECONDS) as client:
            answered = await client.post(
                settings.rasa_url + WAKE_PATH, headers={SECRET_HEADER: settings.telegram.secret}
            )
        answered.raise_for_status()
    except httpx.HTTPError as exc:
        logger.info(
            "Rasa server not woken (%s): its recovery loop takes the message up", type(exc).__name__
        )
