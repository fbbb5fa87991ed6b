"""Review of the dashboard (issue 11): who may write to a client, and what the client is told.

Each test here is a reproduction of a finding in ``REVIEW.md`` and fails on
the code it was written against; the few marked "sound" pin down checks that
passed, so a later change cannot quietly undo them.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.reminders.manage import add_for_client
from bot.storage import session_scope
from bot.storage.enums import Direction, ReminderKind
from bot.storage.models import Client, Message, Reminder, Therapist, utcnow
from tests.dashboard_support import PASSWORD, Browser, Clinic, audit_rows, csrf_of, rows_of


def outbound_to(clinic: Clinic, client_id: int) -> list[Message]:
    return rows_of(
        clinic,
        select(Message)
        .where(Message.client_id == client_id, Message.direction == Direction.OUTBOUND)
        .order_by(Message.id),
    )


# --- take-over: who may write -------------------------------------------------------------


# --- sound: pinned down ----------------------------------------------------------------------


def test_sound_a_forced_password_change_cannot_be_skipped_by_posting_an_action(
    browser: Browser, clinic: Clinic
) -> None:
    """Sound. With an admin's initial password, every other page and action is refused."""
    with session_scope(clinic.engine) as session:
        alice = session.execute(
            select(Therapist).where(Therapist.email == clinic.alice)
        ).scalar_one()
        alice.must_change_password = True
    assert browser.login(clinic.alice) == 303
    page = browser.http.get("/password")
    assert page.status_code == 200
    browser.csrf = csrf_of(page.text)  # the token changed at login
    for path in (f"/clients/{clinic.client_a}/takeover", f"/clients/{clinic.client_a}/homework"):
        reply = browser.post(path)
        assert reply.status_code == 303 and reply.headers["location"] == "/password", path
    htmx = browser.http.get(
        f"/clients/{clinic.client_a}/transcript", headers={"HX-Request": "true"}
    )
    assert htmx.headers.get("hx-redirect") == "/password"
    assert not outbound_to(clinic, clinic.client_a)


def test_sound_a_reminder_of_another_therapists_client_cannot_be_stopped_through_ones_own(
    browser: Browser, clinic: Clinic
) -> None:
    """Sound. The reminder id in the URL must belong to the client in the URL."""
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


def test_sound_a_password_change_ends_the_accounts_other_logins_but_not_this_one(
    browser: Browser, clinic: Clinic, http_admin: Browser
) -> None:
    """Sound. A stolen login elsewhere ends when the owner changes the password."""
    other = http_admin  # a second browser, here Alice's other device
    assert other.login(clinic.alice) == 303
    assert browser.login(clinic.alice) == 303
    browser.csrf = csrf_of(browser.http.get("/password").text)
    new = "a brand new long passphrase"
    changed = browser.post(
        "/password", current_password=PASSWORD, new_password=new, repeat_password=new
    )
    assert changed.status_code == 303
    assert browser.http.get("/caseload", follow_redirects=False).status_code == 200
    assert other.http.get("/caseload", follow_redirects=False).status_code == 303
    assert audit_rows(clinic, "change_password")


def test_sound_a_forms_return_to_never_leads_off_the_dashboard(
    browser: Browser, clinic: Clinic
) -> None:
    """Sound. ``return_to`` (escalation to take-over and back) is a local path or ignored."""
    browser.login(clinic.alice)
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example", "/%2F%2Fevil"):
        reply = browser.post(f"/clients/{clinic.client_a}/takeover", return_to=target)
        assert reply.status_code == 303
        assert reply.headers["location"] == f"/clients/{clinic.client_a}", target
        browser.post(f"/clients/{clinic.client_a}/takeover/end")
