"""Local stand-ins for the messaging providers WiseMind talks to: Twilio and Telegram.

Tests cannot reach the internet, so our connectors are pointed at these servers
(``WISEMIND_TWILIO_API_URL``, ``WISEMIND_TELEGRAM_API_URL``). They speak each
provider's real request and response formats, which ``tests/test_standins.py``
checks with the official client libraries.
"""

from tests.standins.base import (
    DEFAULT_WAIT_TIMEOUT,
    Failure,
    FailureSchedule,
    RecordedRequest,
    StandinServer,
    UploadedFile,
)
from tests.standins.telegram import (
    BOT_USERNAME,
    DEFAULT_TOKEN,
    CallbackAnswer,
    SentTelegram,
    TelegramStandin,
    WebhookConfig,
    callback_update,
    signed_telegram_headers,
    text_update,
)
from tests.standins.twilio import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    SentSms,
    TwilioStandin,
    inbound_sms_params,
    signed_twilio_webhook,
    sms_segments,
)

__all__ = [
    "BOT_USERNAME",
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "DEFAULT_TOKEN",
    "DEFAULT_WAIT_TIMEOUT",
    "CallbackAnswer",
    "Failure",
    "FailureSchedule",
    "RecordedRequest",
    "SentSms",
    "SentTelegram",
    "StandinServer",
    "TelegramStandin",
    "TwilioStandin",
    "UploadedFile",
    "WebhookConfig",
    "callback_update",
    "inbound_sms_params",
    "signed_telegram_headers",
    "signed_twilio_webhook",
    "sms_segments",
    "text_update",
]
