"""The dashboard as ``wisemind run`` starts it, next to the real Rasa server and scheduler."""

from __future__ import annotations

import re

import httpx

from bot.clinic import therapist_by_email
from bot.passwords import hash_password
from bot.storage import session_scope
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


PASSWORD = "a long password for the on-call therapist"


def set_password(server: RunningWiseMind, email: str) -> None:
    """Give a test-clinic therapist a known password (the clinic's are generated)."""
    with session_scope(server.engine) as session:
        therapist = therapist_by_email(session, email)
        assert therapist is not None
        therapist.password_hash = hash_password(PASSWORD)


def test_the_page_link_of_a_real_crisis_sms_opens_the_escalation_in_the_dashboard(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    twilio, _ = providers
    phone = Phone(wisemind, twilio, new_phone())
    code = enrol_client(wisemind, consented=True, name="Jordan Run", sms_number=phone.number)
    status, _ = phone.text("i have the pills here and i am going to take them all tonight")
    assert status == 200
    pages = poll_until(
        lambda: [sms.body for sms in twilio.messages_to(PRIMARY_ON_CALL) if code in sms.body],
        bool,
    )
    assert pages, "the on-call therapist was not paged"
    link = re.search(r"Review: (\S+)", pages[0])
    assert link is not None
    assert link.group(1).startswith(f"{DASHBOARD_URL}/escalations/")
    # The public address is the clinic's proxy; here the dashboard listens on loopback.
    dashboard = f"http://127.0.0.1:{wisemind.env['WISEMIND_DASHBOARD_PORT']}"
    path = httpx.URL(link.group(1)).path
    set_password(wisemind, CLINIC_THERAPIST)

    with httpx.Client(base_url=dashboard, follow_redirects=True, timeout=30) as browser:
        login_page = browser.get(path)
        assert login_page.url.path == "/login"
        csrf = CSRF_META.search(login_page.text)
        assert csrf is not None
        opened = browser.post(
            "/login",
            data={
                "email": CLINIC_THERAPIST,
                "password": PASSWORD,
                "csrf_token": csrf.group(1),
                "next": path,
            },
        )
        assert opened.status_code == 200 and opened.url.path == path
        assert "take them all tonight" in opened.text
        assert "paged" in opened.text  # the timeline of the real page
        caseload = browser.get("/caseload").text
        assert "Jordan Run" in caseload
