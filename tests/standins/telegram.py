"""A local stand-in for Telegram's Bot API (``api.telegram.org``).

It serves ``/bot{token}/{method}`` and answers with the Bot API's envelope
(``{"ok": true, "result": …}`` or ``{"ok": false, "error_code": …, "description": …}``),
so ``python-telegram-bot`` parses its answers, and raises its errors, as it would for
Telegram. Point ``WISEMIND_TELEGRAM_API_URL`` at :attr:`TelegramStandin.url`, or
construct ``telegram.Bot(token, base_url=f"{standin.url}/bot")``.

Also here: building the updates Telegram POSTs *to* our webhook, with the secret
token header Telegram adds when a ``secret_token`` was set.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from tests.standins.base import (
    DEFAULT_WAIT_TIMEOUT,
    Failure,
    IncomingRequest,
    Reply,
    StandinServer,
)

__all__ = [
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "CallbackAnswer",
    "SentTelegram",
    "TelegramStandin",
    "WebhookConfig",
    "callback_update",
    "signed_telegram_headers",
    "text_update",
]

#: A token shaped like BotFather's: the bot's id, a colon, 35 URL-safe characters.
DEFAULT_TOKEN = "7000000001:AAHwisemindStandinTokenForTests0001"
#: The id ``getMe`` reports when the token does not start with one.
FALLBACK_BOT_ID = 7000000001
BOT_USERNAME = "wisemind_test_bot"
BOT_FIRST_NAME = "WiseMind"
#: The name Telegram shows for a client's private chat, unless a test picks one.
DEFAULT_FIRST_NAME = "Demo"
SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"

MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
SECRET_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
#: Supergroup and channel ids are ``-100`` followed by the internal id.
SUPERGROUP_PREFIX = "-100"
#: Telegram always says how long to wait when it rate-limits; this is our default.
DEFAULT_RETRY_AFTER = 1
DEFAULT_MAX_CONNECTIONS = 40
PATH_PATTERN = re.compile(r"^/bot(?P<token>[^/]*)/(?P<method>[^/]+)$")
#: BotFather's token shape. Telegram answers 404 (not 401) to tokens not of this shape.
TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]{35}$")

SEND_MESSAGE = "sendMessage"
EDIT_REPLY_MARKUP = "editMessageReplyMarkup"

# Bot API error descriptions, worded as Telegram words them.
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
CHAT_NOT_FOUND = "Bad Request: chat not found"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
MARKUP_UNPARSABLE = "Bad Request: can't parse reply keyboard markup JSON object"
BUTTON_TEXT_ONLY = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
BUTTON_TEXT_MISSING = "Bad Request: can't parse inline keyboard button: Text must be non-empty"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
QUERY_ID_INVALID = "Bad Request: QUERY_ID_INVALID"
MESSAGE_ID_MISSING = "Bad Request: message identifier is not specified"
MESSAGE_NOT_FOUND = "Bad Request: message to edit not found"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
ACTION_INVALID = "Bad Request: wrong parameter action in request"
WEBHOOK_URL_MISSING = "Bad Request: bad webhook: Webhook URL must be non-empty"
SECRET_TOKEN_INVALID = "Bad Request: secret token contains unallowed characters"
DEFAULT_DESCRIPTIONS: Mapping[int, str] = {
    HTTPStatus.BAD_REQUEST: "Bad Request",
    HTTPStatus.UNAUTHORIZED: UNAUTHORIZED,
    HTTPStatus.FORBIDDEN: "Forbidden",
    HTTPStatus.NOT_FOUND: NOT_FOUND,
    HTTPStatus.CONFLICT: "Conflict",
    HTTPStatus.INTERNAL_SERVER_ERROR: "Internal Server Error",
    HTTPStatus.BAD_GATEWAY: "Bad Gateway",
}

#: Inline keyboard button fields that give a button something to do besides show text.
INLINE_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
#: Parameters Telegram reads as plain strings even when they look like JSON
#: (``text="42"`` is text). Every other form value is JSON, as PTB encodes it.
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "inline_message_id",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "action",
        "emoji",
        "title",
        "description",
        "short_description",
        "name",
        "question",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "address",
        "query",
        "language_code",
        "custom_title",
        "photo",
        "document",
        "audio",
        "video",
        "voice",
        "animation",
        "sticker",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


class _BotApiError(Exception):
    """A request the Bot API refuses; raised inside method handlers, rendered by respond."""

    def __init__(self, description: str, status: int = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


@dataclass(frozen=True)
class SentTelegram:
    """A message our code sent (``sendMessage``) or changed (``editMessageReplyMarkup``).

    ``reply_markup`` is the decoded markup dict; ``params`` every decoded parameter.
    """

    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    method: str
    params: Mapping[str, Any] = field(repr=False)
    message_id: int | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    """An ``answerCallbackQuery`` call: how our bot acknowledged a button press."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    params: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class WebhookConfig:
    """What ``setWebhook`` registered."""

    url: str
    secret_token: str | None
    params: Mapping[str, Any] = field(repr=False)


def _user(user_id: int, first_name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def _bot_user(bot_id: int) -> dict[str, Any]:
    return {"id": bot_id, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME}


def _bot_id(token: str) -> int:
    prefix = token.split(":", 1)[0]
    return int(prefix) if prefix.isdigit() else FALLBACK_BOT_ID


def _chat(chat_id: int, first_name: str = DEFAULT_FIRST_NAME) -> dict[str, Any]:
    """The Chat object Telegram reports for ``chat_id``: private, group or supergroup."""
    if chat_id > 0:
        return {"id": chat_id, "first_name": first_name, "type": "private"}
    kind = "supergroup" if str(chat_id).startswith(SUPERGROUP_PREFIX) else "group"
    return {"id": chat_id, "title": "WiseMind test group", "type": kind}


def _chat_instance(chat_id: int) -> str:
    """A stable ``chat_instance`` per chat, shaped like Telegram's (a signed 64-bit int)."""
    return str(-((abs(chat_id) * 2654435761) % (1 << 62)) - 1)


def _utf16_length(text: str) -> int:
    """Entity offsets and lengths are in UTF-16 code units, not characters."""
    return len(text.encode("utf-16-le")) // 2


def text_update(
    update_id: int,
    chat_id: int,
    text: str,
    first_name: str = DEFAULT_FIRST_NAME,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """An Update carrying a client's text message, as Telegram POSTs it to a webhook.

    A leading ``/command`` (optionally ``/command@bot``) gets the ``bot_command``
    entity Telegram adds, which is what tells handlers it is a command.
    """
    message: dict[str, Any] = {
        "message_id": update_id if message_id is None else message_id,
        "from": _user(chat_id, first_name),
        "chat": _chat(chat_id, first_name),
        "date": int(time.time()) if date is None else date,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [
            {"offset": 0, "length": _utf16_length(command), "type": "bot_command"}
        ]
    return {"update_id": update_id, "message": message}


def callback_update(
    update_id: int,
    chat_id: int,
    data: str,
    message_id: int = 1,
    first_name: str = DEFAULT_FIRST_NAME,
    *,
    message_text: str = "",
    reply_markup: Mapping[str, Any] | None = None,
    query_id: str | None = None,
    bot_token: str = DEFAULT_TOKEN,
) -> dict[str, Any]:
    """An Update for a client pressing an inline button under our bot's message.

    ``message`` is the bot's message the keyboard was attached to (``message_id``),
    sent by the bot of ``bot_token``.
    """
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": _bot_user(_bot_id(bot_token)),
        "chat": _chat(chat_id, first_name),
        "date": int(time.time()),
        "text": message_text,
    }
    if reply_markup is not None:
        message["reply_markup"] = dict(reply_markup)
    return {
        "update_id": update_id,
        "callback_query": {
            "id": query_id or str(secrets.randbits(63)),
            "from": _user(chat_id, first_name),
            "message": message,
            "chat_instance": _chat_instance(chat_id),
            "data": data,
        },
    }


def signed_telegram_headers(secret: str) -> dict[str, str]:
    """Headers of a webhook POST from Telegram when ``setWebhook`` had ``secret_token``."""
    return {SECRET_TOKEN_HEADER: secret, "Content-Type": "application/json"}


def _decode_value(name: str, value: Any) -> Any:
    """A parameter as Telegram reads it: JSON unless it is one of the string parameters."""
    if not isinstance(value, str) or name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _chat_id(params: Mapping[str, Any]) -> int:
    value = params.get("chat_id")
    if value is None or value == "":
        raise _BotApiError(CHAT_ID_EMPTY)
    if isinstance(value, bool) or not isinstance(value, int):
        # ``@channelusername`` (or garbage): no channel of that name exists here.
        raise _BotApiError(CHAT_NOT_FOUND)
    return value


def _validated_markup(value: Any) -> dict[str, Any] | None:
    """``reply_markup`` as Telegram accepts it, or the error Telegram gives."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _BotApiError(MARKUP_UNPARSABLE)
    if "inline_keyboard" not in value:
        if {"keyboard", "remove_keyboard", "force_reply"} & value.keys():
            return value
        raise _BotApiError(MARKUP_UNPARSABLE)
    rows = value["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _BotApiError(MARKUP_UNPARSABLE)
    for button in (button for row in rows for button in row):
        if not isinstance(button, dict):
            raise _BotApiError(MARKUP_UNPARSABLE)
        if not isinstance(button.get("text"), str) or not button["text"]:
            raise _BotApiError(BUTTON_TEXT_MISSING)
        if not INLINE_BUTTON_ACTIONS & button.keys():
            raise _BotApiError(BUTTON_TEXT_ONLY)
        if "callback_data" in button:
            data = str(button["callback_data"]).encode("utf-8")
            if not 1 <= len(data) <= MAX_CALLBACK_DATA_BYTES:
                raise _BotApiError(BUTTON_DATA_INVALID)
    return value


class TelegramStandin(StandinServer):
    """The Bot API methods WiseMind uses, on a local port.

    Serves getMe, sendMessage, editMessageReplyMarkup, answerCallbackQuery,
    sendChatAction, setWebhook, deleteWebhook and getWebhookInfo (names are
    case-insensitive, as on Telegram), over GET or POST with query, form, multipart
    or JSON parameters. Unlike Telegram, ``setWebhook`` accepts ``http://`` URLs, so
    a webhook can point at a local test server.
    """

    name = "Telegram stand-in"

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.bot_id = _bot_id(token)
        self._sent: list[SentTelegram] = []
        self._callback_answers: list[CallbackAnswer] = []
        self._webhook: WebhookConfig | None = None
        #: The messages the bot sent, by (chat id, message id), for edits.
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._last_message_id = 0
        handlers: dict[str, Callable[[Mapping[str, Any]], Reply]] = {
            "getMe": self._get_me,
            SEND_MESSAGE: self._send_message,
            EDIT_REPLY_MARKUP: self._edit_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # -- record ----------------------------------------------------------------------

    @property
    def sent(self) -> list[SentTelegram]:
        """Successful sendMessage and editMessageReplyMarkup calls, in order."""
        with self._lock:
            return list(self._sent)

    @property
    def messages(self) -> list[SentTelegram]:
        """Successful sendMessage calls only, in order."""
        with self._lock:
            return self._sent_messages()

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """answerCallbackQuery calls, in order."""
        with self._lock:
            return list(self._callback_answers)

    @property
    def webhook(self) -> WebhookConfig | None:
        """The webhook currently set, or ``None`` (never set, or deleted)."""
        with self._lock:
            return self._webhook

    def messages_to(self, chat_id: int) -> list[SentTelegram]:
        """Messages sent (sendMessage) to ``chat_id``."""
        return [message for message in self.messages if message.chat_id == chat_id]

    def wait_for_messages(
        self, count: int, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> list[SentTelegram]:
        """Block until ``count`` messages were sent; on timeout, fail saying what came."""
        return self._wait_for(self._sent_messages, count, timeout, "Telegram messages")

    async def wait_for_messages_async(
        self, count: int, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> list[SentTelegram]:
        """:meth:`wait_for_messages` for tests whose sender runs on the same event loop."""
        return await self._wait_for_async(self._sent_messages, count, timeout, "Telegram messages")

    def _sent_messages(self) -> list[SentTelegram]:
        return [entry for entry in self._sent if entry.method == SEND_MESSAGE]

    def _clear_records(self) -> None:
        self._sent.clear()
        self._callback_answers.clear()
        self._messages.clear()
        self._webhook = None

    # -- failure control -------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        status: int = HTTPStatus.INTERNAL_SERVER_ERROR,
        description: str | None = None,
        retry_after: int | None = None,
        method: str | None = SEND_MESSAGE,
    ) -> None:
        """Fail the next ``n`` calls of ``method`` (``None``: of any method).

        Defaults to sendMessage so that a client's start-up ``getMe`` does not use
        the failure up.
        """
        self.failures.fail_next(n, Failure(status, None, description, retry_after), method)

    def fail_for(
        self,
        seconds: float,
        status: int = HTTPStatus.INTERNAL_SERVER_ERROR,
        description: str | None = None,
        retry_after: int | None = None,
        method: str | None = SEND_MESSAGE,
    ) -> None:
        """Fail every call of ``method`` (``None``: of any method) for ``seconds``."""
        failure = Failure(status, None, description, retry_after)
        self.failures.fail_for(seconds, failure, method)

    def block_chat(self, chat_id: int) -> None:
        """Act as if the client in ``chat_id`` blocked the bot: 403 on calls to that chat."""
        self.failures.fail_target(str(chat_id), Failure(HTTPStatus.FORBIDDEN, None, BLOCKED))

    def unblock_chat(self, chat_id: int) -> None:
        """Let calls to ``chat_id`` succeed again."""
        self.failures.clear_target(str(chat_id))

    # -- the API ---------------------------------------------------------------------

    def decode_params(self, request: IncomingRequest) -> dict[str, Any]:
        """Query, form, multipart and JSON parameters, with JSON values decoded."""
        params: dict[str, Any] = {}
        for source in (request.query, request.form):
            for key, values in source.items():
                params[key] = _decode_value(key, values[-1])
        if isinstance(request.json_body, dict):
            for key, value in request.json_body.items():
                params[key] = _decode_value(key, value)
        params.update(request.files)
        return params

    def respond(self, request: IncomingRequest, params: Mapping[str, Any]) -> Reply:
        match = PATH_PATTERN.match(request.path)
        if match is None:
            return self._error(HTTPStatus.NOT_FOUND, NOT_FOUND)
        if match["token"] != self.token:
            if TOKEN_PATTERN.match(match["token"]) is None:
                return self._error(HTTPStatus.NOT_FOUND, NOT_FOUND)
            return self._error(HTTPStatus.UNAUTHORIZED, UNAUTHORIZED)
        method = self._methods.get(match["method"].lower())
        if method is None:
            return self._error(HTTPStatus.NOT_FOUND, NOT_FOUND)
        name, handler = method
        target = str(params["chat_id"]) if "chat_id" in params else None
        failure = self.scheduled_failure(request, name, target)
        if failure is not None:
            return failure
        try:
            return handler(params)
        except _BotApiError as error:
            return self._error(error.status, error.description)

    def render_failure(self, failure: Failure, request: IncomingRequest) -> Reply:
        retry_after = failure.retry_after
        if retry_after is None and failure.status == HTTPStatus.TOO_MANY_REQUESTS:
            retry_after = DEFAULT_RETRY_AFTER
        if failure.message:
            description = failure.message
        elif failure.status == HTTPStatus.TOO_MANY_REQUESTS:
            description = f"Too Many Requests: retry after {retry_after}"
        else:
            description = DEFAULT_DESCRIPTIONS.get(failure.status, "Internal Server Error")
        return self._error(failure.status, description, retry_after)

    @staticmethod
    def _ok(result: Any, description: str | None = None) -> Reply:
        payload: dict[str, Any] = {"ok": True, "result": result}
        if description is not None:
            payload["description"] = description
        return Reply(HTTPStatus.OK, payload)

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> Reply:
        """The Bot API's error envelope, from which PTB picks its exception."""
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": int(status),
            "description": description,
        }
        headers: dict[str, str] = {}
        if retry_after is not None:
            payload["parameters"] = {"retry_after": retry_after}
            headers["Retry-After"] = str(retry_after)
        return Reply(status, payload, headers)

    def _get_me(self, params: Mapping[str, Any]) -> Reply:
        return self._ok(
            {
                **_bot_user(self.bot_id),
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )

    def _send_message(self, params: Mapping[str, Any]) -> Reply:
        chat_id = _chat_id(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _BotApiError(TEXT_EMPTY)
        if len(text) > MAX_TEXT_LENGTH:
            raise _BotApiError(TEXT_TOO_LONG)
        markup = _validated_markup(params.get("reply_markup"))
        self._last_message_id += 1
        message: dict[str, Any] = {
            "message_id": self._last_message_id,
            "from": _bot_user(self.bot_id),
            "chat": _chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        # Only inline keyboards belong to the message; reply keyboards are client-side.
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._messages[(chat_id, message["message_id"])] = message
        self._sent.append(
            SentTelegram(chat_id, text, markup, SEND_MESSAGE, dict(params), message["message_id"])
        )
        return self._ok(dict(message))

    def _edit_reply_markup(self, params: Mapping[str, Any]) -> Reply:
        markup = _validated_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return self._ok(True)  # Messages sent via inline mode: Telegram answers True.
        chat_id = _chat_id(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _BotApiError(MESSAGE_ID_MISSING)
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _BotApiError(MESSAGE_NOT_FOUND)
        if message.get("reply_markup") == markup:
            raise _BotApiError(NOT_MODIFIED)
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        self._sent.append(
            SentTelegram(
                chat_id, message["text"], markup, EDIT_REPLY_MARKUP, dict(params), message_id
            )
        )
        return self._ok(dict(message))

    def _answer_callback_query(self, params: Mapping[str, Any]) -> Reply:
        query_id = params.get("callback_query_id")
        if not query_id:
            raise _BotApiError(QUERY_ID_INVALID)
        text = params.get("text")
        self._callback_answers.append(
            CallbackAnswer(
                callback_query_id=str(query_id),
                text=None if text is None else str(text),
                show_alert=params.get("show_alert") is True,
                params=dict(params),
            )
        )
        return self._ok(True)

    def _send_chat_action(self, params: Mapping[str, Any]) -> Reply:
        _chat_id(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise _BotApiError(ACTION_INVALID)
        return self._ok(True)

    def _set_webhook(self, params: Mapping[str, Any]) -> Reply:
        if "url" not in params:
            raise _BotApiError(WEBHOOK_URL_MISSING)
        url = str(params["url"])
        if not url:  # An empty URL is Telegram's other way to delete the webhook.
            return self._delete_webhook(params)
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN_PATTERN.match(str(secret)):
            raise _BotApiError(SECRET_TOKEN_INVALID)
        config = WebhookConfig(url, None if secret is None else str(secret), dict(params))
        unchanged = self._webhook is not None and self._webhook.url == url
        self._webhook = config
        return self._ok(True, "Webhook is already set" if unchanged else "Webhook was set")

    def _delete_webhook(self, params: Mapping[str, Any]) -> Reply:
        existed = self._webhook is not None
        self._webhook = None
        return self._ok(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    def _get_webhook_info(self, params: Mapping[str, Any]) -> Reply:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }
        if self._webhook is not None:
            set_params = self._webhook.params
            info["url"] = self._webhook.url
            info["max_connections"] = set_params.get("max_connections", DEFAULT_MAX_CONNECTIONS)
            info["ip_address"] = "127.0.0.1"
            if "allowed_updates" in set_params:
                info["allowed_updates"] = set_params["allowed_updates"]
        return self._ok(info)
