"""The dashboard as ``wisemind run`` starts it, next to the real Rasa server and scheduler."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from bot.demo import CREDENTIALS_FILENAME
from tests.servers import (
    DEMO_THERAPIST,
    PRIMARY_ON_CALL,
    Phone,
    RunningWiseMind,
    enrol_client,
    new_phone,
    poll_until,
)
from tests.standins import TelegramStandin, TwilioStandin

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def demo_password(server: RunningWiseMind, email: str) -> str:
    lines = (Path(server.env["WISEMIND_VAR_DIR"]) / CREDENTIALS_FILENAME).read_text().splitlines()
    return next(line.split(" ", 1)[1] for line in lines if line.startswith(f"{email} "))


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
    dashboard = wisemind.env["WISEMIND_DASHBOARD_URL"]
    assert link.group(1).startswith(f"{dashboard}/escalations/")

    with httpx.Client(base_url=dashboard, follow_redirects=True, timeout=30) as browser:
        login_page = browser.get(link.group(1))
        assert login_page.url.path == "/login"
        csrf = CSRF_META.search(login_page.text)
        assert csrf is not None
        opened = browser.post(
            "/login",
            data={
                "email": DEMO_THERAPIST,
                "password": demo_password(wisemind, DEMO_THERAPIST),
                "csrf_token": csrf.group(1),
                "next": httpx.URL(link.group(1)).path,
            },
        )
        assert opened.status_code == 200 and opened.url == httpx.URL(link.group(1))
        assert "take them all tonight" in opened.text
        assert "paged" in opened.text  # the timeline of the real page
        caseload = browser.get("/caseload").text
        assert "Jordan Run" in caseload and "Demo Client" in caseload
