"""A local stand-in for Twilio's Programmable Messaging API (``api.twilio.com``).

It accepts what the official ``twilio`` library sends (form-encoded POSTs with HTTP
Basic auth) and answers with Twilio's own JSON, so a connector that works here
parses real Twilio answers too. Point ``WISEMIND_TWILIO_API_URL`` (or a test's
``client.api.base_url``) at :attr:`TwilioStandin.url`.

Also here: building and signing the webhooks Twilio sends *to* us (inbound SMS and
delivery status callbacks), since a test that drives our Rasa server over SMS needs
requests exactly like Twilio's, signed with the account's auth token.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from tests.standins.base import (
    DEFAULT_WAIT_TIMEOUT,
    Failure,
    IncomingRequest,
    Reply,
    StandinServer,
)

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "SentSms",
    "TwilioStandin",
    "inbound_sms_params",
    "signed_twilio_webhook",
    "sms_segments",
]

#: Credentials the stand-in accepts unless told otherwise; shaped like real ones.
DEFAULT_ACCOUNT_SID = "AC" + "5ca1ab1e" * 4
DEFAULT_AUTH_TOKEN = "0badc0de" * 4

API_VERSION = "2010-04-01"
MESSAGES_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json$")
MESSAGE_PATH = re.compile(
    rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json$"
)
#: E.164, optionally behind a channel prefix such as ``whatsapp:``.
ADDRESS_PATTERN = re.compile(r"^(?:[a-z]+:)?\+?[1-9]\d{1,14}$")
#: Twilio rejects longer bodies (error 21617) rather than splitting them further.
MAX_BODY_CHARS = 1600
ERROR_DOCS_URL = "https://www.twilio.com/docs/errors/{code}"
#: The operation name the failure schedule uses for message creation.
CREATE_MESSAGE = "messages.create"
#: Twilio's default page size for list requests.
DEFAULT_PAGE_SIZE = 50
#: Seconds to wait for our own webhook endpoint when posting a status callback.
CALLBACK_TIMEOUT = 10.0

# Twilio error codes used by the stand-in.
AUTHENTICATE = 20003
NOT_FOUND = 20404
TOO_MANY_REQUESTS = 20429
INTERNAL_ERROR = 20500
SERVICE_UNAVAILABLE = 20503
INVALID_TO = 21211
BODY_REQUIRED = 21602
FROM_REQUIRED = 21603
TO_REQUIRED = 21604
UNSUBSCRIBED_RECIPIENT = 21610
BODY_TOO_LONG = 21617
#: What Twilio reports for a failed delivery when the carrier says nothing more.
UNKNOWN_DELIVERY_ERROR = 30008

ERROR_MESSAGES: Mapping[int, str] = {
    AUTHENTICATE: "Authenticate",
    TOO_MANY_REQUESTS: "Too Many Requests",
    INTERNAL_ERROR: "An internal server error has occurred",
    SERVICE_UNAVAILABLE: "Service is unavailable. Please try again",
    BODY_REQUIRED: "Message body is required.",
    FROM_REQUIRED: "A 'From' phone number is required.",
    TO_REQUIRED: "A 'To' phone number is required.",
    UNSUBSCRIBED_RECIPIENT: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
    BODY_TOO_LONG: "The concatenated message body exceeds the 1600 character limit.",
}
#: The error code Twilio puts in its JSON when only the HTTP status says what went wrong.
DEFAULT_CODES: Mapping[int, int] = {
    HTTPStatus.UNAUTHORIZED: AUTHENTICATE,
    HTTPStatus.NOT_FOUND: NOT_FOUND,
    HTTPStatus.TOO_MANY_REQUESTS: TOO_MANY_REQUESTS,
    HTTPStatus.INTERNAL_SERVER_ERROR: INTERNAL_ERROR,
    HTTPStatus.SERVICE_UNAVAILABLE: SERVICE_UNAVAILABLE,
}

#: Message statuses Twilio reports in status callbacks.
CALLBACK_STATUSES = frozenset(
    {"queued", "sending", "sent", "delivered", "undelivered", "failed", "read", "canceled"}
)
FAILED_STATUSES = frozenset({"undelivered", "failed"})

# GSM 03.38: the basic character set costs one septet a character, the extension
# table two (an escape plus the character). Anything else forces UCS-2.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7_SINGLE, GSM7_PART = 160, 153  # septets; a concatenated part loses 7 to its header
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units

#: Where inbound webhooks say a number is, by calling code. Twilio leaves city, state
#: and zip blank when it cannot place a (typically mobile) number, as here.
COUNTRY_PREFIXES: tuple[tuple[str, str], ...] = (
    ("+1", "US"),
    ("+44", "GB"),
    ("+61", "AU"),
    ("+49", "DE"),
    ("+33", "FR"),
    ("+353", "IE"),
)


def sms_segments(body: str) -> int:
    """How many SMS segments Twilio bills ``body`` as.

    GSM-7 text fits 160 septets in one SMS, or 153 per part once concatenated, with
    extension characters (``€``, ``[``, …) taking two septets that are never split
    across parts. Any other character switches the whole message to UCS-2: 70 UTF-16
    units, or 67 per part, never splitting a surrogate pair.
    """
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in body):
        costs = [2 if char in GSM7_EXTENSION else 1 for char in body]
        single, part = GSM7_SINGLE, GSM7_PART
    else:
        costs = [2 if ord(char) > 0xFFFF else 1 for char in body]
        single, part = UCS2_SINGLE, UCS2_PART
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments, used = segments + 1, 0
        used += cost
    return segments


def _sid(prefix: str) -> str:
    """A Twilio SID: a two-letter type prefix and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def _rfc2822(moment: datetime) -> str:
    """Twilio's date format, e.g. ``Thu, 24 Aug 2023 05:01:45 +0000``."""
    return format_datetime(moment.astimezone(timezone.utc))


def _phrase(status: int) -> str:
    """The standard reason phrase for an HTTP status, or a generic one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP error {status}"


def _country(number: str) -> str:
    digits = number.split(":", 1)[-1]
    for prefix, country in sorted(COUNTRY_PREFIXES, key=lambda item: -len(item[0])):
        if digits.startswith(prefix):
            return country
    return ""


def inbound_sms_params(
    from_: str,
    to: str,
    body: str,
    message_sid: str | None = None,
    num_media: int = 0,
    *,
    account_sid: str = DEFAULT_ACCOUNT_SID,
) -> dict[str, str]:
    """The form fields of Twilio's webhook for an incoming SMS, in Twilio's order.

    With ``num_media`` > 0, adds ``MediaUrl{i}``/``MediaContentType{i}`` as Twilio does
    for MMS (and uses an ``MM`` SID).
    """
    sid = message_sid or _sid("MM" if num_media else "SM")
    params = {
        "ToCountry": _country(to),
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": str(num_media),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": _country(from_),
        "To": to,
        "ToZip": "",
        "NumSegments": str(sms_segments(body)),
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
    }
    for index in range(num_media):
        params[f"MediaContentType{index}"] = "image/jpeg"
        params[f"MediaUrl{index}"] = (
            f"https://api.twilio.com/{API_VERSION}/Accounts/{account_sid}"
            f"/Messages/{sid}/Media/{_sid('ME')}"
        )
    return params


def signed_twilio_webhook(
    url: str, params: Mapping[str, str], auth_token: str = DEFAULT_AUTH_TOKEN
) -> tuple[bytes, dict[str, str]]:
    """A webhook body and headers exactly as Twilio would POST ``params`` to ``url``.

    The ``X-Twilio-Signature`` is computed by the official library's validator over
    the full ``url`` (query string included), so ``url`` must be the address our
    server sees the request at.
    """
    signature = RequestValidator(auth_token).compute_signature(url, dict(params))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        "User-Agent": "TwilioProxy/1.1",
    }
    return urlencode(params).encode("utf-8"), headers


@dataclass(frozen=True)
class SentSms:
    """A message our code asked Twilio to send, as the stand-in accepted it."""

    to: str
    from_: str | None
    body: str
    status_callback: str | None
    sid: str
    num_segments: int
    received_at: datetime
    messaging_service_sid: str | None = None
    media_urls: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict, repr=False)


class TwilioStandin(StandinServer):
    """Twilio's Messages API on a local port.

    Routes: ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (send),
    ``GET …/Messages/{MessageSid}.json`` (fetch) and ``GET …/Messages.json`` (list).
    Only message creation consults the failure schedule; fetches always work.
    """

    name = "Twilio stand-in"

    def __init__(
        self, account_sid: str = DEFAULT_ACCOUNT_SID, auth_token: str = DEFAULT_AUTH_TOKEN
    ) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._sent: list[SentSms] = []
        self._resources: dict[str, dict[str, Any]] = {}

    # -- record ----------------------------------------------------------------------

    @property
    def messages(self) -> list[SentSms]:
        """Messages accepted (201), in order. Failed creates are only in ``requests``."""
        with self._lock:
            return list(self._sent)

    def messages_to(self, number: str) -> list[SentSms]:
        """Accepted messages addressed to ``number``."""
        return [message for message in self.messages if message.to == number]

    def wait_for_messages(self, count: int, timeout: float = DEFAULT_WAIT_TIMEOUT) -> list[SentSms]:
        """Block until ``count`` messages were accepted; on timeout, fail saying what came."""
        return self._wait_for(lambda: list(self._sent), count, timeout, "SMS")

    async def wait_for_messages_async(
        self, count: int, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> list[SentSms]:
        """:meth:`wait_for_messages` for tests whose sender runs on the same event loop."""
        return await self._wait_for_async(lambda: list(self._sent), count, timeout, "SMS")

    def message_resource(self, sid: str) -> dict[str, Any]:
        """The Message JSON Twilio would return for ``sid`` now."""
        with self._lock:
            return dict(self._resources[sid])

    def _clear_records(self) -> None:
        self._sent.clear()
        self._resources.clear()

    # -- failure control -------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        status: int = HTTPStatus.INTERNAL_SERVER_ERROR,
        code: int | None = None,
        message: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Fail the next ``n`` message creates with this HTTP status and Twilio code."""
        self.failures.fail_next(n, Failure(status, code, message, retry_after), CREATE_MESSAGE)

    def fail_for(
        self,
        seconds: float,
        status: int = HTTPStatus.INTERNAL_SERVER_ERROR,
        code: int | None = None,
        message: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Fail every message create for ``seconds`` (an outage)."""
        failure = Failure(status, code, message, retry_after)
        self.failures.fail_for(seconds, failure, CREATE_MESSAGE)

    def fail_to(
        self,
        number: str,
        status: int = HTTPStatus.BAD_REQUEST,
        code: int = UNSUBSCRIBED_RECIPIENT,
        message: str | None = None,
    ) -> None:
        """Fail every message to ``number`` until :meth:`reset` (opted out, blocked…)."""
        self.failures.fail_target(number, Failure(status, code, message))

    # -- webhooks Twilio sends to us ------------------------------------------------

    def send_status_callback(self, sid: str, status: str, error_code: int | None = None) -> int:
        """POST a signed delivery status callback for message ``sid`` to its StatusCallback.

        Updates the stored message (what a fetch returns) first, as Twilio does.
        ``error_code`` is sent only for ``failed``/``undelivered``, defaulting to
        30008. Returns the HTTP status our endpoint answered with.
        """
        if status not in CALLBACK_STATUSES:
            raise ValueError(f"not a Twilio message status: {status!r}")
        with self._lock:
            sent = next((message for message in self._sent if message.sid == sid), None)
            if sent is None:
                raise KeyError(f"no message {sid} was sent through {self.name}")
            if not sent.status_callback:
                raise ValueError(f"message {sid} was sent without a StatusCallback")
            failed = status in FAILED_STATUSES
            code = (error_code or UNKNOWN_DELIVERY_ERROR) if failed else None
            now = datetime.now(timezone.utc)
            resource = self._resources[sid]
            resource.update(status=status, error_code=code, date_updated=_rfc2822(now))
            if status in ("sent", "delivered", "read") and resource["date_sent"] is None:
                resource["date_sent"] = _rfc2822(now)
            params = {
                "SmsSid": sid,
                "SmsStatus": status,
                "MessageStatus": status,
                "To": sent.to,
                "MessageSid": sid,
                "AccountSid": self.account_sid,
                "From": resource["from"] or "",
                "ApiVersion": API_VERSION,
            }
            if sent.messaging_service_sid:
                params["MessagingServiceSid"] = sent.messaging_service_sid
            if code is not None:
                params["ErrorCode"] = str(code)
            url = sent.status_callback
        body, headers = signed_twilio_webhook(url, params, self.auth_token)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    # -- the API ---------------------------------------------------------------------

    def decode_params(self, request: IncomingRequest) -> dict[str, Any]:
        """Form fields (and query parameters): one value as a string, repeats as a list.

        ``MediaUrl`` is always a list, since Twilio reads it as one.
        """
        merged: dict[str, list[str]] = {}
        for source in (request.query, request.form):
            for key, values in source.items():
                merged.setdefault(key, []).extend(values)
        return {
            key: values if key == "MediaUrl" or len(values) > 1 else values[0]
            for key, values in merged.items()
        }

    def respond(self, request: IncomingRequest, params: Mapping[str, Any]) -> Reply:
        if not self._authenticated(request):
            return self._error(HTTPStatus.UNAUTHORIZED, AUTHENTICATE)
        create = MESSAGES_PATH.match(request.path)
        fetch = MESSAGE_PATH.match(request.path)
        match = create or fetch
        if match is None:
            return self._not_found(request.path)
        if match["account"] != self.account_sid:
            return self._error(HTTPStatus.UNAUTHORIZED, AUTHENTICATE)
        if create and request.method == "POST":
            return self._create(request, params)
        if create and request.method == "GET":
            return self._list(request.path, params)
        if fetch and request.method == "GET" and fetch["sid"] in self._resources:
            return Reply(HTTPStatus.OK, dict(self._resources[fetch["sid"]]))
        return self._not_found(request.path)

    def render_failure(self, failure: Failure, request: IncomingRequest) -> Reply:
        code = failure.code or DEFAULT_CODES.get(failure.status, failure.status)
        headers = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
        return self._error(failure.status, code, failure.message, headers)

    def _authenticated(self, request: IncomingRequest) -> bool:
        scheme, _, encoded = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        username, _, password = decoded.partition(":")
        return username == self.account_sid and secrets.compare_digest(
            password.encode(), self.auth_token.encode()
        )

    def _create(self, request: IncomingRequest, params: Mapping[str, Any]) -> Reply:
        to = str(params.get("To") or "")
        failure = self.scheduled_failure(request, CREATE_MESSAGE, target=to)
        if failure is not None:
            return failure
        from_ = params.get("From") or None
        service = params.get("MessagingServiceSid") or None
        body = str(params.get("Body") or "")
        media_urls = tuple(params.get("MediaUrl", ()))
        if not to:
            return self._error(HTTPStatus.BAD_REQUEST, TO_REQUIRED)
        if not ADDRESS_PATTERN.match(to):
            message = f"The 'To' number {to} is not a valid phone number."
            return self._error(HTTPStatus.BAD_REQUEST, INVALID_TO, message)
        if not from_ and not service:
            return self._error(HTTPStatus.BAD_REQUEST, FROM_REQUIRED)
        if not body and not media_urls:
            return self._error(HTTPStatus.BAD_REQUEST, BODY_REQUIRED)
        if len(body) > MAX_BODY_CHARS:
            return self._error(HTTPStatus.BAD_REQUEST, BODY_TOO_LONG)

        now = datetime.now(timezone.utc)
        sid = _sid("MM" if media_urls else "SM")
        segments = sms_segments(body)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        resource = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": _rfc2822(now),
            "date_sent": None,
            "date_updated": _rfc2822(now),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": str(len(media_urls)),
            "num_segments": str(segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # Twilio picks the sender later for a service without From: "accepted".
            "status": "queued" if from_ else "accepted",
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": to,
            "uri": uri,
        }
        self._resources[sid] = resource
        self._sent.append(
            SentSms(
                to=to,
                from_=from_,
                body=body,
                status_callback=params.get("StatusCallback") or None,
                sid=sid,
                num_segments=segments,
                received_at=now,
                messaging_service_sid=service,
                media_urls=media_urls,
                params=dict(params),
            )
        )
        return Reply(HTTPStatus.CREATED, dict(resource), {"Twilio-Request-Id": _sid("RQ")})

    def _list(self, path: str, params: Mapping[str, Any]) -> Reply:
        """One page of messages, newest first, filtered by To/From like Twilio's list."""
        page_size = int(params.get("PageSize") or DEFAULT_PAGE_SIZE)
        found = [
            resource
            for resource in reversed(self._resources.values())
            if params.get("To") in (None, resource["to"])
            and params.get("From") in (None, resource["from"])
        ][:page_size]
        uri = f"{path}?PageSize={page_size}&Page=0"
        return Reply(
            HTTPStatus.OK,
            {
                "messages": [dict(resource) for resource in found],
                "end": max(len(found) - 1, 0),
                "first_page_uri": uri,
                "next_page_uri": None,
                "page": 0,
                "page_size": page_size,
                "previous_page_uri": None,
                "start": 0,
                "uri": uri,
            },
        )

    def _not_found(self, path: str) -> Reply:
        message = f"The requested resource {path} was not found"
        return self._error(HTTPStatus.NOT_FOUND, NOT_FOUND, message)

    @staticmethod
    def _error(
        status: int,
        code: int,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Twilio's error JSON, which ``twilio`` turns into ``TwilioRestException``."""
        payload = {
            "code": int(code),
            "message": message or ERROR_MESSAGES.get(code) or _phrase(status),
            "more_info": ERROR_DOCS_URL.format(code=code),
            "status": int(status),
        }
        if status == HTTPStatus.UNAUTHORIZED:
            headers = {**(headers or {}), "WWW-Authenticate": 'Basic realm="Twilio API"'}
        return Reply(status, payload, headers or {})
