"""SMS through Twilio: a Rasa input channel, its output channel, and the outbox sender.

Inbound: ``POST /webhooks/twilio_sms/webhook`` (Twilio's form-encoded message
webhook) and ``POST /webhooks/twilio_sms/status`` (delivery status callbacks).
Both are verified with ``X-Twilio-Signature`` against ``WISEMIND_PUBLIC_URL``;
a forged request gets 403 and nothing is stored. A message is stored (once
per ``MessageSid``) before it is processed, Twilio gets its answer at once,
and Rasa processes the message in the background.

Before Rasa sees anything, the carrier-compliance keywords are handled here
(STOP and friends opt out, START opts back in, HELP and INFO get the clinic's
contact and the crisis numbers), and ``JOIN <code>`` links a phone to a client.

Outbound: replies become outbox rows (split at sentence boundaries to fit SMS
segments, buttons as numbered choices); :class:`TwilioSender` sends them
through Twilio's REST API with the official client, asynchronously.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client as TwilioClient

from bot import clinic, message_log
from bot.gateway import (
    ENROLMENT_FAILED_REPLY,
    UNKNOWN_SENDER_REPLY,
    Inbound,
    accept_inbound,
    accept_staff_message,
    with_crisis_contacts,
)
from bot.outbox import Button, Outgoing, SendError, chosen_payload, latest_choices
from bot.settings import Settings, TwilioSettings, load_settings
from bot.storage import session_scope
from bot.storage.enums import Channel, MessageStatus
from bot.storage.models import Client, utcnow
from channels.formatting import split_text
from channels.outbox_output import (
    BackgroundTasks,
    ConversationOutput,
    OutboxOutput,
    Part,
    process_inbound,
    recover_unprocessed,
)
from channels.sms_segments import segment_count

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

# Carrier-compliance keywords (CTIA; the ones Twilio itself recognises), exact whole messages.
OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
JOIN_KEYWORD = "JOIN"

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

OPTED_OUT_REPLY = (
    "You're unsubscribed from WiseMind and won't get more messages. Reply START to "
    "resubscribe. If you need to talk to someone, call or text {crisis_line}; in an "
    "emergency call {emergency}."
)
OPTED_IN_REPLY = "Welcome back, you're subscribed to WiseMind again. Text MENU for what I can do."
HELP_REPLY = (
    "WiseMind, the DBT skills coach of {clinic}.{contact} Text MENU for what I can do, "
    "STOP to unsubscribe. Not an emergency service: in danger call {emergency}; to talk "
    "to someone now call or text {crisis_line}."
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

    def parts(self, text: str, buttons: Sequence[Button]) -> list[Part]:
        return sms_parts(text, buttons)

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


@dataclass(frozen=True)
class _Triage:
    """What the webhook does with an inbound SMS before (or instead of) Rasa."""

    inbound: Inbound | None = None
    text: str = ""
    #: Sent back in the webhook's TwiML response, nothing stored (unknown senders).
    twiml_reply: str | None = None


class TwilioInput(InputChannel):
    """Twilio's SMS webhook, verified, stored first, processed in the background."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioInput:
        return cls(load_settings())

    def get_output_channel(self) -> OutputChannel:
        """Where messages Rasa sends unprompted go (``trigger_intent``: reminders)."""
        return ConversationOutput(SmsOutput)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.config = settings.twilio
        self.validator = RequestValidator(self.config.auth_token) if self.config else None
        self.background = BackgroundTasks()
        if self.config is None:
            logger.info("SMS channel off: WISEMIND_TWILIO_* not set")

    def _signed(self, request: Request, form: _Form) -> bool:
        """Whether Twilio signed this request (URL as Twilio called it, and the form)."""
        assert self.validator is not None
        base = self.settings.public_url or f"{request.scheme}://{request.host}"
        url = base + request.path + (f"?{request.query_string}" if request.query_string else "")
        signature = request.headers.get("X-Twilio-Signature", "")
        return bool(signature) and self.validator.validate(url, form, signature)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wisemind_twilio_sms", __name__)

        @webhook.listener("after_server_start")
        async def recover(*_: Any) -> None:
            if self.config is not None:
                self.background.start(recover_unprocessed(on_new_message, SmsOutput, CHANNEL_NAME))

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.config else "not configured"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            form = _Form.parse(request)
            refused = self._refuse(request, form, required=("From", "MessageSid"))
            if refused is not None:
                return refused
            sender = form.first("From").strip()
            try:
                triage = await asyncio.to_thread(
                    _triage, self.settings, sender, form.first("Body"), form.first("MessageSid")
                )
            except clinic.ClinicError:
                return response.json({"error": "malformed sender"}, status=400)
            if triage.inbound is not None and triage.inbound.conversation_id is not None:
                output = SmsOutput(triage.inbound.client_id, clinic.normalise_phone(sender))
                self.background.start(
                    process_inbound(
                        on_new_message, triage.inbound, triage.text, output, CHANNEL_NAME
                    )
                )
            return _twiml(triage.twiml_reply)

        @webhook.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            form = _Form.parse(request)
            refused = self._refuse(request, form, required=("MessageSid", "MessageStatus"))
            if refused is not None:
                return refused
            await asyncio.to_thread(
                _record_delivery,
                form.first("MessageSid"),
                form.first("MessageStatus"),
                form.first("ErrorCode") or None,
            )
            return response.empty()

        return webhook

    def _refuse(
        self, request: Request, form: _Form, required: Sequence[str]
    ) -> HTTPResponse | None:
        """The response for a request we will not process, or None if it is good."""
        if self.config is None:
            return response.json({"error": "SMS channel not configured"}, status=503)
        if "application/x-www-form-urlencoded" not in request.content_type:
            return response.json({"error": "expected a form-encoded Twilio webhook"}, status=400)
        if not self._signed(request, form):
            return response.json({"error": "invalid Twilio signature"}, status=403)
        if any(not form.first(field) for field in required):
            return response.json({"error": f"missing {', '.join(required)}"}, status=400)
        return None


class _Form(dict[str, list[str]]):
    """A webhook's form fields, blank ones included: Twilio signs those too.

    (Sanic's ``request.form`` drops blank values, which breaks the signature.)
    ``getall`` is what twilio's ``RequestValidator`` looks for on a multi-dict.
    """

    @classmethod
    def parse(cls, request: Request) -> _Form:
        body = request.body.decode("utf-8", errors="replace")
        return cls(parse_qs(body, keep_blank_values=True))

    def getall(self, name: str) -> list[str]:
        return self[name]

    def first(self, name: str) -> str:
        return self.get(name, [""])[0]


def _twiml(reply: str | None) -> HTTPResponse:
    """An empty TwiML answer, or one that sends ``reply`` (used for unknown senders only)."""
    message = f"<Message>{escape(reply)}</Message>" if reply else ""
    return response.text(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>',
        content_type="text/xml",
    )


def _triage(settings: Settings, sender: str, body: str, message_sid: str | None) -> _Triage:
    """Keywords, enrolment, and the message log, in one transaction."""
    phone = clinic.normalise_phone(sender)
    keyword = body.strip().upper()
    with session_scope() as session:
        if accept_staff_message(
            session, channel=Channel.SMS, address=phone, body=body,
            provider_id=message_sid, now=utcnow(),
        ):  # fmt: skip
            return _Triage()
        client = clinic.client_for_identity(session, Channel.SMS, phone)
        if client is None:
            words = keyword.split()
            if len(words) == 2 and words[0] == JOIN_KEYWORD:
                return _join(session, words[1], phone, body, message_sid)
            return _Triage(twiml_reply=with_crisis_contacts(UNKNOWN_SENDER_REPLY))
        inbound = accept_inbound(
            session, channel=Channel.SMS, address=phone, body=body, provider_id=message_sid
        )
        if inbound.duplicate:
            return _Triage()
        if inbound.reply is not None:  # an empty body, e.g. an MMS with only a picture
            if client.opted_out_at is None:
                SmsOutput(client.id, phone).enqueue_in(session, inbound.reply)
            return _Triage()
        compliance = _compliance_reply(settings, client, keyword)
        if compliance is not None:
            _mark_processed(session, inbound)
            if compliance:
                # Sent even to a client who just opted out: the one confirmation.
                SmsOutput(client.id, phone).enqueue_in(session, compliance)
            return _Triage()
        if client.opted_out_at is not None:
            # Stored (and screened for risk), not answered: they asked for no messages.
            return _Triage()
        for text in inbound.crisis_reply:
            SmsOutput(client.id, phone).enqueue_in(session, text)
        choice = chosen_payload(body, latest_choices(session, client.id, Channel.SMS))
        return _Triage(inbound=inbound, text=choice or body)


def _join(session: Session, code: str, phone: str, body: str, message_sid: str | None) -> _Triage:
    try:
        client = clinic.redeem_enrolment_code(session, code, channel=Channel.SMS, address=phone)
    except clinic.ClinicError:
        return _Triage(twiml_reply=ENROLMENT_FAILED_REPLY)
    inbound = accept_inbound(
        session, channel=Channel.SMS, address=phone, body=body, provider_id=message_sid
    )
    logger.info("phone linked to client %s by enrolment code", client.code)
    # Greeting the bot starts first contact (the introduction and consent).
    return _Triage(inbound=inbound, text="/greet")


def _compliance_reply(settings: Settings, client: Client, keyword: str) -> str | None:
    """The reply to a compliance keyword ("" for none), or None if it is not one."""
    if keyword in OPT_OUT_KEYWORDS:
        if client.opted_out_at is not None:
            return ""  # one confirmation only
        client.opted_out_at = utcnow()
        return with_crisis_contacts(OPTED_OUT_REPLY, client.locale)
    if keyword in OPT_IN_KEYWORDS and client.opted_out_at is not None:
        client.opted_out_at = None
        return OPTED_IN_REPLY
    if keyword in HELP_KEYWORDS:
        contact = f" Contact: {settings.clinic_contact}." if settings.clinic_contact else ""
        return with_crisis_contacts(
            HELP_REPLY.replace("{clinic}", settings.clinic_name).replace("{contact}", contact),
            client.locale,
        )
    return None


def _mark_processed(session: Session, inbound: Inbound) -> None:
    if inbound.message_id is not None:
        message_log.mark_status(session, inbound.message_id, MessageStatus.PROCESSED)


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
    with session_scope() as session:
        message = message_log.outbound_by_provider_id(session, Channel.SMS, message_sid)
        if message is None:
            return
        if message.status == MessageStatus.DELIVERED and status == MessageStatus.SENT:
            return  # callbacks may arrive out of order
        error = f"twilio-{error_code}" if error_code else None
        message_log.mark_status(session, message.id, status, error=error)


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
