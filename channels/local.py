"""The local chat channel: Rasa's REST format behind a token and the message log.

Used by ``wisemind chat``, the tests and the benchmarks. Rasa's own ``rest``
channel trusts whoever reaches the port and logs message text on errors; this
one requires ``Authorization: Bearer <WISEMIND_API_TOKEN>``, treats ``sender``
as a client code, and stores every message in WiseMind's message log.

Request: ``POST /webhooks/local/webhook`` with JSON ``{"sender": "<client
code>", "message": "<text>"}``. Response: Rasa's REST reply list,
``[{"recipient_id": ..., "text": ...}, ...]``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import message_log
from bot.gateway import (
    LOCAL_CHANNEL,
    MAX_INBOUND_CHARS,
    PROCESSING_ERROR_REPLY,
    Inbound,
    accept_inbound,
    with_crisis_contacts,
)
from bot.settings import load_settings
from bot.storage import session_scope
from channels.outbox_output import hand_to_rasa

logger = logging.getLogger(__name__)


class LocalInput(InputChannel):
    """Token-protected REST channel for terminal chat and tests."""

    @classmethod
    def name(cls) -> str:
        return LOCAL_CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> LocalInput:
        return cls(api_token=load_settings().api_token)

    def __init__(self, api_token: str) -> None:
        if not api_token:
            raise ValueError("WISEMIND_API_TOKEN is not set: the local channel needs it")
        self.api_token = api_token

    def _authorised(self, request: Request) -> bool:
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(supplied.encode(), self.api_token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wisemind_local_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "missing or wrong API token"}, status=401)
            try:
                payload = request.json
            except Exception:  # sanic raises its own InvalidUsage for bad JSON
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
            inbound = await asyncio.to_thread(_accept, sender, text)
            if inbound.reply is not None or inbound.duplicate:
                replies = [{"recipient_id": sender, "text": inbound.reply}] if inbound.reply else []
                return response.json(replies)
            if inbound.taken_over:  # a therapist is writing: only the crisis reply, no bot
                crisis = [{"recipient_id": sender, "text": text} for text in inbound.crisis_reply]
                await asyncio.to_thread(_record_replies, inbound, sender, crisis)
                return response.json(crisis)
            collector = CollectingOutputChannel()
            collector.messages += [
                {"recipient_id": sender, "text": text} for text in inbound.crisis_reply
            ]
            if not await hand_to_rasa(on_new_message, inbound, text, collector, LOCAL_CHANNEL):
                collector.messages.append(
                    {"recipient_id": sender, "text": with_crisis_contacts(PROCESSING_ERROR_REPLY)}
                )
            await asyncio.to_thread(_record_replies, inbound, sender, collector.messages)
            return response.json(collector.messages)

        return webhook


def _accept(sender: str, text: str) -> Inbound:
    with session_scope() as session:
        return accept_inbound(session, channel=LOCAL_CHANNEL, address=sender, body=text)


def _record_replies(inbound: Inbound, sender: str, replies: list[dict[str, Any]]) -> None:
    """The HTTP response is the delivery, so replies are logged as sent."""
    with session_scope() as session:
        for reply in replies:
            message_log.record_outbound(
                session,
                client_id=inbound.client_id,
                channel=LOCAL_CHANNEL,
                address=sender,
                body=reply.get("text") or "",
                status="sent",
            )
