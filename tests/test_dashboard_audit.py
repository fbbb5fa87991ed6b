"""The audit log as a clinic's privacy officer reads it, and what refused changes leave in it.

From the dashboard review (issue 11, docs/reviews/2026-12-dashboard-review.md):
each test reproduced a hole and passes since it was closed.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.storage import session_scope
from bot.storage.models import AuditLog, Client
from tests.dashboard_support import (
    BACKENDS,
    CLIENT_B_PHONE,
    Browser,
    Clinic,
    clinic_on,
    csrf_of,
    rows_of,
    therapist_id,
)

VIEWS = 300
AUDIT_LINK = re.compile(r'href="(/audit[^"]*)"')
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)


@pytest.fixture(params=BACKENDS)
def clinic(request: pytest.FixtureRequest) -> Clinic:
    """Every test here runs on SQLite and on PostgreSQL."""
    return clinic_on(request)


def alice_views_casey_then_bob_clicks_all_morning(browser: Browser, clinic: Clinic) -> str:
    """Casey's code, after Alice viewed her record and Bob opened his caseload 300 times."""
    browser.login(clinic.alice)
    assert browser.http.get(f"/clients/{clinic.client_a}").status_code == 200
    browser.http.cookies.clear()
    browser.csrf = csrf_of(browser.http.get("/login").text)
    browser.login(clinic.bob)
    for _ in range(VIEWS):
        browser.http.get("/caseload")
    with session_scope(clinic.engine) as session:
        return session.get(Client, clinic.client_a).code  # type: ignore[union-attr]


def test_an_admin_can_find_who_viewed_a_client_before_the_newest_300_audit_rows(
    browser: Browser, clinic: Clinic, http_admin: Browser
) -> None:
    """Finding 10 (Medium). Alice opens Casey's record; then a normal morning's clicks
    (Bob's caseload, 300 views) follow. The admin's audit page showed the newest 300
    rows only, with no older page and no filter: Alice's view could not be found.
    It is now reachable by the *Older* links.
    """
    code = alice_views_casey_then_bob_clicks_all_morning(browser, clinic)
    http_admin.login(clinic.admin)
    pages, seen, found = ["/audit"], set(), False
    while pages and len(seen) < 30 and not found:
        path = pages.pop(0)
        if path in seen:
            continue
        seen.add(path)
        html = http_admin.http.get(path).text
        rows = ROW.findall(html)
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


def test_an_admin_filters_the_audit_log_by_client_and_staff_member(
    browser: Browser, clinic: Clinic, http_admin: Browser
) -> None:
    """ "Who viewed Casey's record?": the filter by client code, then by staff member,
    shows Alice's view on the first page; the search itself is audited."""
    code = alice_views_casey_then_bob_clicks_all_morning(browser, clinic)
    http_admin.login(clinic.admin)
    by_client = ROW.findall(http_admin.http.get("/audit", params={"client": code}).text)
    assert any(clinic.alice in row and "view_client" in row for row in by_client)
    assert not any("view_caseload" in row for row in by_client)
    alice = therapist_id(clinic, clinic.alice)
    by_staff = http_admin.http.get("/audit", params={"staff": alice, "client": code}).text
    shown = ROW.findall(by_staff)[1:]  # after the header
    assert shown and all(clinic.alice in row and code in row for row in shown)
    searches = rows_of(clinic, select(AuditLog).where(AuditLog.action == "view_audit_log"))
    assert any(row.client_id == clinic.client_a for row in searches)
    unknown = http_admin.http.get("/audit", params={"client": "NOSUCH00"}).text
    assert "No client has the code NOSUCH00" in unknown


def test_a_therapist_cannot_learn_unaudited_whether_a_phone_number_is_a_client(
    browser: Browser, clinic: Clinic
) -> None:
    """Finding 11 (Low). Alice enrols "a new client" with a number she wants to check.

    The refusal said the number "already belongs to a client" (here Bob's
    client Drew): being in DBT treatment at this clinic is health information
    from another caseload, and a refused change was never audited. Now she is
    told only that the number cannot be used (ask an admin), and the refusal
    is an ``enrol_client_refused`` audit row for the privacy officer.
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
    assert not reveals and "enrol_client_refused" in recorded, (said, recorded)


def test_the_admin_is_told_which_client_a_number_already_belongs_to(
    browser: Browser, clinic: Clinic
) -> None:
    """An admin (who sees every caseload) still gets the plain reason."""
    browser.login(clinic.admin)
    reply = browser.post(
        "/clients", name="Checking A Number", timezone="America/New_York",
        sms_number=CLIENT_B_PHONE,
    )  # fmt: skip
    assert reply.status_code == 400 and "already belongs to a client" in reply.text
