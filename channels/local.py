"""The local chat channel: Rasa's REST format behind a token and the message log.

Used by ``wisemind chat``, the tests and the benchmarks. Rasa's own ``rest``
channel trusts whoever reaches the port and logs message text on errors; this
one requires ``Authorization: Bearer <WISEMIND_API_TOKEN>``, treats ``sender``
as a client code, and goes through the same intake pipeline as SMS and
Telegram (stored, screened, then answered).

Request: ``POST /webhooks/local/webhook`` with JSON ``{"sender": "<client
code>", "message": "<text>"}``. Response: Rasa's REST reply list,
``[{"recipient_id": ..., "text": ...}, ...]``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import message_log
from bot.crisis_messages import language_of, with_numbers
from bot.intake import (
    MAX_INBOUND_CHARS,
    PROCESSING_ERROR_REPLY,
    InboundMessage,
    receive,
)
from bot.settings import Settings, process_settings
from bot.storage import session_scope
from bot.storage.enums import Channel, MessageStatus
from channels.outbox_output import hand_to_rasa
from channels.webhook import BodyTooLarge, read_body, too_large

logger = logging.getLogger(__name__)

LOCAL_CHANNEL = Channel.LOCAL


class LocalInput(InputChannel):
    """Token-protected REST channel for terminal chat and tests."""

    @classmethod
    def name(cls) -> str:
        return LOCAL_CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> LocalInput:
        return cls(process_settings())

    def __init__(self, settings: Settings) -> None:
        if not settings.api_token:
            raise ValueError("WISEMIND_API_TOKEN is not set: the local channel needs it")
        self.settings = settings
        self.api_token = settings.api_token

    def _authorised(self, request: Request) -> bool:
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(supplied.encode(), self.api_token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wisemind_local_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive_local(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "missing or wrong API token"}, status=401)
            try:
                body = await read_body(request)
            except BodyTooLarge:
                return too_large()
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            sender = payload.get("sender") if isinstance(payload, dict) else None
            text = payload.get("message") if isinstance(payload, dict) else None
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json(
                    {"error": 'expected JSON {"sender": "<client code>", "message": "<text>"}'},
                    status=400,
                )
            if len(text) > MAX_INBOUND_CHARS:
                return response.json(
                    {"error": f"message longer than {MAX_INBOUND_CHARS} characters"}, status=413
                )
            decision = await asyncio.to_thread(
                receive, InboundMessage(LOCAL_CHANNEL, sender, text), self.settings
            )
            if decision.direct_reply is not None:
                return response.json([{"recipient_id": sender, "text": decision.direct_reply}])
            collector = CollectingOutputChannel()
            collector.messages += [
                {"recipient_id": sender, "text": reply} for reply in decision.replies
            ]
            answered = (
                await hand_to_rasa(on_new_message, decision.hand_off, collector, LOCAL_CHANNEL)
                if decision.hand_off is not None
                else not decision.deferred
            )
            if not answered:
                # Deferred before a hand-off was made: the words alone tell the language.
                language = (
                    decision.hand_off.language if decision.hand_off else language_of(text, None)
                )
                apology = with_numbers(PROCESSING_ERROR_REPLY, language)
                collector.messages.append({"recipient_id": sender, "text": apology})
            if decision.client_id is not None:
                await asyncio.to_thread(
                    _record_replies, decision.client_id, sender, collector.messages
                )
            return response.json(collector.messages)

        return webhook


def _record_replies(client_id: int, sender: str, replies: list[dict[str, Any]]) -> None:
    """The HTTP response is the delivery, so replies are logged as sent."""
    with session_scope() as session:
        for reply in replies:
            message_log.record_outbound(
                session,
                client_id=client_id,
                channel=LOCAL_CHANNEL,
                address=sender,
                body=reply.get("text") or "",
                status=MessageStatus.SENT,
            )
