"""SMS through Twilio: a Rasa input channel, its output channel, and the outbox sender.

Inbound: ``POST /webhooks/twilio_sms/webhook`` (Twilio's form-encoded message
webhook) and ``POST /webhooks/twilio_sms/status`` (delivery status callbacks),
both verified by :class:`~channels.twilio_webhook.TwilioWebhook` against
``WISEMIND_PUBLIC_URL`` (a forged request gets 403 and nothing is stored). A
message goes through the intake pipeline, which decides everything (keywords,
enrolment, screening, replies); the webhook renders its decision as TwiML, and
the assistant runs in the background. The same intake also answers at Twilio's
Fallback URL, on the dashboard's process, while this server is down.

Outbound: replies become outbox rows (split at sentence boundaries to fit SMS
segments, buttons as numbered choices); :class:`TwilioSender` sends them
through Twilio's REST API with the official client, asynchronously.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client as TwilioClient

from bot import message_log
from bot.intake import register_reply_format
from bot.outbox import Button, Outgoing, SendError
from bot.settings import Settings, TwilioSettings, process_settings
from bot.storage import session_scope
from bot.storage.enums import Channel, MessageStatus
from bot.storage.models import Client
from channels.formatting import split_text
from channels.outbox_output import (
    ConversationOutput,
    OutboxOutput,
    Part,
    answer_after_webhook,
    keep_recovering,
)
from channels.sms_segments import segment_count
from channels.twilio_webhook import SIGNATURE_HEADER, TwilioWebhook, WebhookAnswer, WebhookRequest
from channels.webhook import BackgroundTasks, read_body

logger = logging.getLogger(__name__)
# The twilio library logs every request (URL, headers) at INFO: noise, and no use to us.
logging.getLogger("twilio").setLevel(logging.WARNING)

CHANNEL_NAME = "twilio_sms"
#: One SMS (as the phone shows it) is at most this many segments; longer text is split.
MAX_SEGMENTS_PER_SMS = 3
#: A reply never costs more than this many segments; the rest is cut with an ellipsis.
MAX_SEGMENTS_PER_REPLY = 10
SEND_TIMEOUT_SECONDS = 10
#: Marks a reply cut at the cap; plain dots, since "…" would make the SMS UCS-2.
TRUNCATION_MARK = "..."

#: Twilio error codes after which sending again can never work.
PERMANENT_ERRORS = frozenset(
    {
        21211,  # invalid 'To' number
        21408,  # region not enabled
        21610,  # recipient replied STOP
        21612,  # unreachable 'To'
        21614,  # 'To' is not a mobile number
        30004,  # message blocked
        30005,  # unknown destination
        30006,  # landline or unreachable carrier
    }
)


def sms_parts(text: str, buttons: Sequence[Button]) -> list[Part]:
    """Numbered choices appended; split into SMS of a few segments; capped per reply."""
    if buttons:
        choices = "\n".join(f"{n}. {button.title}" for n, button in enumerate(buttons, 1))
        text = f"{text}\n{choices}"
    parts = split_text(text, lambda part: segment_count(part) <= MAX_SEGMENTS_PER_SMS)
    kept: list[str] = []
    budget = MAX_SEGMENTS_PER_REPLY
    for part in parts:
        cost = segment_count(part)
        if cost > budget:  # the cap: end on a visibly cut part
            if budget:
                kept.append(_cut_to_fit(part, budget))
            else:
                kept[-1] = _cut_to_fit(kept[-1], segment_count(kept[-1]))
            break
        kept.append(part)
        budget -= cost
    # The choices travel with the last part, which is where they are listed.
    return [(part, buttons if i == len(kept) - 1 else ()) for i, part in enumerate(kept)]


def _cut_to_fit(part: str, segments: int) -> str:
    """``part`` shortened word by word until it and a GSM-7 ellipsis fit ``segments``."""
    words = part.split(" ")
    while len(words) > 1 and segment_count(" ".join(words) + TRUNCATION_MARK) > segments:
        words.pop()
    return " ".join(words).rstrip(" .") + TRUNCATION_MARK


class SmsOutput(OutboxOutput):
    """The bot's replies to one client by SMS, stored for the outbox."""

    channel = Channel.SMS

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    async def store(self, text: str, buttons: Sequence[Button]) -> None:
        if await asyncio.to_thread(_opted_out, self.client_id):
            logger.info("reply to opted-out client %s not sent", self.client_id)
            return
        await super().store(text, buttons)


def _opted_out(client_id: int | None) -> bool:
    if client_id is None:
        return False
    with session_scope() as session:
        client = session.get(Client, client_id)
        return client is not None and client.opted_out_at is not None


class TwilioInput(InputChannel):
    """Twilio's SMS webhooks on the Rasa server: a thin route around :class:`TwilioWebhook`."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioInput:
        return cls(process_settings())

    def get_output_channel(self) -> OutputChannel:
        """Where messages Rasa sends unprompted go (``trigger_intent``: reminders)."""
        return ConversationOutput(SmsOutput)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.config = settings.twilio
        self.webhook = TwilioWebhook(settings, settings.public_url)
        self.background = BackgroundTasks()
        #: Set when a message was left to the recovery loop, to be answered now.
        self.wake = asyncio.Event()
        if self.config is None:
            logger.info("SMS channel off: WISEMIND_TWILIO_* not set")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wisemind_twilio_sms", __name__)
        # Its turns give their claims up as the server stops, for the next server to take.
        self.background.stop_with(webhook)

        @webhook.listener("after_server_start")
        async def recover(*_: Any) -> None:
            if self.config is not None:
                self.background.start(
                    keep_recovering(
                        on_new_message, SmsOutput, CHANNEL_NAME, self.settings, self.wake
                    )
                )

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.config else "not configured"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive_sms(request: Request) -> HTTPResponse:
            answer, decision = await self.webhook.receive_message(
                _webhook_request(request), handing_off=True
            )
            if decision is not None and decision.hand_off is not None:
                hand_off = decision.hand_off
                output = SmsOutput(hand_off.client_id, hand_off.address)
                await answer_after_webhook(
                    self.background, on_new_message, hand_off, output, CHANNEL_NAME
                )
            if decision is not None and decision.handoff_left:
                self.wake.set()  # it waits behind an older message: answer both now, in order
            return _sanic_answer(answer)

        @webhook.route("/status", methods=["POST"], stream=True)
        async def status(request: Request) -> HTTPResponse:
            verified = await self.webhook.verified_form(
                _webhook_request(request), ("MessageSid", "MessageStatus")
            )
            if isinstance(verified, WebhookAnswer):
                return _sanic_answer(verified)
            await asyncio.to_thread(
                _record_delivery,
                verified.first("MessageSid"),
                verified.first("MessageStatus"),
                verified.first("ErrorCode") or None,
            )
            return response.empty()

        return webhook


def _webhook_request(request: Request) -> WebhookRequest:
    return WebhookRequest(
        path=request.path,
        query=request.query_string,
        signature=request.headers.get(SIGNATURE_HEADER, ""),
        content_type=request.content_type,
        read_body=lambda: read_body(request),
    )


def _sanic_answer(answer: WebhookAnswer) -> HTTPResponse:
    return response.text(
        answer.body,
        status=answer.status,
        headers=dict(answer.headers),
        content_type=answer.content_type,
    )


#: Twilio's delivery statuses, as the message log records them.
_DELIVERY_STATUS = {
    "queued": MessageStatus.SENT,
    "accepted": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERABLE,
    "failed": MessageStatus.UNDELIVERABLE,
}


def _record_delivery(message_sid: str, twilio_status: str, error_code: str | None) -> None:
    status = _DELIVERY_STATUS.get(twilio_status)
    if status is None:
        return
    error = f"twilio-{error_code}" if error_code else None
    with session_scope() as session:
        message_log.record_delivery(session, Channel.SMS, message_sid, status, error=error)


class TwilioSender:
    """Sends outbox messages through Twilio's Messages API (async, never blocking)."""

    channel = Channel.SMS

    def __init__(self, config: TwilioSettings, public_url: str) -> None:
        self.config = config
        self.client = TwilioClient(
            config.account_sid,
            config.auth_token,
            http_client=AsyncTwilioHttpClient(),
        )
        # Tests and private gateways point this elsewhere; Twilio's paths are kept.
        self.client.api.base_url = config.api_url.rstrip("/")
        self.status_callback = (
            f"{public_url}/webhooks/{CHANNEL_NAME}/status" if public_url else None
        )

    async def send(self, message: Outgoing) -> str:
        options: dict[str, Any] = {
            "to": message.address, "from_": self.config.from_number, "body": message.body,
        }  # fmt: skip
        if self.status_callback:
            options["status_callback"] = self.status_callback
        try:
            # twilio's async client ignores its own timeout setting: enforce one here.
            sent = await asyncio.wait_for(
                self.client.messages.create_async(**options), SEND_TIMEOUT_SECONDS
            )
        except TwilioRestException as exc:
            code = f"twilio-{exc.code or exc.status}"
            transient = exc.status == 429 or exc.status >= 500
            permanent = exc.code in PERMANENT_ERRORS or not transient
            raise SendError(code, transient=not permanent) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise SendError(f"network-{type(exc).__name__}", transient=True) from None
        return str(sent.sid)

    async def close(self) -> None:
        """Close the aiohttp session of twilio's async client (else it warns at exit)."""
        await self.client.http_client.close()


register_reply_format(Channel.SMS, sms_parts)
