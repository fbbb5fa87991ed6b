"""Review of the dashboard (issue 11): login lock-out, sessions and passwords.

Reproductions of the findings in ``REVIEW.md``: each fails on the code it
was written against. The lock-out race runs on SQLite and PostgreSQL, with
the dashboard served by uvicorn as in production.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.storage import session_scope
from bot.storage.models import AuditLog
from tests.dashboard_support import Browser, Clinic, csrf_of
from tests.review_dashboard.support import therapist_id

#: The clinic's one public address (its NAT), or the reverse proxy's when it is not trusted.
CLINIC_ADDRESS = "198.51.100.20"
WRONG = "not-the-password-at-all"


def refusal_text(browser: Browser, email: str, password: str = WRONG) -> str:
    """What the login page says to a refused login (its alert), with the status."""
    reply = browser.http.post(
        "/login", data={"email": email, "password": password, "csrf_token": browser.csrf}
    )
    alert = re.search(r'<p class="error" role="alert">(.*?)</p>', reply.text, re.S)
    return f"{reply.status_code} {alert.group(1) if alert else ''}"


def test_guessing_the_current_password_on_the_password_page_is_recorded(
    browser: Browser, clinic: Clinic
) -> None:
    """Finding 8 (Low). Someone at an unlocked, logged-in browser guesses the password.

    The password page checks the current password with no limit and writes
    nothing to the audit log, so neither a throttle nor an admin sees it;
    one right guess lets them change it and end the owner's other logins.
    """
    browser.login(clinic.alice)
    browser.csrf = csrf_of(browser.http.get("/password").text)
    alice = therapist_id(clinic, clinic.alice)
    with session_scope(clinic.engine) as session:
        before = session.execute(select(AuditLog.id).order_by(AuditLog.id.desc())).first()
    attempts = 8
    for n in range(attempts):
        reply = browser.post(
            "/password",
            current_password=f"guess number {n}",
            new_password="a brand new long passphrase",
            repeat_password="a brand new long passphrase",
        )
        assert reply.status_code == 400
    with session_scope(clinic.engine) as session:
        recorded = (
            session.execute(
                select(AuditLog.action).where(
                    AuditLog.id > (before[0] if before else 0),
                    AuditLog.actor_therapist_id == alice,
                )
            )
            .scalars()
            .all()
        )
    assert len(recorded) >= attempts, f"failed password changes left only {recorded}"
