"""The dashboard in a real browser: Playwright driving Debian's Chromium, headless.

The dashboard runs in this process under uvicorn on a free port, on a
temporary SQLite database; pages and take-over messages leave through the
real outbox to the Twilio stand-in. The check-in test serves it on the
database of the session's real ``wisemind run`` instead, so that the question
goes out through Rasa and the client's SMS answer comes back through it.
Screenshots of each step are kept in ``tests/artifacts/`` (git-ignored) for
a person to look at.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)
from sqlalchemy import select

from bot.clinic import client_by_code, therapist_by_email
from bot.passwords import hash_password
from bot.settings import load_settings
from bot.storage import session_scope
from bot.storage.enums import EscalationStatus
from bot.storage.models import AuditLog, DiaryEntry, Escalation, Therapist, utcnow
from tests.dashboard_support import (
    ALICE_PHONE,
    CLIENT_A_PHONE,
    PASSWORD,
    LiveDashboard,
    audit_rows,
    serving,
)
from tests.servers import (
    CLINIC_THERAPIST,
    Phone,
    RunningWiseMind,
    enrol_client,
    new_phone,
    reminder_scheduler,
)
from tests.standins import TelegramStandin, TwilioStandin

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PHONE_VIEWPORT = {"width": 390, "height": 844}
PAGE_LINK = re.compile(r"Review: (\S+)")
DIARY_DAYS = 25


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


class Watched:
    """A page whose console errors (CSP violations among them) and dialogs are recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} (from {message.location.get('url')})")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.click("main button[type=submit]")

    def fits_the_screen(self) -> None:
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than the screen"


def watched(context: BrowserContext) -> Watched:
    return Watched(context.new_page())


def add_diary_cards(dashboard: LiveDashboard, client_id: int) -> None:
    today = utcnow().date()
    with session_scope(dashboard.clinic.engine) as session:
        for days_ago in range(DIARY_DAYS, 0, -1):
            if days_ago % 7 == 3:
                continue  # a missed day: the line breaks there
            level = min(5, days_ago // 5)
            session.add(
                DiaryEntry(
                    client_id=client_id,
                    entry_date=today - timedelta(days=days_ago),
                    urge_suicide=max(0, level - 2),
                    urge_self_harm=level,
                    urge_use=1,
                    sadness=level,
                    anger=2,
                    fear=3,
                    shame=level,
                    joy=5 - level,
                    skills_used=7 - level,
                )
            )


def page_link(twilio_api: TwilioStandin) -> str:
    """The dashboard link in the page the on-call therapist received by SMS."""
    pages = [sms.body for sms in twilio_api.messages_to(ALICE_PHONE)]
    assert pages, "no page reached the on-call therapist"
    match = PAGE_LINK.search(pages[-1])
    assert match, pages[-1]
    return match.group(1)


def test_a_therapist_works_an_escalation_from_the_page_link_to_hand_back(
    live_dashboard: LiveDashboard, context: BrowserContext, twilio_api: TwilioStandin
) -> None:
    clinic = live_dashboard.clinic
    add_diary_cards(live_dashboard, clinic.client_a)
    outcome = clinic.risky_message(clinic.client_a, "i can't go on, i want to kill myself")
    clinic.send_outbox()
    link = page_link(twilio_api)
    assert link == f"{live_dashboard.url}/escalations/{outcome.escalation_id}"
    tab = watched(context)
    page = tab.page

    # The page link asks for a login first, then opens the escalation.
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    tab.shot("01-login")
    tab.log_in(clinic.alice)
    expect(page).to_have_url(link)
    expect(page.locator("#evidence")).to_contain_text("i want to kill myself")
    tab.shot("02-escalation-open")

    # Acknowledge and resolve (HTMX swaps the panel in place).
    page.click("#acknowledge")
    expect(page.locator("#escalation .status-acknowledged").first).to_be_visible()
    page.fill("#note", "Called Casey; safe with her sister tonight; session tomorrow.")
    page.click("#resolve")
    expect(page.locator("#resolution-note")).to_contain_text("safe with her sister")
    expect(page.locator("#timeline")).to_contain_text("acknowledged")
    tab.shot("03-escalation-resolved")
    with session_scope(clinic.engine) as session:
        escalation = session.get(Escalation, outcome.escalation_id)
        assert escalation is not None and escalation.status == EscalationStatus.RESOLVED

    # The caseload, then the client's page with its charts.
    page.click("text=Caseload")
    expect(page.locator("#caseload")).to_contain_text("Casey Alpha")
    expect(page.locator("#caseload")).not_to_contain_text("Drew Beta")
    tab.shot("04-caseload")
    page.click("text=Casey Alpha")
    expect(page.locator("figure.chart")).to_have_count(3)
    lines = page.locator("figure.chart path.series-line")
    assert lines.count() >= 9  # urges 3, emotions 5, skills 1
    assert page.locator("figure.chart svg").first.bounding_box()["height"] > 100  # type: ignore[index]
    expect(page.locator("figure.chart").first).to_contain_text("self-harm")
    tab.shot("05-client-charts")
    page.click("text=90 days")
    expect(page.locator(".window-picker a.current")).to_have_text("90 days")

    # Take over, write, hand back: the client's phone gets each message.
    page.click("#take-over")
    expect(page.locator("#takeover")).to_contain_text("the bot is silent")
    page.fill("#takeover-text", "Hi Casey, it's Alice. I'm here. Can you call me at 5?")
    page.click("#send-message")
    expect(page.locator("#takeover-text")).to_have_value("")
    clinic.send_outbox()
    to_client = [sms.body for sms in twilio_api.messages_to(CLIENT_A_PHONE)]
    assert "Alice Ng from your care team is writing to you here now" in to_client[0]
    assert to_client[1] == "Hi Casey, it's Alice. I'm here. Can you call me at 5?"
    page.reload()
    expect(page.locator("#transcript")).to_contain_text("Alice Ng (therapist)")
    tab.shot("06-take-over")
    page.click("#hand-back")
    expect(page.locator("#take-over")).to_be_visible()
    clinic.send_outbox()
    assert "handed you back" in twilio_api.messages_to(CLIENT_A_PHONE)[-1].body

    # Log out: the pages are closed again.
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(f"{live_dashboard.url}/caseload")
    expect(page).to_have_url(re.compile(r"/login"))
    tab.shot("07-logged-out")

    # What she looked at is in the audit log, with where from.
    with session_scope(clinic.engine) as session:
        alice = session.execute(
            select(Therapist).where(Therapist.email == clinic.alice)
        ).scalar_one()
        actions = {
            row.action
            for row in session.execute(
                select(AuditLog).where(
                    AuditLog.actor_therapist_id == alice.id, AuditLog.ip.is_not(None)
                )
            ).scalars()
        }
    assert {
        "login",
        "view_escalation",
        "acknowledge_escalation",
        "resolve_escalation",
        "view_caseload",
        "view_client",
        "takeover_start",
        "takeover_message",
        "takeover_hand_back",
        "logout",
    } <= actions
    assert tab.errors == []  # no CSP violation, no missing file


def test_the_page_link_works_on_a_phone_sized_screen(
    live_dashboard: LiveDashboard, chromium: Browser, twilio_api: TwilioStandin
) -> None:
    clinic = live_dashboard.clinic
    clinic.risky_message(clinic.client_a, "i'm going to end my life tonight")
    clinic.send_outbox()
    context = chromium.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    try:
        tab = watched(context)
        tab.page.goto(page_link(twilio_api))
        tab.log_in(clinic.alice)
        expect(tab.page.locator("#acknowledge")).to_be_visible()
        tab.fits_the_screen()
        tab.shot("08-phone-escalation")
        tab.page.click("#acknowledge")
        expect(tab.page.locator("#escalation .status-acknowledged").first).to_be_visible()
        tab.page.goto(f"{live_dashboard.url}/clients/{clinic.client_a}")
        expect(tab.page.locator("figure.chart")).to_have_count(3)
        tab.shot("09-phone-client")
        assert tab.errors == []
    finally:
        context.close()


def test_a_therapist_cannot_open_another_therapists_client_in_the_browser(
    live_dashboard: LiveDashboard, context: BrowserContext
) -> None:
    clinic = live_dashboard.clinic
    tab = watched(context)
    tab.page.goto(f"{live_dashboard.url}/login")
    tab.log_in(clinic.alice)
    reply = tab.page.goto(f"{live_dashboard.url}/clients/{clinic.client_b}")
    assert reply is not None and reply.status == 403
    expect(tab.page.locator("main")).to_contain_text("another therapist's caseload")
    expect(tab.page.locator("main")).not_to_contain_text("Drew Beta")
    tab.shot("10-forbidden")


def test_a_post_without_the_csrf_token_is_refused_in_the_browser(
    live_dashboard: LiveDashboard, context: BrowserContext
) -> None:
    clinic = live_dashboard.clinic
    outcome = clinic.risky_message(clinic.client_a, "i want to kill myself")
    tab = watched(context)
    tab.page.goto(f"{live_dashboard.url}/login")
    tab.log_in(clinic.alice)
    expect(tab.page).to_have_url(re.compile(r"/caseload"))
    forged = context.request.post(
        f"{live_dashboard.url}/escalations/{outcome.escalation_id}/acknowledge",
        form={"note": "forged"},
        max_redirects=0,
    )
    assert forged.status == 403
    with session_scope(clinic.engine) as session:
        escalation = session.get(Escalation, outcome.escalation_id)
        assert escalation is not None and escalation.status == EscalationStatus.OPEN


def test_script_and_onerror_payloads_in_client_messages_stay_inert(
    live_dashboard: LiveDashboard, context: BrowserContext
) -> None:
    clinic = live_dashboard.clinic
    payloads = ("<script>alert('xss')</script>", '<img src=x onerror="alert(1)">')
    outcome = clinic.risky_message(clinic.client_a, f"i want to kill myself {payloads[0]}")
    clinic.client_texts(clinic.client_a, f"look {payloads[1]}")
    tab = watched(context)
    tab.page.goto(f"{live_dashboard.url}/escalations/{outcome.escalation_id}")
    tab.log_in(clinic.alice)
    expect(tab.page.locator("#evidence")).to_contain_text(payloads[0])
    tab.page.goto(f"{live_dashboard.url}/clients/{clinic.client_a}")
    expect(tab.page.locator("#transcript")).to_contain_text(payloads[1])
    assert tab.page.locator("#transcript img").count() == 0
    assert tab.page.locator("main script").count() == 0
    tab.shot("11-xss-as-text")
    assert tab.dialogs == [] and tab.errors == []


def test_an_admin_adds_a_therapist_puts_them_on_the_rota_and_they_log_in(
    live_dashboard: LiveDashboard, chromium: Browser
) -> None:
    clinic = live_dashboard.clinic
    desk = chromium.new_context(viewport={"width": 1280, "height": 900})
    phone = chromium.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    try:
        admin = watched(desk)
        page = admin.page
        page.goto(f"{live_dashboard.url}/login")
        admin.log_in(clinic.admin)
        page.click("header >> text=Clinic")
        expect(page.locator("#rota-gaps")).to_contain_text("backup: nobody at any time")

        page.click("#add-staff-form summary")
        page.fill("#staff-name", "Cara Diaz")
        page.fill("#staff-email", "cara@clinic.test")
        page.fill("#staff-sms", "+1 555 000 0103")
        page.click("#add-staff")
        expect(page.locator("#notice")).to_contain_text("Added Cara Diaz")
        initial = page.locator("#initial-password").inner_text()
        admin.shot("12-admin-added-therapist")

        # The rota: weekday office hours as backup; the gaps left show as the form is filled.
        page.click("#add-shift summary")
        page.select_option("#shift-therapist", "cara@clinic.test")
        page.select_option("#shift-role", "backup")
        for day in range(5):
            page.check(f"#shift-days input[value='{day}']")
        page.fill("#shift-start", "09:00")
        page.fill("#shift-end", "17:00")
        expect(page.locator("#rota-preview")).to_contain_text(
            "backup: nobody from Fri 17:00 to Mon 09:00"
        )
        admin.shot("13-rota-preview")
        page.click("#add-shift-button")
        expect(page.locator("#rota-shifts")).to_contain_text("Cara Diaz")
        expect(page.locator("#rota-gaps")).to_contain_text("nobody from Fri 17:00 to Mon 09:00")
        expect(page.locator("#rota-gaps")).not_to_contain_text("nobody at any time")
        page.click("#logout")
        assert admin.errors == []

        # Cara logs in on her phone with the password she was given, and chooses her own.
        cara = watched(phone)
        cara.page.goto(f"{live_dashboard.url}/login")
        cara.log_in("cara@clinic.test", initial)
        expect(cara.page).to_have_url(re.compile(r"/password"))
        cara.page.fill("#current-password", initial)
        cara.page.fill("#new-password", "cara's own long passphrase")
        cara.page.fill("#repeat-password", "cara's own long passphrase")
        cara.page.click("#save-password")
        expect(cara.page).to_have_url(re.compile(r"/caseload"))
        expect(cara.page.locator("#account")).to_contain_text("Cara Diaz")
        cara.fits_the_screen()
        cara.shot("14-phone-new-therapist")
        assert cara.errors == []
    finally:
        desk.close()
        phone.close()
    actions = {row.action for row in audit_rows(clinic, "add_staff")} | {
        row.action for row in audit_rows(clinic, "add_oncall_shift")
    }
    assert actions == {"add_staff", "add_oncall_shift"}


def test_a_therapist_schedules_a_check_in_and_reads_the_answer_the_client_texted(
    wisemind: RunningWiseMind,
    providers: tuple[TwilioStandin, TelegramStandin],
    chromium: Browser,
    tmp_path: Path,
) -> None:
    """Real Rasa: the scheduler asks by SMS, the client answers, the page shows the answer."""
    twilio, _ = providers
    phone = Phone(wisemind, twilio, new_phone())
    phone.code = enrol_client(
        wisemind, consented=True, name="Jamie Checkin", sms_number=phone.number
    )
    with session_scope(wisemind.engine) as session:
        therapist = therapist_by_email(session, CLINIC_THERAPIST)
        client = client_by_code(session, phone.code)
        assert therapist is not None and client is not None
        therapist.password_hash = hash_password(PASSWORD)
        # Tests run at any hour: quiet hours would hold the question until the morning.
        client.quiet_start = client.quiet_end = client.quiet_start.replace(hour=0, minute=0)
        client_id = client.id
    settings = dataclasses.replace(
        load_settings(), database_url=wisemind.database_url, dashboard_secret="s" * 40
    )
    question = "How did the talk with your mom go?"
    answer = "<b>better</b> than I expected honestly"
    context = chromium.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    with (
        serving(settings, wisemind.engine) as served,
        reminder_scheduler(wisemind, tmp_path / "scheduler.log"),
    ):
        try:
            tab = watched(context)
            page = tab.page
            page.goto(f"{served.dashboard_url}/clients/{client_id}")
            tab.log_in(CLINIC_THERAPIST)
            expect(page.locator("h1")).to_contain_text("Jamie Checkin")
            # Once, now: the form starts at the client's current time.
            page.fill("#checkin-question", question)
            expect(page.locator("#checkin-once")).to_be_checked()
            page.click("#schedule-checkin")
            expect(page.locator("#checkins .checkin-question")).to_have_text(question)
            expect(page.locator("#checkins .checkin-schedule")).to_contain_text("(once)")

            asked = phone.replies(1)
            assert question in asked[0].body, (tmp_path / "scheduler.log").read_text()[-3000:]
            assert "kept your answer" in phone.reply_to(answer)

            page.reload()
            expect(page.locator("#checkins .checkin-answer").first).to_have_text(answer)
            assert page.locator("#checkins b").count() == 0  # the client's markup is text
            tab.fits_the_screen()
            page.locator("#checkins").scroll_into_view_if_needed()
            tab.shot("15-phone-check-in-answer")
            assert tab.errors == [] and tab.dialogs == []
        finally:
            context.close()
