"""Review of the dashboard (issue 11): the audit trail as a privacy officer reads it.

Reproductions of the findings in ``REVIEW.md``: each fails on the code it
was written against.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.storage import session_scope
from bot.storage.models import AuditLog, Client
from tests.dashboard_support import CLIENT_B_PHONE, Browser, Clinic, csrf_of, rows_of
from tests.review_dashboard.support import therapist_id

VIEWS = 300
AUDIT_LINK = re.compile(r'href="(/audit[^"]*)"')


def test_an_admin_can_find_who_viewed_a_client_before_the_newest_300_audit_rows(
    browser: Browser, clinic: Clinic, http_admin: Browser
) -> None:
    """Finding 10 (Medium). Alice opens Casey's record; then a normal morning's clicks
    (Bob's caseload, 300 views) follow. The admin's audit page shows the newest 300
    rows, with no older page, no filter by client or person and no export: Alice's
    view cannot be found from the dashboard (nor from the command line).
    """
    browser.login(clinic.alice)
    assert browser.http.get(f"/clients/{clinic.client_a}").status_code == 200
    bob = clinic.bob
    browser.http.cookies.clear()
    browser.csrf = csrf_of(browser.http.get("/login").text)
    browser.login(bob)
    for _ in range(VIEWS):
        browser.http.get("/caseload")
    with session_scope(clinic.engine) as session:
        code = session.get(Client, clinic.client_a).code  # type: ignore[union-attr]
    http_admin.login(clinic.admin)
    pages, seen, found = ["/audit"], set(), False
    while pages and len(seen) < 30 and not found:
        path = pages.pop(0)
        if path in seen:
            continue
        seen.add(path)
        html = http_admin.http.get(path).text
        rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
        found = any(clinic.alice in row and "view_client" in row and code in row for row in rows)
        pages += [link.replace("&amp;", "&") for link in AUDIT_LINK.findall(html)]
    alice = therapist_id(clinic, clinic.alice)
    stored = rows_of(
        clinic,
        select(AuditLog).where(
            AuditLog.actor_therapist_id == alice, AuditLog.action == "view_client"
        ),
    )
    assert stored, "the view was recorded"
    assert found, f"Alice's view of {code} is recorded but no audit page reachable shows it"


def test_a_therapist_cannot_learn_unaudited_whether_a_phone_number_is_a_client(
    browser: Browser, clinic: Clinic
) -> None:
    """Finding 11 (Low). Alice enrols "a new client" with a number she wants to check.

    The refusal says the number "already belongs to a client" (here Bob's
    client Drew): being in DBT treatment at this clinic is health information
    from another caseload. A refused change is never audited, so the probe
    leaves no trace.
    """
    browser.login(clinic.alice)
    alice = therapist_id(clinic, clinic.alice)
    with session_scope(clinic.engine) as session:
        before = session.execute(select(AuditLog.id).order_by(AuditLog.id.desc())).first()
    reply = browser.post(
        "/clients", name="Checking A Number", timezone="America/New_York",
        sms_number=CLIENT_B_PHONE,
    )  # fmt: skip
    assert reply.status_code == 400
    said = re.search(r'<p class="error" role="alert">(.*?)</p>', reply.text, re.S)
    recorded = rows_of(
        clinic,
        select(AuditLog.action).where(
            AuditLog.id > (before[0] if before else 0),
            AuditLog.actor_therapist_id == alice,
            AuditLog.action != "view_clinic",
        ),
    )
    reveals = said is not None and "belongs to a client" in said.group(1)
    assert not reveals or recorded, f"said {said.group(1) if said else ''!r}, audited {recorded}"
