"""Twilio's message webhook without a web framework: verified, parsed, taken in, answered.

Two processes serve it, each with a thin route around :class:`TwilioWebhook`:

- the Rasa server's SMS channel (:mod:`channels.twilio_sms`), Twilio's
  primary webhook ``POST /webhooks/twilio_sms/webhook``, which then lets the
  assistant answer at once;
- the dashboard's process, Twilio's *Fallback URL*
  ``POST /webhooks/twilio_sms/fallback`` (:func:`fallback_route`). Twilio
  calls it when the primary fails: no answer while the Rasa server restarts
  and loads its model, a time-out, a 5xx. Twilio never retries an inbound
  SMS, so without it such a message, a crisis included, would be lost. Here
  it goes through the same intake (stored, screened, the crisis reply queued
  and the on-call therapist paged); the assistant's turn is left to the Rasa
  server, which takes it up as soon as it is back
  (:func:`bot.intake.claim_handoffs`). Telegram's webhook is served there
  too, for the same reason (:mod:`channels.telegram_webhook`).

Each request is checked cheapest first: configured, body size, form encoding,
then the ``X-Twilio-Signature`` over the public URL Twilio was given (never
the request's own host, which behind the clinic's HTTPS proxy is not the URL
Twilio signed). Only a signed request's fields are looked at.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from bot import clinic
from bot.intake import Decision, InboundMessage, receive
from bot.settings import Settings
from bot.storage.enums import Channel
from channels.webhook import Refusal, configured_body, read_limited

SIGNATURE_HEADER = "X-Twilio-Signature"
#: Where Twilio posts inbound messages, on the Rasa server and on the dashboard's process.
WEBHOOK_PATH = "/webhooks/twilio_sms/webhook"
FALLBACK_PATH = "/webhooks/twilio_sms/fallback"
STATUS_PATH = "/webhooks/twilio_sms/status"
#: The fields every inbound-message webhook has.
MESSAGE_FIELDS = ("From", "MessageSid")


@dataclass(frozen=True)
class WebhookRequest:
    """A request to a Twilio webhook, as any web framework hands it over."""

    path: str
    query: str
    signature: str
    content_type: str
    #: Reads the body; raises :class:`~channels.webhook.BodyTooLarge` past the limit.
    read_body: Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class WebhookAnswer:
    """What Twilio is answered, for the serving framework to send."""

    status: int
    body: str
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str, **headers: str) -> WebhookAnswer:
        return cls(status, json.dumps({"error": message}), headers=headers)

    @classmethod
    def twiml(cls, reply: str | None) -> WebhookAnswer:
        """An empty TwiML answer, or one sending ``reply`` (strangers only: nothing is queued)."""
        message = f"<Message>{escape(reply)}</Message>" if reply else ""
        body = f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>'
        return cls(200, body, content_type="text/xml")


class TwilioForm(dict[str, list[str]]):
    """A webhook's form fields, blank ones included: Twilio signs those too.

    (Sanic's ``request.form`` drops blank values, which breaks the signature.)
    ``getall`` is what twilio's ``RequestValidator`` looks for on a multi-dict.
    """

    @classmethod
    def parse(cls, body: bytes) -> TwilioForm:
        return cls(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))

    def getall(self, name: str) -> list[str]:
        return self[name]

    def first(self, name: str) -> str:
        return self.get(name, [""])[0]


def sms_message(form: TwilioForm) -> InboundMessage:
    """The neutral inbound message of a Twilio webhook (SMS or MMS); ClinicError for a bad From."""
    num_media = form.first("NumMedia")
    return InboundMessage(
        channel=Channel.SMS,
        address=clinic.normalise_phone(form.first("From").strip()),
        text=form.first("Body"),
        provider_id=form.first("MessageSid"),
        has_media=num_media.isdigit() and int(num_media) > 0,
    )


class TwilioWebhook:
    """Twilio's webhooks at ``public_base`` (the URL Twilio calls, less the path).

    Args:
        settings: the process's settings (None Twilio configuration: every request is refused).
        public_base: ``WISEMIND_PUBLIC_URL`` on the Rasa server, the fallback's base elsewhere.
        engine: the database (default: the configured one).
    """

    def __init__(self, settings: Settings, public_base: str, engine: Engine | None = None) -> None:
        self.settings = settings
        self.public_base = public_base
        self.engine = engine
        self.validator = RequestValidator(settings.twilio.auth_token) if settings.twilio else None

    async def verified_form(
        self, request: WebhookRequest, required: Sequence[str]
    ) -> TwilioForm | WebhookAnswer:
        """The form of a request Twilio signed, or the answer refusing it."""
        body = await configured_body(self.validator is not None, "SMS", request.read_body)
        if isinstance(body, Refusal):
            return WebhookAnswer.error(body.status, body.message, **body.headers)
        assert self.validator is not None  # configured_body refuses an unconfigured channel
        if "application/x-www-form-urlencoded" not in request.content_type:
            return WebhookAnswer.error(400, "expected a form-encoded Twilio webhook")
        form = TwilioForm.parse(body)
        url = self.public_base + request.path + (f"?{request.query}" if request.query else "")
        if not (request.signature and self.validator.validate(url, form, request.signature)):
            return WebhookAnswer.error(403, "invalid Twilio signature")
        if any(not form.first(name) for name in required):
            return WebhookAnswer.error(400, f"missing {', '.join(required)}")
        return form

    async def receive_message(
        self, request: WebhookRequest, *, handing_off: bool
    ) -> tuple[WebhookAnswer, Decision | None]:
        """Take in one inbound message: the TwiML answer, and what the pipeline decided.

        ``handing_off``: the caller hands the message to the assistant now (the
        Rasa server); otherwise it waits for a Rasa server to take it up.
        """
        verified = await self.verified_form(request, MESSAGE_FIELDS)
        if isinstance(verified, WebhookAnswer):
            return verified, None
        try:
            message = sms_message(verified)
        except clinic.ClinicError:
            return WebhookAnswer.error(400, "malformed sender"), None
        decision = await asyncio.to_thread(
            receive, message, self.settings, engine=self.engine, handing_off=handing_off
        )
        return WebhookAnswer.twiml(decision.direct_reply), decision


def fallback_route(settings: Settings, engine: Engine | None = None) -> Route:
    """Twilio's Fallback URL as a Starlette route, for the dashboard's process."""
    webhook = TwilioWebhook(settings, settings.fallback_base_url, engine)

    async def fallback(request: Request) -> Response:
        answer, _ = await webhook.receive_message(
            WebhookRequest(
                path=request.url.path,
                query=request.url.query,
                signature=request.headers.get(SIGNATURE_HEADER, ""),
                content_type=request.headers.get("content-type", ""),
                read_body=lambda: read_limited(
                    request.headers.get("content-length"), request.stream()
                ),
            ),
            handing_off=False,
        )
        return Response(
            answer.body, answer.status, headers=dict(answer.headers), media_type=answer.content_type
        )

    return Route(FALLBACK_PATH, fallback, methods=["POST"])
