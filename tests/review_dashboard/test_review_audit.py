"""Review of the dashboard (issue 11): the audit trail as a privacy officer reads it.

Reproductions of the findings in ``REVIEW.md``: each fails on the code it
was written against.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.storage import session_scope
from bot.storage.models import AuditLog
from tests.dashboard_support import CLIENT_B_PHONE, Browser, Clinic, rows_of
from tests.review_dashboard.support import therapist_id

VIEWS = 300
AUDIT_LINK = re.compile(r'href="(/audit[^"]*)"')


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
