"""The dashboard over HTTP (Starlette's TestClient): login, access, CSRF, headers, audit.

Fast checks of the rules every page must keep; the browser tests
(``test_dashboard_browser.py``) walk the same pages in Chromium.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from bot.dashboard.app import create_app
from bot.dashboard.auth import (
    ACCOUNT_BACKOFF_AFTER,
    ACCOUNT_BACKOFF_FIRST,
    ACCOUNT_BACKOFF_LONGEST,
    BACKED_OFF,
    MAX_FAILURES_PER_ACCOUNT_AND_IP,
    THROTTLED,
    WRONG_CREDENTIALS,
    account_backoff,
)
from bot.dashboard.security import COOKIE_NAME
from bot.reminders.manage import add_for_client
from bot.storage import session_scope
from bot.storage.enums import EscalationStatus, ReminderKind
from bot.storage.models import (
    AuditLog,
    Client,
    Escalation,
    Reminder,
    StaffSession,
    Therapist,
    utcnow,
)
from tests.dashboard_support import PASSWORD, Browser, Clinic, audit_rows, csrf_of

XSS_PAYLOADS = ('<script>alert("x")</script>', '<img src=x onerror="alert(1)">')


# --- headers and cookies ----------------------------------------------------------


def test_every_page_is_sent_with_security_headers(http: TestClient) -> None:
    for path in ("/login", "/static/dashboard.css"):
        headers = http.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    assert http.get("/login").headers["cache-control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite_strict(browser: Browser) -> None:
    browser.login("alice@clinic.test")
    cookie = browser.http.get("/caseload").headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain HTTP here: a Secure cookie would never return


def test_session_cookie_is_secure_when_the_dashboard_is_served_over_https(clinic: Clinic) -> None:
    settings = dataclasses.replace(clinic.settings, dashboard_url="https://dash.example.org")
    with TestClient(create_app(settings, clinic.engine), base_url="https://testserver") as http:
        login = http.get("/login")
        assert "secure" in login.headers["set-cookie"].lower()
        assert login.headers["strict-transport-security"].startswith("max-age=")


def test_pages_use_no_inline_script_or_style(browser: Browser) -> None:
    browser.login("alice@clinic.test")
    html = browser.http.get("/caseload").text
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    assert '<script src="/static/htmx.min.js" defer></script>' in html


# --- login --------------------------------------------------------------------------


def test_logged_out_visitors_are_sent_to_login(http: TestClient, clinic: Clinic) -> None:
    for path in ("/", "/caseload", f"/clients/{clinic.client_a}", "/escalations/1", "/audit"):
        reply = http.get(path, follow_redirects=False)
        assert reply.status_code == 303, path
        assert reply.headers["location"] in ("/login", f"/login?next={path}"), path
    htmx = http.get("/caseload", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.headers["hx-redirect"] == "/login"


def test_after_login_the_page_asked_for_opens_but_never_another_site(
    browser: Browser, clinic: Clinic
) -> None:
    outcome = clinic.risky_message(clinic.client_a, "i want to die")
    wanted = f"/escalations/{outcome.escalation_id}"
    login = browser.http.get(wanted)
    assert f'name="next" value="{wanted}"' in login.text
    for target, lands in (
        (wanted, wanted),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
    ):
        browser.http.cookies.clear()
        browser.csrf = csrf_of(browser.http.get("/login").text)
        reply = browser.http.post(
            "/login",
            data={"email": clinic.alice, "password": PASSWORD, "csrf_token": browser.csrf,
                  "next": target},
            follow_redirects=False,
        )  # fmt: skip
        assert reply.headers["location"] == lands


def test_a_wrong_password_is_refused_without_saying_whether_the_account_exists(
    browser: Browser, clinic: Clinic
) -> None:
    assert browser.login("alice@clinic.test", "wrong password!!") == 401
    unknown = browser.http.post(
        "/login",
        data={"email": "nobody@clinic.test", "password": "x", "csrf_token": browser.csrf},
    )
    assert unknown.status_code == 401 and WRONG_CREDENTIALS in unknown.text
    failed = audit_rows(clinic, "login_failed")
    assert len(failed) == 2 and all(row.ip for row in failed)


def test_a_guesser_locks_the_account_out_only_at_their_own_address(
    browser_at: Callable[[str], Browser], clinic: Clinic
) -> None:
    guesser = browser_at("203.0.113.7")
    for _ in range(MAX_FAILURES_PER_ACCOUNT_AND_IP):
        assert guesser.login(clinic.alice, "guess-guess-guess") == 401
    reply = guesser.http.post(
        "/login", data={"email": clinic.alice, "password": PASSWORD, "csrf_token": guesser.csrf}
    )
    assert reply.status_code == 401 and THROTTLED in reply.text
    assert audit_rows(clinic, "login_throttled")
    # Alice, at her own address, is not locked out by someone else's guesses.
    assert browser_at("198.51.100.20").login(clinic.alice) == 303
    # Another account from the guesser's address is not affected by Alice's lock either.
    assert guesser.login(clinic.bob) == 303


def test_guessers_on_many_addresses_slow_the_account_for_strangers_not_for_its_own_browser(
    browser_at: Callable[[str], Browser], clinic: Clinic
) -> None:
    own = browser_at("198.51.100.20")
    assert own.login(clinic.alice) == 303
    own.post("/logout")  # the browser still remembers that Alice logged in from it
    for n in range(ACCOUNT_BACKOFF_AFTER):
        assert browser_at(f"203.0.113.{n + 1}").login(clinic.alice, "guess-guess-guess") == 401
    stranger = browser_at("192.0.2.50")
    refused = stranger.http.post(
        "/login", data={"email": clinic.alice, "password": PASSWORD, "csrf_token": stranger.csrf}
    )
    assert refused.status_code == 401 and BACKED_OFF in refused.text
    own.csrf = csrf_of(own.http.get("/login").text)
    assert own.login(clinic.alice) == 303
    # The back-off is a wait, not a lock: once it has passed, a new device gets in too.
    with session_scope(clinic.engine) as session:
        for row in session.execute(select(AuditLog).where(AuditLog.action == "login_failed")):
            row.AuditLog.at -= account_backoff(ACCOUNT_BACKOFF_AFTER) * 2
    assert stranger.login(clinic.alice) == 303


def test_the_account_back_off_doubles_up_to_its_longest_wait() -> None:
    assert account_backoff(ACCOUNT_BACKOFF_AFTER - 1) == timedelta(0)
    assert account_backoff(ACCOUNT_BACKOFF_AFTER) == ACCOUNT_BACKOFF_FIRST
    assert account_backoff(ACCOUNT_BACKOFF_AFTER + 2) == ACCOUNT_BACKOFF_FIRST * 4
    assert account_backoff(ACCOUNT_BACKOFF_AFTER + 1000) == ACCOUNT_BACKOFF_LONGEST


def test_an_old_scrypt_password_hash_logs_in_and_is_upgraded_to_argon2(
    browser: Browser, clinic: Clinic
) -> None:
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    legacy = f"scrypt$16384$8$1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    with session_scope(clinic.engine) as session:
        session.execute(
            update(Therapist).where(Therapist.email == clinic.bob).values(password_hash=legacy)
        )
    assert browser.login(clinic.bob) == 303
    with session_scope(clinic.engine) as session:
        stored = session.execute(
            select(Therapist.password_hash).where(Therapist.email == clinic.bob)
        ).scalar_one()
    assert stored.startswith("$argon2id$")


def test_logging_out_ends_the_session_for_good(browser: Browser) -> None:
    browser.login("alice@clinic.test")
    stolen = browser.http.cookies[COOKIE_NAME]
    assert browser.post("/logout").headers["location"] == "/login"  # type: ignore[attr-defined]
    browser.http.cookies.set(COOKIE_NAME, stolen)
    assert browser.http.get("/caseload", follow_redirects=False).status_code == 303


def test_an_idle_session_expires(browser: Browser, clinic: Clinic) -> None:
    browser.login("alice@clinic.test")
    idle = timedelta(minutes=clinic.settings.dashboard_idle_minutes + 1)
    with session_scope(clinic.engine) as session:
        session.execute(update(StaffSession).values(last_seen_at=utcnow() - idle))
    assert browser.http.get("/caseload", follow_redirects=False).status_code == 303


# --- CSRF -------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(browser: Browser, clinic: Clinic) -> None:
    browser.login("alice@clinic.test")
    outcome = clinic.risky_message(clinic.client_a, "i want to kill myself")
    path = f"/escalations/{outcome.escalation_id}/acknowledge"
    assert browser.http.post(path, follow_redirects=False).status_code == 403
    forged = browser.http.post(path, data={"csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    with session_scope(clinic.engine) as session:
        assert session.get(Escalation, outcome.escalation_id).status == EscalationStatus.OPEN
    by_header = browser.http.post(
        path, headers={"X-CSRF-Token": browser.csrf, "HX-Request": "true"}, follow_redirects=False
    )
    assert by_header.status_code == 303


def test_a_login_without_the_csrf_token_is_refused(http: TestClient) -> None:
    reply = http.post("/login", data={"email": "alice@clinic.test", "password": PASSWORD})
    assert reply.status_code == 403


# --- who sees what ------------------------------------------------------------------------


def test_a_therapist_sees_only_their_own_caseload(browser: Browser, clinic: Clinic) -> None:
    browser.login(clinic.alice)
    page = browser.http.get("/caseload").text
    assert "Casey Alpha" in page and "Drew Beta" not in page


def test_a_therapist_cannot_open_another_therapists_client_by_url(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.alice)
    reply = browser.http.get(f"/clients/{clinic.client_b}")
    assert reply.status_code == 403 and "Drew Beta" not in reply.text
    refused = browser.post(f"/clients/{clinic.client_b}/takeover")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    denied = audit_rows(clinic, "access_denied")
    assert len(denied) == 2 and denied[0].actor_therapist_id is not None


def test_an_admin_sees_every_client_and_the_audit_log(browser: Browser, clinic: Clinic) -> None:
    browser.login(clinic.admin)
    assert "Drew Beta" in browser.http.get("/caseload").text
    assert browser.http.get(f"/clients/{clinic.client_b}").status_code == 200
    audit_page = browser.http.get("/audit")
    assert audit_page.status_code == 200 and "view_client" in audit_page.text


def test_a_therapist_cannot_read_the_audit_log(browser: Browser) -> None:
    browser.login("alice@clinic.test")
    assert browser.http.get("/audit").status_code == 403


def test_the_paged_on_call_therapist_can_open_the_escalation_but_not_the_client_page(
    browser: Browser, clinic: Clinic
) -> None:
    outcome = clinic.risky_message(clinic.client_b, "i am going to kill myself tonight")
    assert outcome.alerted  # Alice is primary on call, Drew is Bob's client
    browser.login(clinic.alice)
    page = browser.http.get(f"/escalations/{outcome.escalation_id}")
    assert page.status_code == 200 and "going to kill myself tonight" in page.text
    assert browser.http.get(f"/clients/{clinic.client_b}").status_code == 403


def test_a_therapist_not_paged_cannot_open_someone_elses_escalation(
    browser: Browser, clinic: Clinic
) -> None:
    outcome = clinic.risky_message(clinic.client_a, "i want to die")
    browser.login(clinic.bob)
    assert browser.http.get(f"/escalations/{outcome.escalation_id}").status_code == 403
    assert "/escalations/" not in browser.http.get("/escalations").text


# --- audit and escaping ---------------------------------------------------------------------


def test_every_view_of_client_data_is_audited_with_who_what_when_and_where(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.alice)
    browser.http.get(f"/clients/{clinic.client_a}")
    outcome = clinic.risky_message(clinic.client_a, "i want to die")
    browser.http.get(f"/escalations/{outcome.escalation_id}")
    with session_scope(clinic.engine) as session:
        alice = session.execute(
            select(Therapist).where(Therapist.email == clinic.alice)
        ).scalar_one()
        views = {
            row.action: row
            for row in session.execute(
                select(AuditLog).where(AuditLog.actor_therapist_id == alice.id)
            ).scalars()
        }
    for action in ("login", "view_client", "view_escalation"):
        assert action in views, action
    assert views["view_client"].client_id == clinic.client_a
    assert views["view_escalation"].client_id == clinic.client_a
    assert views["view_client"].ip and views["view_client"].at is not None


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_html_in_client_messages_is_shown_as_text(
    browser: Browser, clinic: Clinic, payload: str
) -> None:
    outcome = clinic.risky_message(clinic.client_a, f"i want to kill myself {payload}")
    browser.login(clinic.alice)
    for path in (f"/clients/{clinic.client_a}", f"/escalations/{outcome.escalation_id}"):
        html = browser.http.get(path).text
        assert payload not in html, path
        assert payload.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") in html


# --- acting on an escalation -----------------------------------------------------------------


def test_acknowledge_then_resolve_with_a_note_from_the_dashboard(
    browser: Browser, clinic: Clinic
) -> None:
    outcome = clinic.risky_message(clinic.client_a, "i want to kill myself")
    browser.login(clinic.alice)
    base = f"/escalations/{outcome.escalation_id}"
    assert browser.post(f"{base}/acknowledge").status_code == 303  # type: ignore[attr-defined]
    again = browser.post(f"{base}/acknowledge")
    assert again.status_code == 409 and "already acknowledged" in again.text  # type: ignore[attr-defined]
    empty = browser.post(f"{base}/resolve", note="  ")
    assert empty.status_code == 400 and "note is required" in empty.text  # type: ignore[attr-defined]
    assert browser.post(f"{base}/resolve", note="Called; safety plan reviewed.").status_code == 303  # type: ignore[attr-defined]
    with session_scope(clinic.engine) as session:
        escalation = session.get(Escalation, outcome.escalation_id)
        assert escalation is not None
        assert escalation.status == EscalationStatus.RESOLVED
        assert escalation.acknowledged_via == "dashboard"
        assert escalation.resolution_note == "Called; safety plan reviewed."
    timeline = browser.http.get(base).text
    assert "acknowledged" in timeline and "resolved" in timeline
    assert audit_rows(clinic, "acknowledge_escalation")
    assert audit_rows(clinic, "resolve_escalation")


def test_no_client_data_appears_in_page_urls(browser: Browser, clinic: Clinic) -> None:
    browser.login(clinic.alice)
    html = browser.http.get(f"/clients/{clinic.client_a}").text
    for href in re.findall(r'(?:href|action|hx-post)="([^"]+)"', html):
        assert "Casey" not in href and "+1555" not in href, href


def test_homework_assigned_on_the_client_page_is_listed(browser: Browser, clinic: Clinic) -> None:
    browser.login(clinic.alice)
    reply = browser.post(
        f"/clients/{clinic.client_a}/homework", title="Practice TIPP twice", skill="tipp",
        instructions="When distress is above 70.", due="2030-01-15",
    )  # fmt: skip
    assert reply.status_code == 303  # type: ignore[attr-defined]
    page = browser.http.get(f"/clients/{clinic.client_a}").text
    assert "Practice TIPP twice" in page
    assert audit_rows(clinic, "assign_homework")


def test_a_new_enrolment_code_is_shown_once_on_the_client_page(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.alice)
    reply = browser.post(f"/clients/{clinic.client_a}/enrolment-code")
    assert reply.status_code == 200 and "New enrolment code" in reply.text  # type: ignore[attr-defined]
    assert audit_rows(clinic, "create_enrolment_code")


def test_the_clinic_page_warns_of_rota_gaps_and_lists_therapists_to_admins(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.admin)
    page = browser.http.get("/clinic").text
    assert "Gaps in the rota" in page and "backup: nobody at any time" in page
    assert "bob@clinic.test" in page
    browser.post("/logout")
    browser.csrf = csrf_of(browser.http.get("/login").text)
    browser.login(clinic.alice)
    assert "bob@clinic.test" not in browser.http.get("/clinic").text


def test_the_clinic_page_says_when_the_crisis_line_texted_stop_and_cannot_be_paged(
    clinic: Clinic,
) -> None:
    from bot.escalation import set_crisis_line_paging

    crisis_line = "+15005550099"
    settings = dataclasses.replace(clinic.settings, clinic_crisis_line=crisis_line)
    with TestClient(create_app(settings, clinic.engine)) as http:
        browser = Browser(http)
        browser.login(clinic.alice)
        assert "crisis-line-stopped" not in http.get("/clinic").text
        with session_scope(clinic.engine) as session:
            set_crisis_line_paging(
                session, crisis_line, stopped=True, now=utcnow(), settings=settings
            )
        page = http.get("/clinic").text
        assert "The crisis line cannot be paged" in page
        assert f"({crisis_line}) texted STOP" in page


def test_a_therapist_enrols_a_client_and_gets_the_code_once(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.alice)
    reply = browser.post("/clients", name="Robin New", timezone="Europe/Madrid", sms_number="")
    assert reply.status_code == 200 and "Robin New is enrolled" in reply.text  # type: ignore[attr-defined]
    assert "Robin New" in browser.http.get("/caseload").text
    bad = browser.post("/clients", name="Sam", timezone="Mars/Olympus")
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert audit_rows(clinic, "enrol_client")


def test_a_reminder_of_another_therapists_client_cannot_be_stopped_through_ones_own(
    browser: Browser, clinic: Clinic
) -> None:
    """Review: held, pinned down.

    The reminder id in the URL must belong to the client in the URL."""
    with session_scope(clinic.engine) as session:
        client_b = session.get(Client, clinic.client_b)
        assert client_b is not None
        reminder = add_for_client(
            session,
            client_code=client_b.code,
            kind=ReminderKind.CHECKIN,
            therapist_email=clinic.bob,
            now=utcnow(),
            text="How was the family visit?",
            at=utcnow().time().replace(second=0, microsecond=0),
        )
        reminder_id = reminder.id
    browser.login(clinic.alice)
    reply = browser.post(f"/clients/{clinic.client_a}/reminders/{reminder_id}/stop")
    assert reply.status_code == 409
    with session_scope(clinic.engine) as session:
        stored = session.get(Reminder, reminder_id)
        assert stored is not None and stored.active
    assert not audit_rows(clinic, "stop_reminder")
