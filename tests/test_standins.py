"""The Twilio and Telegram stand-ins speak the providers' real formats.

The proof is that the official client libraries (``twilio`` with its aiohttp client,
``python-telegram-bot``) work against them: they parse every success answer and turn
every failure into the exception they raise for the real API. These tests also pin
down which exception that is, so connector code can rely on it.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.standins import (
    BOT_USERNAME,
    DEFAULT_TOKEN,
    Failure,
    FailureSchedule,
    TelegramStandin,
    TwilioStandin,
    callback_update,
    inbound_sms_params,
    signed_telegram_headers,
    signed_twilio_webhook,
    sms_segments,
    text_update,
)

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fedcba9876543210" * 2
CLIENT_NUMBER = "+15005550006"
WISEMIND_NUMBER = "+15005550000"
OTHER_NUMBER = "+15005550007"
CHAT_ID = 777000
OTHER_CHAT_ID = 777001
SID_PATTERN = re.compile(r"^SM[0-9a-f]{32}$")
#: A client timeout comfortably shorter than the stand-in's delay.
SHORT_TIMEOUT = 0.2
SLOW_REPLY = 1.0


# -- fixtures -----------------------------------------------------------------------


@pytest.fixture
def twilio_standin() -> Iterator[TwilioStandin]:
    with TwilioStandin(ACCOUNT_SID, AUTH_TOKEN) as standin:
        yield standin


@pytest.fixture
async def twilio_client(twilio_standin: TwilioStandin) -> AsyncIterator[Client]:
    """The official client, configured as our SMS connector configures it."""
    http_client = AsyncTwilioHttpClient()
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http_client)
    client.api.base_url = twilio_standin.url
    yield client
    await http_client.close()


@pytest.fixture
def telegram_standin() -> Iterator[TelegramStandin]:
    with TelegramStandin(DEFAULT_TOKEN) as standin:
        yield standin


@pytest.fixture
async def bot(telegram_standin: TelegramStandin) -> AsyncIterator[telegram.Bot]:
    """An initialised PTB bot (``initialize`` calls getMe) talking to the stand-in."""
    async with telegram.Bot(DEFAULT_TOKEN, base_url=f"{telegram_standin.url}/bot") as bot:
        yield bot


class _Receiver(BaseHTTPRequestHandler):
    """Our side of a webhook: records what arrives and answers 204."""

    server: _ReceiverServer

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        length = int(self.headers.get("Content-Length") or 0)
        self.server.received.append((self.path, dict(self.headers), self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _ReceiverServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receiver)
        self.received: list[tuple[str, dict[str, str], bytes]] = []


@pytest.fixture
def webhook_receiver() -> Iterator[_ReceiverServer]:
    server = _ReceiverServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _seconds(value: int | dt.timedelta) -> float:
    """``RetryAfter.retry_after`` is an int, or a timedelta under ``PTB_TIMEDELTA``."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _raw(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    """A plain HTTP request, to check bytes and headers no library hides from us."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


# -- Twilio: success ------------------------------------------------------------------


async def test_twilio_create_returns_a_queued_message(
    twilio_standin: TwilioStandin, twilio_client: Client
) -> None:
    message = await twilio_client.messages.create_async(
        to=CLIENT_NUMBER,
        from_=WISEMIND_NUMBER,
        body="hi",
        status_callback="https://wisemind.test/webhooks/twilio/status",
    )

    assert message.sid is not None and SID_PATTERN.match(message.sid)
    assert message.status == "queued"
    assert (message.to, message.from_, message.body) == (CLIENT_NUMBER, WISEMIND_NUMBER, "hi")
    assert message.account_sid == ACCOUNT_SID
    assert message.api_version == "2010-04-01"
    assert message.direction == "outbound-api"
    assert message.num_segments == "1"  # Twilio sends counts as strings
    assert message.num_media == "0"
    assert message.price is None and message.error_code is None
    assert isinstance(message.date_created, dt.datetime)
    assert message.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json"

    [sent] = twilio_standin.messages
    assert (sent.to, sent.from_, sent.body, sent.sid) == (
        CLIENT_NUMBER,
        WISEMIND_NUMBER,
        "hi",
        message.sid,
    )
    assert sent.status_callback == "https://wisemind.test/webhooks/twilio/status"
    assert sent.num_segments == 1


async def test_twilio_fetch_and_list_return_the_stored_message(twilio_client: Client) -> None:
    created = await twilio_client.messages.create_async(
        to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="hello again"
    )

    fetched = await twilio_client.messages(created.sid).fetch_async()
    listed = await twilio_client.messages.list_async(to=CLIENT_NUMBER)

    assert (fetched.sid, fetched.body, fetched.status) == (created.sid, "hello again", "queued")
    assert [message.sid for message in listed] == [created.sid]


async def test_twilio_messaging_service_without_from_is_accepted(
    twilio_standin: TwilioStandin, twilio_client: Client
) -> None:
    service = "MG" + "1" * 32
    message = await twilio_client.messages.create_async(
        to=CLIENT_NUMBER, messaging_service_sid=service, body="hi"
    )

    assert message.status == "accepted"
    assert message.from_ is None and message.messaging_service_sid == service
    assert twilio_standin.messages[0].messaging_service_sid == service


async def test_twilio_media_urls_are_recorded_and_make_an_mms(
    twilio_standin: TwilioStandin, twilio_client: Client
) -> None:
    urls = ["https://wisemind.test/a.png", "https://wisemind.test/b.png"]
    message = await twilio_client.messages.create_async(
        to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="cards", media_url=urls
    )

    assert message.sid is not None and message.sid.startswith("MM")
    assert message.num_media == "2"
    assert twilio_standin.messages[0].media_urls == tuple(urls)


async def test_twilio_num_segments_follows_the_encoding(twilio_client: Client) -> None:
    long_gsm = await twilio_client.messages.create_async(
        to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="a" * 161
    )
    short_unicode = await twilio_client.messages.create_async(
        to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="breathe 🌊" * 8
    )

    assert long_gsm.num_segments == "2"
    assert short_unicode.num_segments == "2"  # UCS-2: 8 * 10 UTF-16 units > 70


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters cost two septets: 160
        ("€" * 81, 2),
        ("a" * 158 + "€", 1),
        # 152 + 2 > 153, so the € starts part two instead of being split: 3, not 2.
        ("a" * 152 + "€" * 77, 3),
        ("ç" * 70, 1),  # lower-case ç is not GSM-7: UCS-2
        ("ç" * 71, 2),
        ("ç" * 134, 2),
        ("ç" * 135, 3),
        ("😀" * 35, 1),  # surrogate pairs: 70 UTF-16 units
        ("😀" * 36, 2),
        ("😀" * 67, 3),  # 33 pairs (66 units) a part: a pair is never split
        # 134 units would fit two parts, but the pair cannot straddle them: 3.
        ("a" * 66 + "😀" + "a" * 66, 3),
    ],
)
def test_sms_segments(body: str, segments: int) -> None:
    assert sms_segments(body) == segments


# -- Twilio: failures -----------------------------------------------------------------


async def test_twilio_scheduled_21610_raises_with_code_and_status(
    twilio_standin: TwilioStandin, twilio_client: Client
) -> None:
    twilio_standin.fail_next(1, status=400, code=21610)

    with pytest.raises(TwilioRestException) as raised:
        await twilio_client.messages.create_async(to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="x")
    again = await twilio_client.messages.create_async(
        to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="x"
    )

    assert (raised.value.status, raised.value.code) == (400, 21610)
    assert "Attempt to send to unsubscribed recipient" in raised.value.msg
    assert again.status == "queued"
    assert [request.status for request in twilio_standin.requests] == [400, 201]
    assert len(twilio_standin.messages) == 1


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (429, 20429), (503, 20503)])
async def test_twilio_server_errors_raise_with_their_status(
    twilio_standin: TwilioStandin, twilio_client: Client, status: int, code: int
) -> None:
    twilio_standin.fail_next(2, status=status)

    for _ in range(2):
        with pytest.raises(TwilioRestException) as raised:
            await twilio_client.messages.create_async(
                to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="x"
            )
        assert (raised.value.status, raised.value.code) == (status, code)
    await twilio_client.messages.create_async(to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="x")


def test_twilio_429_sends_retry_after(twilio_standin: TwilioStandin) -> None:
    twilio_standin.fail_next(1, status=429, retry_after=30)
    body, headers = b"To=%2B15005550006&From=%2B15005550000&Body=x", _basic_auth()
    headers["Content-Type"] = "application/x-www-form-urlencoded"

    status, payload, response_headers = _raw(_messages_url(twilio_standin), body, headers)

    assert status == 429 and payload["code"] == 20429
    assert response_headers["Retry-After"] == "30"


async def test_twilio_fail_to_fails_one_recipient_until_reset(
    twilio_standin: TwilioStandin, twilio_client: Client
) -> None:
    twilio_standin.fail_to(CLIENT_NUMBER)

    for _ in range(2):
        with pytest.raises(TwilioRestException) as raised:
            await twilio_client.messages.create_async(
                to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="x"
            )
        assert (raised.value.status, raised.value.code) == (400, 21610)
    await twilio_client.messages.create_async(to=OTHER_NUMBER, from_=WISEMIND_NUMBER, body="x")
    twilio_standin.reset()
    await twilio_client.messages.create_async(to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="x")

    assert [sms.to for sms in twilio_standin.messages] == [OTHER_NUMBER, CLIENT_NUMBER]


async def test_twilio_fail_for_is_an_outage_that_ends(
    twilio_standin: TwilioStandin, twilio_client: Client
) -> None:
    twilio_standin.fail_for(0.3, status=503)

    with pytest.raises(TwilioRestException):
        await twilio_client.messages.create_async(to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="x")
    await asyncio.sleep(0.4)
    message = await twilio_client.messages.create_async(
        to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="x"
    )

    assert message.status == "queued"


async def test_twilio_wrong_auth_is_401_code_20003(twilio_standin: TwilioStandin) -> None:
    http_client = AsyncTwilioHttpClient()
    client = Client(ACCOUNT_SID, "not-the-token", http_client=http_client)
    client.api.base_url = twilio_standin.url
    try:
        with pytest.raises(TwilioRestException) as raised:
            await client.messages.create_async(to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="x")
    finally:
        await http_client.close()

    assert (raised.value.status, raised.value.code) == (401, 20003)
    status, payload, _ = _raw(_messages_url(twilio_standin), b"To=x")
    assert status == 401
    assert payload == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert twilio_standin.messages == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"to": "", "from_": WISEMIND_NUMBER, "body": "x"}, 21604),
        ({"to": CLIENT_NUMBER, "from_": WISEMIND_NUMBER}, 21602),
        ({"to": CLIENT_NUMBER, "body": "x"}, 21603),
        ({"to": "not a number", "from_": WISEMIND_NUMBER, "body": "x"}, 21211),
        ({"to": CLIENT_NUMBER, "from_": WISEMIND_NUMBER, "body": "x" * 1601}, 21617),
    ],
)
async def test_twilio_validates_like_twilio(
    twilio_client: Client, fields: dict[str, str], code: int
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        await twilio_client.messages.create_async(**fields)

    assert (raised.value.status, raised.value.code) == (400, code)


async def test_twilio_delay_trips_a_client_side_timeout(
    twilio_standin: TwilioStandin, twilio_client: Client
) -> None:
    """``AsyncTwilioHttpClient(timeout=…)`` is not applied by twilio 8.2.2, so a
    connector must bound the call itself, e.g. with ``asyncio.wait_for``."""
    twilio_standin.delay(SLOW_REPLY)

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(
            twilio_client.messages.create_async(to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="x"),
            SHORT_TIMEOUT,
        )

    # Like Twilio, the stand-in acted on the request the client stopped waiting for.
    assert len(twilio_standin.messages) == 1


# -- Twilio: record and helpers -------------------------------------------------------


async def test_twilio_records_requests_in_order_with_decoded_params(
    twilio_standin: TwilioStandin, twilio_client: Client
) -> None:
    await twilio_client.messages.create_async(to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="one")
    twilio_standin.fail_next()
    with pytest.raises(TwilioRestException):
        await twilio_client.messages.create_async(
            to=OTHER_NUMBER, from_=WISEMIND_NUMBER, body="two & ü"
        )
    await twilio_client.messages.create_async(
        to=OTHER_NUMBER, from_=WISEMIND_NUMBER, body="three", media_url=["https://x.test/a.png"]
    )

    requests = twilio_standin.requests
    assert [(r.method, r.status) for r in requests] == [("POST", 201), ("POST", 500), ("POST", 201)]
    assert [r.params["Body"] for r in requests] == ["one", "two & ü", "three"]
    assert requests[1].params == {"To": OTHER_NUMBER, "From": WISEMIND_NUMBER, "Body": "two & ü"}
    assert requests[2].params["MediaUrl"] == ["https://x.test/a.png"]
    assert all(r.path.endswith(f"/Accounts/{ACCOUNT_SID}/Messages.json") for r in requests)
    assert requests[0].headers["User-Agent"].startswith("twilio-python/8.2.2")
    assert [sms.body for sms in twilio_standin.messages_to(OTHER_NUMBER)] == ["three"]

    twilio_standin.clear()
    assert twilio_standin.requests == [] and twilio_standin.messages == []


def test_twilio_wait_for_messages(twilio_standin: TwilioStandin) -> None:
    def send_later() -> None:
        time.sleep(0.1)
        headers = {**_basic_auth(), "Content-Type": "application/x-www-form-urlencoded"}
        _raw(
            _messages_url(twilio_standin), b"To=%2B15005550006&From=%2B15005550000&Body=a", headers
        )

    threading.Thread(target=send_later, daemon=True).start()
    [sms] = twilio_standin.wait_for_messages(1, timeout=5)
    assert sms.body == "a"

    with pytest.raises(AssertionError, match=r"expected 2 SMS within 0.2s, got 1") as raised:
        twilio_standin.wait_for_messages(2, timeout=0.2)
    assert "body='a'" in str(raised.value)


async def test_twilio_wait_for_messages_async(
    twilio_standin: TwilioStandin, twilio_client: Client
) -> None:
    task = asyncio.create_task(
        twilio_client.messages.create_async(to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="b")
    )
    [sms] = await twilio_standin.wait_for_messages_async(1, timeout=5)
    await task
    assert sms.body == "b"


async def test_twilio_status_callback_is_signed_and_updates_the_message(
    twilio_standin: TwilioStandin, twilio_client: Client, webhook_receiver: _ReceiverServer
) -> None:
    callback_url = f"http://127.0.0.1:{webhook_receiver.server_address[1]}/twilio/status?x=1"
    message = await twilio_client.messages.create_async(
        to=CLIENT_NUMBER, from_=WISEMIND_NUMBER, body="hi", status_callback=callback_url
    )
    assert message.sid is not None

    answered = await asyncio.to_thread(
        twilio_standin.send_status_callback, message.sid, "undelivered", 30003
    )
    fetched = await twilio_client.messages(message.sid).fetch_async()

    assert answered == 204
    [(path, headers, body)] = webhook_receiver.received
    params = dict(parse_qsl(body.decode()))
    assert path == "/twilio/status?x=1"
    assert RequestValidator(AUTH_TOKEN).validate(
        callback_url, params, headers["X-Twilio-Signature"]
    )
    assert params == {
        "SmsSid": message.sid,
        "SmsStatus": "undelivered",
        "MessageStatus": "undelivered",
        "To": CLIENT_NUMBER,
        "MessageSid": message.sid,
        "AccountSid": ACCOUNT_SID,
        "From": WISEMIND_NUMBER,
        "ApiVersion": "2010-04-01",
        "ErrorCode": "30003",
    }
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


def test_inbound_sms_params_and_signature() -> None:
    url = "https://wisemind.test/webhooks/twilio/webhook"
    params = inbound_sms_params(CLIENT_NUMBER, WISEMIND_NUMBER, "I need a skill")

    body, headers = signed_twilio_webhook(url, params, AUTH_TOKEN)

    assert list(params) == [
        "ToCountry",
        "ToState",
        "SmsMessageSid",
        "NumMedia",
        "ToCity",
        "FromZip",
        "SmsSid",
        "FromState",
        "SmsStatus",
        "FromCity",
        "Body",
        "FromCountry",
        "To",
        "ToZip",
        "NumSegments",
        "MessageSid",
        "AccountSid",
        "From",
        "ApiVersion",
    ]
    assert SID_PATTERN.match(params["MessageSid"])
    assert params["SmsSid"] == params["SmsMessageSid"] == params["MessageSid"]
    assert (params["From"], params["To"], params["Body"]) == (
        CLIENT_NUMBER,
        WISEMIND_NUMBER,
        "I need a skill",
    )
    assert (params["SmsStatus"], params["NumSegments"], params["NumMedia"]) == (
        "received",
        "1",
        "0",
    )
    assert params["FromCountry"] == params["ToCountry"] == "US"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    decoded = dict(parse_qsl(body.decode(), keep_blank_values=True))
    assert decoded == params
    validator = RequestValidator(AUTH_TOKEN)
    assert validator.validate(url, decoded, headers["X-Twilio-Signature"])
    assert not RequestValidator("other").validate(url, params, headers["X-Twilio-Signature"])


def test_inbound_mms_params() -> None:
    params = inbound_sms_params(CLIENT_NUMBER, WISEMIND_NUMBER, "", message_sid="MM1", num_media=1)

    assert params["MessageSid"] == "MM1" and params["NumMedia"] == "1"
    assert params["MediaContentType0"] == "image/jpeg"
    assert params["MediaUrl0"].startswith("https://api.twilio.com/2010-04-01/Accounts/")


def _basic_auth() -> dict[str, str]:
    token = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _messages_url(standin: TwilioStandin) -> str:
    return f"{standin.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


# -- Telegram: success ----------------------------------------------------------------

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("TIPP", callback_data="skill:tipp")],
        [InlineKeyboardButton("Later", callback_data="later")],
    ]
)


async def test_telegram_get_me(bot: telegram.Bot) -> None:
    me = await bot.get_me()

    assert me.is_bot and me.username == BOT_USERNAME
    assert me.id == int(DEFAULT_TOKEN.split(":")[0]) == bot.id


async def test_telegram_send_message_returns_a_message(
    telegram_standin: TelegramStandin, bot: telegram.Bot
) -> None:
    first = await bot.send_message(chat_id=CHAT_ID, text="hi", reply_markup=KEYBOARD)
    second = await bot.send_message(chat_id=CHAT_ID, text="again")

    assert (first.message_id, second.message_id) == (1, 2)
    assert first.text == "hi" and first.chat.id == CHAT_ID and first.chat.type == "private"
    assert first.from_user is not None and first.from_user.username == BOT_USERNAME
    assert first.reply_markup == KEYBOARD
    assert second.reply_markup is None
    assert isinstance(first.date, dt.datetime)

    sent = telegram_standin.sent
    assert [(s.chat_id, s.text, s.method, s.message_id) for s in sent] == [
        (CHAT_ID, "hi", "sendMessage", 1),
        (CHAT_ID, "again", "sendMessage", 2),
    ]
    assert sent[0].reply_markup == {
        "inline_keyboard": [
            [{"text": "TIPP", "callback_data": "skill:tipp"}],
            [{"text": "Later", "callback_data": "later"}],
        ]
    }
    assert sent[1].reply_markup is None


async def test_telegram_callback_answers_and_markup_edits(
    telegram_standin: TelegramStandin, bot: telegram.Bot
) -> None:
    message = await bot.send_message(chat_id=CHAT_ID, text="pick", reply_markup=KEYBOARD)

    answered = await bot.answer_callback_query("4242", text="Got it")
    edited = await bot.edit_message_reply_markup(chat_id=CHAT_ID, message_id=message.message_id)

    assert answered is True
    [answer] = telegram_standin.callback_answers
    assert (answer.callback_query_id, answer.text, answer.show_alert) == ("4242", "Got it", False)
    assert isinstance(edited, telegram.Message)
    assert edited.reply_markup is None and edited.edit_date is not None
    assert telegram_standin.sent[-1].method == "editMessageReplyMarkup"
    assert [m.text for m in telegram_standin.messages] == ["pick"]  # edits are not messages
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(chat_id=CHAT_ID, message_id=message.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_reply_markup(chat_id=CHAT_ID, message_id=99, reply_markup=KEYBOARD)


async def test_telegram_webhook_lifecycle(
    telegram_standin: TelegramStandin, bot: telegram.Bot
) -> None:
    url = "https://wisemind.test/webhooks/telegram/webhook"

    assert await bot.set_webhook(url, secret_token="s3cret_token-1") is True
    info = await bot.get_webhook_info()
    webhook = telegram_standin.webhook
    assert webhook is not None and (webhook.url, webhook.secret_token) == (url, "s3cret_token-1")
    assert info.url == url and info.pending_update_count == 0

    assert await bot.delete_webhook() is True
    assert telegram_standin.webhook is None
    assert (await bot.get_webhook_info()).url == ""
    with pytest.raises(BadRequest, match="Secret token contains unallowed characters"):
        await bot.set_webhook(url, secret_token="not allowed!")


async def test_telegram_send_chat_action(bot: telegram.Bot) -> None:
    assert await bot.send_chat_action(chat_id=CHAT_ID, action="typing") is True


# -- Telegram: failures ---------------------------------------------------------------


async def test_telegram_429_raises_retry_after(
    telegram_standin: TelegramStandin, bot: telegram.Bot
) -> None:
    telegram_standin.fail_next(1, status=429, retry_after=7)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(chat_id=CHAT_ID, text="hi")
    await bot.send_message(chat_id=CHAT_ID, text="hi")

    assert _seconds(raised.value.retry_after) == 7
    failed = telegram_standin.requests[-2]
    assert failed.status == 429 and failed.params["text"] == "hi"
    assert len(telegram_standin.messages) == 1


async def test_telegram_blocked_chat_raises_forbidden(
    telegram_standin: TelegramStandin, bot: telegram.Bot
) -> None:
    telegram_standin.block_chat(CHAT_ID)

    with pytest.raises(Forbidden, match="^Forbidden: bot was blocked by the user$"):
        await bot.send_message(chat_id=CHAT_ID, text="hi")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(chat_id=CHAT_ID, action="typing")
    await bot.send_message(chat_id=OTHER_CHAT_ID, text="hi")
    telegram_standin.reset()
    await bot.send_message(chat_id=CHAT_ID, text="hi")

    assert [m.chat_id for m in telegram_standin.messages] == [OTHER_CHAT_ID, CHAT_ID]


@pytest.mark.parametrize("status", [500, 502])
async def test_telegram_server_error_raises_network_error(
    telegram_standin: TelegramStandin, bot: telegram.Bot, status: int
) -> None:
    telegram_standin.fail_next(1, status=status)

    with pytest.raises(NetworkError) as raised:
        await bot.send_message(chat_id=CHAT_ID, text="hi")

    # Exactly NetworkError, not a subclass such as TimedOut: PTB's answer to any 5xx.
    assert type(raised.value) is NetworkError


async def test_telegram_fail_next_targets_send_message_by_default(
    telegram_standin: TelegramStandin, bot: telegram.Bot
) -> None:
    telegram_standin.fail_next(1)
    await bot.get_me()  # not used up by other methods
    with pytest.raises(NetworkError):
        await bot.send_message(chat_id=CHAT_ID, text="hi")

    telegram_standin.fail_next(1, status=401, description="Unauthorized", method=None)
    with pytest.raises(InvalidToken):
        await bot.get_me()


async def test_telegram_fail_for_is_an_outage_that_ends(
    telegram_standin: TelegramStandin, bot: telegram.Bot
) -> None:
    telegram_standin.fail_for(0.3, status=502)

    with pytest.raises(NetworkError):
        await bot.send_message(chat_id=CHAT_ID, text="hi")
    await asyncio.sleep(0.4)
    assert (await bot.send_message(chat_id=CHAT_ID, text="hi")).message_id == 1


async def test_telegram_slow_reply_raises_timed_out(
    telegram_standin: TelegramStandin, bot: telegram.Bot
) -> None:
    telegram_standin.delay(SLOW_REPLY)

    with pytest.raises(TimedOut):
        await bot.send_message(chat_id=CHAT_ID, text="hi", read_timeout=SHORT_TIMEOUT)

    # Telegram acts on a request whose answer the client stopped waiting for.
    assert len(telegram_standin.messages) == 1


@pytest.mark.parametrize(
    ("text", "reply_markup", "error"),
    [
        ("x" * 4097, None, "Message is too long"),
        ("   ", None, "Message text is empty"),
        ("hi", {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]}, "Button_data"),
        ("hi", {"inline_keyboard": [[{"text": "A"}]]}, "Text buttons are unallowed"),
        ("hi", {"nonsense": True}, "Can't parse reply keyboard markup"),
    ],
)
async def test_telegram_send_message_validates(
    telegram_standin: TelegramStandin,
    bot: telegram.Bot,
    text: str,
    reply_markup: dict[str, Any] | None,
    error: str,
) -> None:
    with pytest.raises(BadRequest, match="(?i)" + re.escape(error)):
        await bot.send_message(
            chat_id=CHAT_ID, text=text, api_kwargs={"reply_markup": reply_markup}
        )
    assert telegram_standin.messages == []


async def test_telegram_4096_characters_are_allowed(bot: telegram.Bot) -> None:
    assert (await bot.send_message(chat_id=CHAT_ID, text="x" * 4096)).text == "x" * 4096


@pytest.mark.parametrize(
    ("token", "status", "description"),
    [
        (DEFAULT_TOKEN[:-1] + "X", 401, "Unauthorized"),  # well-formed, but not ours
        ("123:malformed", 404, "Not Found"),  # Telegram answers 404 to a malformed token
    ],
)
async def test_telegram_wrong_token_raises_invalid_token(
    telegram_standin: TelegramStandin, token: str, status: int, description: str
) -> None:
    bot = telegram.Bot(token, base_url=f"{telegram_standin.url}/bot")

    with pytest.raises(InvalidToken, match=f"The token `{re.escape(token)}` was rejected"):
        await bot.initialize()
    await bot.shutdown()

    answer = _raw(f"{telegram_standin.url}/bot{token}/getMe")[:2]
    assert answer == (status, {"ok": False, "error_code": status, "description": description})


async def test_telegram_unknown_method_is_404(
    telegram_standin: TelegramStandin, bot: telegram.Bot
) -> None:
    # PTB turns the 404 into EndPointNotFound once the bot is initialised.
    with pytest.raises(EndPointNotFound, match="sendTelepathy"):
        await bot.do_api_request("sendTelepathy")

    status, payload, _ = _raw(f"{telegram_standin.url}/bot{DEFAULT_TOKEN}/sendTelepathy")
    assert (status, payload) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


# -- Telegram: request formats, record and helpers ------------------------------------


async def test_telegram_records_requests_in_order_with_decoded_params(
    telegram_standin: TelegramStandin, bot: telegram.Bot
) -> None:
    await bot.send_message(chat_id=CHAT_ID, text="42", reply_markup=KEYBOARD)
    await bot.answer_callback_query("99", show_alert=True)

    requests = telegram_standin.requests
    assert [r.path.rsplit("/", 1)[-1] for r in requests] == [
        "getMe",
        "sendMessage",
        "answerCallbackQuery",
    ]
    assert all(r.path.startswith(f"/bot{DEFAULT_TOKEN}/") for r in requests)
    send = requests[1].params
    assert send["chat_id"] == CHAT_ID  # form value "777000", read as JSON
    assert send["text"] == "42"  # a string parameter stays a string
    assert send["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "skill:tipp"
    assert requests[2].params == {"callback_query_id": "99", "show_alert": True}
    assert telegram_standin.callback_answers[0].show_alert is True


def test_telegram_accepts_json_get_and_multipart(telegram_standin: TelegramStandin) -> None:
    base = f"{telegram_standin.url}/bot{DEFAULT_TOKEN}"
    with httpx.Client() as client:
        as_json = client.post(
            f"{base}/sendMessage",
            json={
                "chat_id": CHAT_ID,
                "text": "json",
                "reply_markup": json.dumps(KEYBOARD.to_dict()),
            },
        ).json()
        by_get = client.get(
            f"{base}/sendMessage", params={"chat_id": CHAT_ID, "text": "get"}
        ).json()
        multipart = client.post(
            f"{base}/SENDMESSAGE",  # method names are case-insensitive
            data={"chat_id": str(CHAT_ID), "text": "multipart"},
            files={"document": ("notes.txt", b"diary", "text/plain")},
        ).json()

    assert as_json["ok"] and as_json["result"]["reply_markup"] == KEYBOARD.to_dict()
    assert by_get["ok"] and by_get["result"]["text"] == "get"
    assert multipart["ok"] and multipart["result"]["text"] == "multipart"
    upload = telegram_standin.requests[-1].params["document"]
    assert (upload.filename, upload.content) == ("notes.txt", b"diary")
    assert [m.text for m in telegram_standin.messages_to(CHAT_ID)] == ["json", "get", "multipart"]


async def test_telegram_wait_for_messages(
    telegram_standin: TelegramStandin, bot: telegram.Bot
) -> None:
    task = asyncio.create_task(bot.send_message(chat_id=CHAT_ID, text="soon"))
    [message] = await telegram_standin.wait_for_messages_async(1, timeout=5)
    await task
    assert message.text == "soon"

    assert telegram_standin.wait_for_messages(1, timeout=0.1)[0].text == "soon"
    with pytest.raises(AssertionError, match="expected 2 Telegram messages within 0.1s, got 1"):
        telegram_standin.wait_for_messages(2, timeout=0.1)

    telegram_standin.clear()
    assert telegram_standin.sent == [] and telegram_standin.requests == []


async def test_inbound_updates_parse_as_ptb_updates(bot: telegram.Bot) -> None:
    command = Update.de_json(text_update(10, CHAT_ID, "/start abc123", first_name="Ana"), bot)
    plain = Update.de_json(text_update(11, CHAT_ID, "hello"), bot)
    pressed = Update.de_json(
        callback_update(12, CHAT_ID, "skill:tipp", message_id=5, reply_markup=KEYBOARD.to_dict()),
        bot,
    )

    assert command.message is not None and command.message.text == "/start abc123"
    assert command.message.chat.id == CHAT_ID and command.effective_user is not None
    assert command.effective_user.first_name == "Ana"
    assert command.message.parse_entities(["bot_command"]) == {
        command.message.entities[0]: "/start"
    }
    assert plain.message is not None and plain.message.entities == ()
    query = pressed.callback_query
    assert query is not None and query.data == "skill:tipp" and query.chat_instance
    assert query.message is not None and query.message.message_id == 5
    assert query.message.chat.id == CHAT_ID
    assert pressed.effective_chat is not None and pressed.effective_chat.id == CHAT_ID


def test_signed_telegram_headers() -> None:
    assert signed_telegram_headers("s3cret") == {
        "X-Telegram-Bot-Api-Secret-Token": "s3cret",
        "Content-Type": "application/json",
    }


# -- shared base ----------------------------------------------------------------------


def test_failure_schedule_order() -> None:
    schedule = FailureSchedule()
    outage, blocked = Failure(503), Failure(403)
    schedule.fail_target("a", blocked)
    schedule.fail_next(1, Failure(500), operation="send")

    assert schedule.take("other", "b") is None
    assert schedule.take("send", "a") == Failure(500)  # transient first, then it is spent
    assert schedule.take("send", "a") == blocked
    schedule.fail_for(60, outage)
    assert schedule.take("anything", "a") == outage
    schedule.reset()
    assert schedule.take("send", "a") is None


def test_stop_ends_serving() -> None:
    standin = TelegramStandin().start()
    url = standin.url
    standin.stop()
    standin.stop()

    with pytest.raises(RuntimeError, match="not started"):
        _ = standin.url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/bot{DEFAULT_TOKEN}/getMe", timeout=1)
