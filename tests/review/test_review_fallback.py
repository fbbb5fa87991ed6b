"""Review 7b: the same Twilio message at the Rasa server's webhook and at the Fallback URL.

Twilio calls the Fallback URL when the primary webhook fails: a 5xx, or no answer
within its 15 s timeout. The primary may well have stored and decided the message
by then (a slow SQLite lock, a loaded server): the fallback then sees a duplicate
``MessageSid``. Real SQLite and PostgreSQL, the real detector and pipeline, and the
real :class:`~channels.twilio_webhook.TwilioWebhook` both routes use, fed requests
signed as Twilio signs them (``tests/standins``).
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.settings import Settings, TwilioSettings
from bot.storage import session_scope
from bot.storage.models import Message
from channels.twilio_webhook import (
    FALLBACK_PATH,
    WEBHOOK_PATH,
    TwilioWebhook,
    WebhookAnswer,
    WebhookRequest,
)
from tests.standins.twilio import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    inbound_sms_params,
    signed_twilio_webhook,
)
from tests.test_intake import engine, settings  # noqa: F401  (fixtures)

PUBLIC = "https://sms.clinic.test"
FALLBACK = "https://dash.clinic.test"
STRANGER = "+15550001111"


def _signed(settings: Settings) -> Settings:  # noqa: F811
    return dataclasses.replace(
        settings,
        twilio=TwilioSettings(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, "+15005550000"),
        public_url=PUBLIC,
        public_fallback_url=FALLBACK,
    )


async def _post(webhook: TwilioWebhook, url: str, params: dict[str, str], *, primary: bool):
    body, headers = signed_twilio_webhook(url, params)

    async def read() -> bytes:
        return body

    request = WebhookRequest(
        path=urlsplit(url).path,
        query="",
        signature=headers["X-Twilio-Signature"],
        content_type=headers["Content-Type"],
        read_body=read,
    )
    answer, _ = await webhook.receive_message(request, handing_off=primary)
    return answer


async def test_a_strangers_crisis_sms_retried_at_the_fallback_still_gets_the_crisis_numbers(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
) -> None:
    """What a clinic would see: a client texting from a new phone (unknown to WiseMind) sends
    "i took all my pills, goodbye". The Rasa server stores it and decides the reply (the crisis
    numbers, only in the TwiML answer: nothing is queued for a stranger), but answers after
    Twilio's 15 s timeout, so Twilio discards that answer and calls the Fallback URL with the
    same MessageSid. The fallback sees a duplicate and answers an empty <Response/>: the
    person gets no reply at all, not even 988, although both routes worked."""
    settings = _signed(settings)
    params = inbound_sms_params(STRANGER, "+15005550000", "i took all my pills, goodbye")
    primary = TwilioWebhook(settings, PUBLIC, engine)
    fallback = TwilioWebhook(settings, FALLBACK, engine)
    first: WebhookAnswer = await _post(primary, PUBLIC + WEBHOOK_PATH, params, primary=True)
    assert first.status == 200 and "988" in first.body  # decided, but Twilio stopped waiting
    again = await _post(fallback, FALLBACK + FALLBACK_PATH, params, primary=False)
    with session_scope(engine) as session:
        stored = session.execute(
            select(func.count()).where(Message.direction == "inbound")
        ).scalar_one()
    assert stored == 1  # stored once: the de-duplication itself is sound
    assert again.status == 200
    assert "988" in again.body, again.body
