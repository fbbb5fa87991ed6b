"""The dashboard's HTTP defences: signed cookies, CSRF tokens, security headers.

- The browser holds one cookie, signed with ``WISEMIND_DASHBOARD_SECRET``
  (itsdangerous): the CSRF token, and after login the session token. It is
  HttpOnly, SameSite=Strict, and Secure whenever the dashboard is served over
  HTTPS. What a session may do is decided server-side (:mod:`.auth`).
- CSRF: every form carries the token in a hidden field, every HTMX request in
  the ``X-CSRF-Token`` header (``static/dashboard.js`` sets ``hx-headers``
  from the page's ``<meta name="csrf-token">``). A POST without the cookie's
  token is refused. The token changes at login, so one planted before cannot
  be used after.
- A second signed cookie names this browser (a random id) and remembers the
  accounts that logged in from it (ids only, for months): such a "known
  device" is spared the lock-outs strangers get (:mod:`.auth`), so guessers
  elsewhere, or at the same clinic address, cannot lock a therapist out of
  their own browser.
- Headers: a Content-Security-Policy that allows no inline script or style and
  no framing, ``nosniff``, ``no-referrer`` (page URLs carry ids only, but no
  URL leaves for another site either), ``no-store`` on every page, and HSTS
  on requests that came over HTTPS.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "wisemind_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: A login never outlives a working day (``auth.SESSION_LONGEST``, however busy the
#: cookie's re-signing keeps it); it ends sooner when idle.
COOKIE_MAX_AGE_SECONDS = 12 * 60 * 60
_SALT = "wisemind.dashboard.cookie"
DEVICE_COOKIE_NAME = "wisemind_device"
DEVICE_COOKIE_MAX_AGE_SECONDS = 180 * 24 * 60 * 60
#: Accounts a browser remembers (a shared clinic computer): the most recent ones.
DEVICE_ACCOUNTS_KEPT = 8
_DEVICE_SALT = "wisemind.dashboard.device"
DEVICE_ID_BYTES = 12

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
STATIC_PREFIX = "/static/"
#: Sent over HTTPS only: browsers then refuse plain HTTP to the dashboard for a year.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


@dataclass(frozen=True)
class Device:
    """What the device cookie carries: this browser's id, and the accounts that logged in here."""

    id: str
    accounts: tuple[int, ...] = ()

    @classmethod
    def fresh(cls) -> Device:
        return cls(id=secrets.token_urlsafe(DEVICE_ID_BYTES))

    def knows(self, account_id: int | None) -> bool:
        return account_id is not None and account_id in self.accounts


@dataclass(frozen=True)
class CookieState:
    """What the signed cookie carries: the CSRF token, and the login token once logged in."""

    csrf: str
    session_token: str | None = None

    @classmethod
    def fresh(cls) -> CookieState:
        return cls(csrf=secrets.token_urlsafe(32))


class CookieSigner:
    """Signs and checks the dashboard cookie."""

    def __init__(self, secret: str) -> None:
        if len(secret) < 32:
            raise ValueError("the dashboard secret must be at least 32 characters")
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self._devices = URLSafeTimedSerializer(secret, salt=_DEVICE_SALT)

    def dumps(self, state: CookieState) -> str:
        return self._serializer.dumps({"c": state.csrf, "s": state.session_token})

    def loads(self, raw: str | None) -> CookieState:
        """The cookie's state; a fresh one for a missing, forged or expired cookie."""
        if not raw:
            return CookieState.fresh()
        try:
            data = self._serializer.loads(raw, max_age=COOKIE_MAX_AGE_SECONDS)
        except BadSignature:
            return CookieState.fresh()
        csrf, token = data.get("c"), data.get("s")
        if not isinstance(csrf, str) or not csrf:
            return CookieState.fresh()
        return CookieState(csrf=csrf, session_token=token if isinstance(token, str) else None)

    def dumps_device(self, device: Device) -> str:
        accounts = list(device.accounts[-DEVICE_ACCOUNTS_KEPT:])
        return self._devices.dumps({"d": device.id, "a": accounts})

    def loads_device(self, raw: str | None) -> Device:
        """This browser's device; a fresh one (no accounts) for a missing, forged or old cookie.

        A cookie from before browsers had ids (a bare list of accounts) keeps its
        accounts and gets an id, written back at the next login.
        """
        if not raw:
            return Device.fresh()
        try:
            data = self._devices.loads(raw, max_age=DEVICE_COOKIE_MAX_AGE_SECONDS)
        except BadSignature:
            return Device.fresh()
        if isinstance(data, list):
            data = {"a": data}
        if not isinstance(data, dict) or not isinstance(data.get("a"), list):
            return Device.fresh()
        device_id = data.get("d")
        accounts = tuple(item for item in data["a"] if isinstance(item, int))
        if not isinstance(device_id, str) or not device_id:
            return Device(Device.fresh().id, accounts)
        return Device(device_id, accounts)


def csrf_matches(expected: str, supplied: str | None) -> bool:
    """Constant-time comparison of the cookie's token with the one a request sent."""
    return bool(supplied) and hmac.compare_digest(expected.encode(), str(supplied).encode())


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every response, and ``no-store`` to every page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_page = not str(scope.get("path", "")).startswith(STATIC_PREFIX)
        over_https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if is_page:
                    headers["Cache-Control"] = "no-store"
                if over_https:
                    headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
            await send(message)

        await self.app(scope, receive, send_with_headers)
