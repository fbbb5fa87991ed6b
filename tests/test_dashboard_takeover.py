"""Take-over from the dashboard: who may write to a client, and what the client is told.

From the dashboard review (issue 11, docs/reviews/2026-12-dashboard-review.md):
each test reproduced a hole and passes since it was closed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.escalation import resolve_escalation
from bot.storage import session_scope
from bot.storage.enums import Direction
from bot.storage.models import Client, Message, Therapist, utcnow
from tests.dashboard_support import BACKENDS, Browser, Clinic, clinic_on, rows_of


@pytest.fixture(params=BACKENDS)
def clinic(request: pytest.FixtureRequest) -> Clinic:
    """Every test here runs on SQLite and on PostgreSQL."""
    return clinic_on(request)


def outbound_to(clinic: Clinic, client_id: int) -> list[Message]:
    return rows_of(
        clinic,
        select(Message)
        .where(Message.client_id == client_id, Message.direction == Direction.OUTBOUND)
        .order_by(Message.id),
    )


def resolve_as_bob(clinic: Clinic, escalation_id: int) -> None:
    with session_scope(clinic.engine) as session:
        bob = session.execute(select(Therapist).where(Therapist.email == clinic.bob)).scalar_one()
        resolve_escalation(
            session,
            escalation_id=escalation_id,
            therapist=bob,
            note="Safety plan reviewed by phone; seen in person next day.",
            now=utcnow(),
        )


def test_a_therapist_paged_once_cannot_take_over_the_client_after_the_escalation_is_resolved(
    browser: Browser, clinic: Clinic
) -> None:
    """Finding 1 (Medium). Alice was primary on call when Bob's client Drew was escalated.

    Bob resolves it. Alice, who may not even open Drew's client page, could
    still take over Drew's conversation by a direct POST, weeks later, and
    text him as herself while the bot went silent for him.
    """
    outcome = clinic.risky_message(clinic.client_b, "i am going to kill myself tonight")
    assert outcome.alerted
    resolve_as_bob(clinic, outcome.escalation_id)
    browser.login(clinic.alice)
    assert browser.http.get(f"/clients/{clinic.client_b}").status_code == 403
    started = browser.post(f"/clients/{clinic.client_b}/takeover")
    sent = browser.post(f"/clients/{clinic.client_b}/takeover/message", text="hi Drew, it's Alice")
    texts = [m.body for m in outbound_to(clinic, clinic.client_b)]
    assert started.status_code == 403, "a resolved escalation still lets Alice take Drew over"
    assert sent.status_code == 403
    assert not any("Alice" in body for body in texts), texts


def test_the_paged_therapist_may_take_over_while_the_escalation_is_open_and_hand_back_after(
    browser: Browser, clinic: Clinic
) -> None:
    """The on-call therapist paged about Bob's client writes while it is open; once it is
    resolved she may still finish and hand back her own take-over, but not start another."""
    outcome = clinic.risky_message(clinic.client_b, "i am going to kill myself tonight")
    browser.login(clinic.alice)
    assert browser.post(f"/clients/{clinic.client_b}/takeover").status_code == 303
    resolve_as_bob(clinic, outcome.escalation_id)
    sent = browser.post(f"/clients/{clinic.client_b}/takeover/message", text="Checking in, Drew.")
    assert sent.status_code == 303
    assert browser.post(f"/clients/{clinic.client_b}/takeover/end").status_code == 303
    assert browser.post(f"/clients/{clinic.client_b}/takeover").status_code == 403


def test_the_client_is_told_who_is_writing_when_a_second_person_writes_in_a_take_over(
    browser: Browser, clinic: Clinic, http_admin: Browser
) -> None:
    """Finding 2 (Medium). Alice takes over; the client is told "Alice Ng ... is writing".

    An admin then writes in the same take-over. The clinic's choice: the second
    writer is not refused (in a crisis the admin or the paged on-call therapist
    must be able to write at once, without waiting for Alice to hand back), but
    the client is told, once and before their first words, that Ada Admin is
    also writing, so nobody's words arrive as Alice's.
    """
    browser.login(clinic.alice)
    assert browser.post(f"/clients/{clinic.client_a}/takeover").status_code == 303
    http_admin.login(clinic.admin)
    reply = http_admin.post(
        f"/clients/{clinic.client_a}/takeover/message", text="Please call the clinic now."
    )
    again = http_admin.post(f"/clients/{clinic.client_a}/takeover/message", text="Or text back.")
    texts = [m.body for m in outbound_to(clinic, clinic.client_a)]
    assert reply.status_code == 303 and again.status_code == 303
    told = [n for n, body in enumerate(texts) if "Ada Admin" in body]
    assert len(told) == 1, f"the client was told of Ada Admin {len(told)} times: {texts}"
    assert told[0] < texts.index("Please call the clinic now."), texts


def test_after_the_client_texts_stop_the_take_over_no_longer_texts_them(
    browser: Browser, clinic: Clinic
) -> None:
    """Finding 6 (Low). STOP during a take-over: the therapist's SMS used to be queued
    (and rejected by Twilio, 21610) while the page showed the take-over live. They are
    now refused with a sentence saying so, and the hand-back notice is not texted."""
    browser.login(clinic.alice)
    assert browser.post(f"/clients/{clinic.client_a}/takeover").status_code == 303
    clinic.client_texts(clinic.client_a, "STOP")
    with session_scope(clinic.engine) as session:
        client = session.get(Client, clinic.client_a)
        assert client is not None and client.opted_out_at is not None
    reply = browser.post(
        f"/clients/{clinic.client_a}/takeover/message", text="Are you safe right now?"
    )
    queued = [
        m for m in outbound_to(clinic, clinic.client_a) if m.body == "Are you safe right now?"
    ]
    assert reply.status_code != 303 and not queued, (
        f"an SMS to a number that texted STOP was queued: {[(m.status, m.address) for m in queued]}"
    )
    assert "texted STOP" in reply.text
    before = len(outbound_to(clinic, clinic.client_a))
    assert browser.post(f"/clients/{clinic.client_a}/takeover/end").status_code == 303
    assert len(outbound_to(clinic, clinic.client_a)) == before, "the hand-back notice was texted"


def test_a_forms_return_to_never_leads_off_the_dashboard(browser: Browser, clinic: Clinic) -> None:
    """Review: held, pinned down.

    ``return_to`` (escalation to take-over and back) is a local path or ignored."""
    browser.login(clinic.alice)
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example", "/%2F%2Fevil"):
        reply = browser.post(f"/clients/{clinic.client_a}/takeover", return_to=target)
        assert reply.status_code == 303
        assert reply.headers["location"] == f"/clients/{clinic.client_a}", target
        browser.post(f"/clients/{clinic.client_a}/takeover/end")
