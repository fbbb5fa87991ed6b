"""The dashboard as ``wisemind run`` starts it, next to the real Rasa server and scheduler.

Pages link to the clinic's public dashboard address (``https://…``, a TLS
proxy in front in production); here the test talks to the dashboard's own
port, carrying the session cookie itself as the proxy would (the cookie is
Secure, since the public address is https).
"""

from __future__ import annotations

import re

import httpx
from sqlalchemy import update

from bot.dashboard.security import COOKIE_NAME
from bot.passwords import hash_password
from bot.storage import session_scope
from bot.storage.models import Therapist
from tests.servers import (
    CLINIC_THERAPIST,
    DASHBOARD_URL,
    PRIMARY_ON_CALL,
    Phone,
    RunningWiseMind,
    enrol_client,
    new_phone,
    poll_until,
)
from tests.standins import TelegramStandin, TwilioStandin

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PASSWORD = "a password for the run test"


class ProxiedBrowser:
    """Requests to the dashboard's port with the cookie carried by hand (see module docstring)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, **options: object) -> httpx.Response:
        headers = {"Cookie": f"{COOKIE_NAME}={self.cookie}"} if self.cookie else {}
        reply = self.http.request(method, path, headers=headers, **options)  # type: ignore[arg-type]
        for set_cookie in reply.headers.get_list("set-cookie"):
            assert "secure" in set_cookie.lower()
            match = re.match(rf"{COOKIE_NAME}=([^;]+)", set_cookie)
            if match:
                self.cookie = match.group(1)
        return reply


def test_the_page_link_of_a_real_crisis_sms_opens_the_escalation_in_the_dashboard(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    twilio, _ = providers
    with session_scope(wisemind.engine) as session:
        session.execute(
            update(Therapist)
            .where(Therapist.email == CLINIC_THERAPIST)
            .values(password_hash=hash_password(PASSWORD))
        )
    phone = Phone(wisemind, twilio, new_phone())
    code = enrol_client(wisemind, consented=True, name="Jordan Run", sms_number=phone.number)
    status, _ = phone.text("i have the pills here and i am going to take them all tonight")
    assert status == 200
    pages = poll_until(
        lambda: [sms.body for sms in twilio.messages_to(PRIMARY_ON_CALL) if code in sms.body],
        bool,
    )
    assert pages, "the on-call therapist was not paged"
    link = re.search(rf"Review: {re.escape(DASHBOARD_URL)}(/escalations/\d+) ", pages[0])
    assert link is not None, pages[0]
    path = link.group(1)

    browser = ProxiedBrowser(f"http://127.0.0.1:{wisemind.env['WISEMIND_DASHBOARD_PORT']}")
    login = browser.request("GET", path)
    assert login.status_code == 303 and login.headers["location"] == f"/login?next={path}"
    form = browser.request("GET", login.headers["location"])
    csrf = CSRF_META.search(form.text)
    assert csrf is not None
    logged_in = browser.request(
        "POST",
        "/login",
        data={"email": CLINIC_THERAPIST, "password": PASSWORD, "csrf_token": csrf.group(1),
              "next": path},
    )  # fmt: skip
    assert logged_in.status_code == 303 and logged_in.headers["location"] == path
    opened = browser.request("GET", path)
    assert opened.status_code == 200
    assert "take them all tonight" in opened.text
    assert "paged" in opened.text  # the timeline of the real page
    assert "Jordan Run" in browser.request("GET", "/caseload").text
