"""Clinic management in the dashboard (TestClient): staff, the on-call rota, reassigning clients.

Admins add, deactivate and reactivate staff and edit the rota through the
same core as the CLI; therapists get a 403 for all of it, by URL too; every
change is audited; a deactivated therapist cannot log in and is never paged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from bot.clinic import ClinicError, add_therapist, set_oncall, therapist_by_email
from bot.escalation import WITHDRAWN_ERROR, advance_pages
from bot.staff import deactivate_therapist
from bot.storage import session_scope
from bot.storage.enums import MessageStatus, OncallRole, PageTier, Role
from bot.storage.models import Client, Message, OncallShift, Page, StaffSession, Therapist, utcnow
from tests.dashboard_support import (
    ALICE_PHONE,
    BOB_PHONE,
    PASSWORD,
    Browser,
    Clinic,
    audit_rows,
    csrf_of,
)
from tests.standins import TwilioStandin

NEW_PASSWORD = "a password of my very own"


def staff_id(clinic: Clinic, email: str) -> int:
    with session_scope(clinic.engine) as session:
        therapist = therapist_by_email(session, email)
        assert therapist is not None
        return therapist.id


def shift_count(clinic: Clinic) -> int:
    with session_scope(clinic.engine) as session:
        return int(session.execute(select(func.count(OncallShift.id))).scalar_one())


def bob_on_backup(clinic: Clinic) -> None:
    with session_scope(clinic.engine) as session:
        set_oncall(session, therapist_email=clinic.bob, role=OncallRole.BACKUP)


# --- who may -------------------------------------------------------------------------------


def test_a_therapist_gets_403_for_every_admin_page_and_action_even_by_url(
    browser: Browser, clinic: Clinic
) -> None:
    bob, shifts = staff_id(clinic, clinic.bob), shift_count(clinic)
    browser.login(clinic.alice)
    assert browser.http.get("/audit").status_code == 403
    attempts = {
        "/clinic/staff": {"email": "eve@clinic.test", "name": "Eve", "role": "admin"},
        f"/clinic/staff/{bob}/deactivate": {},
        f"/clinic/staff/{bob}/reactivate": {},
        "/clinic/rota": {"therapist_email": clinic.alice, "role": "backup"},
        "/clinic/rota/preview": {"therapist_email": clinic.alice, "role": "backup"},
        "/clinic/rota/1/remove": {},
        f"/clients/{clinic.client_b}/therapist": {"therapist_email": clinic.alice},
    }
    for path, data in attempts.items():
        reply = browser.post(path, **data)
        assert reply.status_code == 403, path
        assert "Admins only" in reply.text
    with session_scope(clinic.engine) as session:
        assert therapist_by_email(session, "eve@clinic.test") is None
        assert session.get(Therapist, bob).active  # type: ignore[union-attr]
        assert session.get(Client, clinic.client_b).therapist_id == bob  # type: ignore[union-attr]
    assert shift_count(clinic) == shifts
    assert len(audit_rows(clinic, "access_denied")) == len(attempts) + 1
    clinic_page = browser.http.get("/clinic").text
    assert (
        'action="/clinic/staff"' not in clinic_page and 'action="/clinic/rota"' not in clinic_page
    )


def test_an_admin_change_without_the_csrf_token_is_refused(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.admin)
    forged = browser.http.post(
        "/clinic/staff",
        data={"email": "eve@clinic.test", "name": "Eve", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    bob = staff_id(clinic, clinic.bob)
    assert browser.http.post(f"/clinic/staff/{bob}/deactivate").status_code == 403
    with session_scope(clinic.engine) as session:
        assert therapist_by_email(session, "eve@clinic.test") is None
        assert session.get(Therapist, bob).active  # type: ignore[union-attr]


# --- adding staff ---------------------------------------------------------------------------


def test_an_admin_adds_a_therapist_who_replaces_the_initial_password_at_first_login(
    browser: Browser, browser_at: Callable[[str], Browser], clinic: Clinic
) -> None:
    browser.login(clinic.admin)
    added = browser.post(
        "/clinic/staff", name="Cara Diaz", email="Cara@Clinic.test", role="therapist",
        sms_number="+1 555 000 0103",
    )  # fmt: skip
    assert added.status_code == 200
    match = re.search(r'<code id="initial-password">([^<]+)</code>', added.text)
    assert match, "the generated password is shown once"
    initial = match.group(1)
    assert initial not in browser.http.get("/clinic").text  # once: not on the next view
    with session_scope(clinic.engine) as session:
        cara = therapist_by_email(session, "cara@clinic.test")
        assert cara is not None and cara.sms_number == "+15550000103"
        assert cara.must_change_password and cara.password_hash.startswith("$argon2id$")
        assert initial not in cara.password_hash
    (row,) = audit_rows(clinic, "add_staff")
    assert row.actor_therapist_id == staff_id(clinic, clinic.admin) and initial not in row.detail

    cara_browser = browser_at("198.51.100.30")
    assert cara_browser.login("cara@clinic.test", initial) == 303
    page = cara_browser.http.get("/caseload", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/password"
    cara_browser.csrf = csrf_of(cara_browser.http.get("/password").text)
    mismatch = cara_browser.post(
        "/password", current_password=initial, new_password=NEW_PASSWORD,
        repeat_password=NEW_PASSWORD + "!",
    )  # fmt: skip
    assert mismatch.status_code == 400
    short = cara_browser.post(
        "/password", current_password=initial, new_password="short", repeat_password="short"
    )
    assert short.status_code == 400 and "at least 12" in short.text
    changed = cara_browser.post(
        "/password", current_password=initial, new_password=NEW_PASSWORD,
        repeat_password=NEW_PASSWORD,
    )  # fmt: skip
    assert changed.status_code == 303
    assert cara_browser.http.get("/caseload").status_code == 200
    assert audit_rows(clinic, "change_password")
    cara_browser.post("/logout")
    cara_browser.csrf = csrf_of(cara_browser.http.get("/login").text)
    assert cara_browser.login("cara@clinic.test", initial) == 401
    assert cara_browser.login("cara@clinic.test", NEW_PASSWORD) == 303


def test_an_admin_may_set_the_initial_password_and_a_bad_one_is_refused(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.admin)
    weak = browser.post("/clinic/staff", name="Dee", email="dee@clinic.test", password="short")
    assert weak.status_code == 400 and "at least 12" in weak.text
    taken = browser.post("/clinic/staff", name="Bob Two", email=clinic.bob)
    assert taken.status_code == 400 and "already an account" in taken.text
    chosen = "chosen by the admin today"
    added = browser.post(
        "/clinic/staff", name="Dee", email="dee@clinic.test", password=chosen,
        telegram_chat_id="424242",
    )  # fmt: skip
    assert added.status_code == 200
    assert chosen not in added.text and 'id="initial-password"' not in added.text
    with session_scope(clinic.engine) as session:
        dee = therapist_by_email(session, "dee@clinic.test")
        assert dee is not None and dee.page_channel == "telegram" and dee.must_change_password
    assert len(audit_rows(clinic, "add_staff")) == 1


# --- deactivating ----------------------------------------------------------------------------


def test_a_deactivated_therapist_is_logged_out_cannot_log_in_and_their_clients_are_reassigned(
    browser: Browser, browser_at: Callable[[str], Browser], clinic: Clinic
) -> None:
    bob_browser = browser_at("198.51.100.40")
    assert bob_browser.login(clinic.bob) == 303
    assert bob_browser.http.get("/caseload").status_code == 200
    browser.login(clinic.admin)
    bob = staff_id(clinic, clinic.bob)
    done = browser.post(f"/clinic/staff/{bob}/deactivate")
    assert done.status_code == 200 and "Bob Ray is deactivated" in done.text
    assert "1 open login(s) ended" in done.text
    assert "Clients whose therapist is inactive" in done.text and "Drew Beta" in done.text
    with session_scope(clinic.engine) as session:
        assert (
            session.execute(
                select(StaffSession.ended_at).where(StaffSession.therapist_id == bob)
            ).scalar_one()
            is not None
        )
    assert bob_browser.http.get("/caseload", follow_redirects=False).status_code == 303
    bob_browser.csrf = csrf_of(bob_browser.http.get("/login").text)
    assert bob_browser.login(clinic.bob) == 401

    moved = browser.post(
        f"/clients/{clinic.client_b}/therapist", therapist_email=clinic.alice, return_to="/clinic"
    )
    assert moved.status_code == 303
    assert "Clients whose therapist is inactive" not in browser.http.get("/clinic").text
    with session_scope(clinic.engine) as session:
        drew = session.get(Client, clinic.client_b)
        assert drew is not None and drew.therapist.email == clinic.alice
    (reassigned,) = audit_rows(clinic, "reassign_client")
    assert reassigned.client_id == clinic.client_b
    assert audit_rows(clinic, "deactivate_staff")[0].detail.startswith(f"therapist {bob}:")

    back = browser.post(f"/clinic/staff/{bob}/reactivate")
    assert back.status_code == 200 and "can log in again" in back.text
    assert bob_browser.login(clinic.bob) == 303
    assert audit_rows(clinic, "reactivate_staff")


def test_an_admin_cannot_deactivate_their_own_account(browser: Browser, clinic: Clinic) -> None:
    browser.login(clinic.admin)
    admin = staff_id(clinic, clinic.admin)
    refused = browser.post(f"/clinic/staff/{admin}/deactivate")
    assert refused.status_code == 400 and "your own account" in refused.text
    with session_scope(clinic.engine) as session:
        assert session.get(Therapist, admin).active  # type: ignore[union-attr]
    assert not audit_rows(clinic, "deactivate_staff")


def test_the_last_active_admin_cannot_be_deactivated(clinic: Clinic) -> None:
    with session_scope(clinic.engine) as session:
        admin = therapist_by_email(session, clinic.admin)
        second, _ = add_therapist(
            session, email="zed@clinic.test", name="Zed Admin", role=Role.ADMIN, password=PASSWORD
        )
        assert admin is not None
        deactivate_therapist(session, second, by=admin, now=utcnow())
        alice = therapist_by_email(session, clinic.alice)
        assert alice is not None
        with pytest.raises(ClinicError, match="last active admin"):
            deactivate_therapist(session, admin, by=alice, now=utcnow())


def test_a_deactivated_therapist_on_call_is_never_paged_the_backup_is(
    browser: Browser, clinic: Clinic, twilio_api: TwilioStandin
) -> None:
    bob_on_backup(clinic)
    browser.login(clinic.admin)
    assert (
        browser.post(f"/clinic/staff/{staff_id(clinic, clinic.alice)}/deactivate").status_code
        == 200
    )
    outcome = clinic.risky_message(clinic.client_b, "i am going to kill myself tonight")
    assert outcome.alerted
    clinic.send_outbox()
    assert twilio_api.messages_to(ALICE_PHONE) == []
    assert "Review:" in twilio_api.messages_to(BOB_PHONE)[0].body
    with session_scope(clinic.engine) as session:
        tiers = session.execute(
            select(Page.tier, Page.therapist_id).where(Page.escalation_id == outcome.escalation_id)
        ).all()
    assert tiers == [(PageTier.BACKUP, staff_id(clinic, clinic.bob))]


def test_a_page_waiting_on_a_therapist_who_is_deactivated_goes_to_the_backup_at_once(
    browser: Browser, clinic: Clinic, twilio_api: TwilioStandin
) -> None:
    bob_on_backup(clinic)
    outcome = clinic.risky_message(clinic.client_a, "i want to kill myself")
    with session_scope(clinic.engine) as session:
        (first,) = session.execute(
            select(Page).where(Page.escalation_id == outcome.escalation_id)
        ).scalars()
        assert first.tier == PageTier.PRIMARY  # Alice's page, not sent yet
        first_message = first.message_id
    browser.login(clinic.admin)
    done = browser.post(f"/clinic/staff/{staff_id(clinic, clinic.alice)}/deactivate")
    assert "1 page(s) moved on" in done.text
    with session_scope(clinic.engine) as session:
        message = session.get(Message, first_message)
        assert message is not None and message.status == MessageStatus.UNDELIVERABLE
        assert message.error == WITHDRAWN_ERROR
        # The scheduler's next tick: no waiting out the acknowledgement timeout.
        assert advance_pages(session, utcnow(), clinic.settings) == 1
    clinic.send_outbox()
    assert twilio_api.messages_to(ALICE_PHONE) == []
    assert len(twilio_api.messages_to(BOB_PHONE)) == 1
    timeline = browser.http.get(f"/escalations/{outcome.escalation_id}").text
    assert "page withdrawn" in timeline


# --- the rota ----------------------------------------------------------------------------------


def test_an_admin_edits_the_rota_and_the_gap_warnings_follow(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.admin)
    assert "backup: nobody at any time" in browser.http.get("/clinic").text
    weekdays = {"therapist_email": clinic.bob, "role": "backup", "start": "09:00", "end": "17:00"}
    preview = browser.http.post(
        "/clinic/rota/preview",
        data={**weekdays, "day": ["0", "1", "2", "3", "4"]},
        headers={"X-CSRF-Token": browser.csrf, "HX-Request": "true"},
    )
    assert preview.status_code == 200 and "With this shift" in preview.text
    assert "backup: nobody from Mon 17:00 to Tue 09:00" in preview.text
    assert "backup: nobody from Fri 17:00 to Mon 09:00" in preview.text
    assert shift_count(clinic) == 1  # a preview changes nothing

    added = browser.http.post(
        "/clinic/rota",
        data={**weekdays, "day": ["0", "1", "2", "3", "4"], "csrf_token": browser.csrf},
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"] == "/clinic#rota"
    assert shift_count(clinic) == 6
    page = browser.http.get("/clinic").text
    assert "backup: nobody from Fri 17:00 to Mon 09:00" in page
    every_day = browser.post("/clinic/rota", therapist_email=clinic.bob, role="backup")
    assert every_day.status_code == 303
    page = browser.http.get("/clinic").text
    assert "Primary and backup are covered at every hour of the week" in page
    assert len(audit_rows(clinic, "add_oncall_shift")) == 2

    with session_scope(clinic.engine) as session:
        all_day = session.execute(
            select(OncallShift.id).where(
                OncallShift.weekday.is_(None), OncallShift.role == "backup"
            )
        ).scalar_one()
    assert browser.post(f"/clinic/rota/{all_day}/remove").status_code == 303
    assert "backup: nobody from Fri 17:00 to Mon 09:00" in browser.http.get("/clinic").text
    assert audit_rows(clinic, "remove_oncall_shift")[0].detail.startswith(f"shift {all_day}:")


def test_a_shift_the_rota_cannot_take_is_refused_with_the_reason(
    browser: Browser, clinic: Clinic
) -> None:
    browser.login(clinic.admin)
    same = browser.post(
        "/clinic/rota", therapist_email=clinic.bob, role="backup", start="09:00", end="09:00"
    )
    assert same.status_code == 400 and "cannot end when it starts" in same.text
    unknown = browser.post("/clinic/rota", therapist_email="nobody@clinic.test", role="backup")
    assert unknown.status_code == 400 and "active member of staff" in unknown.text
    preview = browser.post("/clinic/rota/preview", therapist_email=clinic.bob, role="pilot")
    assert "On-call role must be one of" in preview.text
    assert shift_count(clinic) == 1 and not audit_rows(clinic, "add_oncall_shift")
