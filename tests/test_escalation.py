"""Escalations and paging: who is paged, when, with what words, and what stops it."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clinic import client_by_code, therapist_by_email
from bot.demo import seed_demo
from bot.escalation import acknowledge, advance_pages, record_risk, staff_reply
from bot.settings import Settings, TwilioSettings, load_settings
from bot.storage.enums import MessageStatus, PageStatus, PageTier
from bot.storage.models import Client, Escalation, Message, OncallShift, Page, utcnow

CLIENT_WORDS = "i have the pills here and i am going to take them tonight"
CRISIS_LINE = "+15005550009"


@pytest.fixture
def settings() -> Settings:
    return dataclasses.replace(
        load_settings(),
        twilio=TwilioSettings("AC" + "0" * 32, "token", "+15005550000"),
        clinic_crisis_line=CRISIS_LINE,
        page_ack_timeout_seconds=300,
    )


@pytest.fixture
def client(db_session: Session, tmp_path: object) -> Client:
    seed_demo(db_session, credentials_file=tmp_path / "creds.txt")  # type: ignore[operator]
    demo = client_by_code(db_session, "DEMO0001")
    assert demo is not None
    return demo


def _risk(session: Session, client: Client, settings: Settings, level: str = "imminent",
          evidence: str = CLIENT_WORDS, at: object = None):  # type: ignore[no-untyped-def]  # fmt: skip
    return record_risk(
        session, client, level=level, categories=["plan_means"], evidence=evidence,
        now=at or utcnow(), settings=settings,
    )  # fmt: skip


def _pages(session: Session) -> list[Page]:
    return list(session.execute(select(Page).order_by(Page.id)).scalars())


def test_a_high_risk_pages_the_primary_with_no_client_words(
    db_session: Session, client: Client, settings: Settings
) -> None:
    outcome = _risk(db_session, client, settings)
    assert outcome.opened and outcome.paged
    (page,) = _pages(db_session)
    assert (page.tier, page.address) == (PageTier.PRIMARY, "+15005550001")
    message = db_session.get(Message, page.message_id)
    assert message is not None and message.status == MessageStatus.QUEUED
    assert "DEMO0001" in message.body and outcome.code in message.body
    assert "imminent" in message.body
    for word in CLIENT_WORDS.split():
        if len(word) > 3:
            assert word not in message.body.lower()
    escalation = db_session.get(Escalation, outcome.escalation_id)
    assert escalation is not None and CLIENT_WORDS in escalation.evidence


def test_further_risk_adds_evidence_to_the_open_escalation_without_paging_again(
    db_session: Session, client: Client, settings: Settings
) -> None:
    first = _risk(db_session, client, settings)
    second = _risk(db_session, client, settings, evidence="still here with them")
    assert second.escalation_id == first.escalation_id and not second.opened
    assert len(_pages(db_session)) == 1
    escalation = db_session.get(Escalation, first.escalation_id)
    assert escalation is not None and "still here with them" in escalation.evidence


def test_moderate_risk_is_flagged_without_a_page_until_it_becomes_high(
    db_session: Session, client: Client, settings: Settings
) -> None:
    flagged = _risk(db_session, client, settings, level="moderate", evidence="whats the point")
    assert flagged.opened and not flagged.paged
    assert _pages(db_session) == []
    raised = _risk(db_session, client, settings, level="high", evidence="i want to die")
    assert raised.level == "high" and raised.paged
    assert len(_pages(db_session)) == 1


def test_no_acknowledgement_in_time_pages_the_backup_then_the_crisis_line(
    db_session: Session, client: Client, settings: Settings
) -> None:
    start = utcnow()
    _risk(db_session, client, settings, at=start)
    assert advance_pages(db_session, start + timedelta(seconds=299), settings) == 0
    assert advance_pages(db_session, start + timedelta(seconds=301), settings) == 1
    primary, backup = _pages(db_session)
    assert primary.status == PageStatus.SUPERSEDED
    assert (backup.tier, backup.address) == (PageTier.BACKUP, "+15005550003")
    advance_pages(db_session, start + timedelta(seconds=602), settings)
    assert [(p.tier, p.address) for p in _pages(db_session)][-1] == (
        PageTier.CRISIS_LINE,
        CRISIS_LINE,
    )


def test_a_page_that_fails_to_send_moves_to_the_backup_at_once(
    db_session: Session, client: Client, settings: Settings
) -> None:
    _risk(db_session, client, settings)
    (primary,) = _pages(db_session)
    message = db_session.get(Message, primary.message_id)
    assert message is not None
    message.status = MessageStatus.UNDELIVERABLE
    assert advance_pages(db_session, utcnow(), settings) == 1
    assert [p.tier for p in _pages(db_session)] == [PageTier.PRIMARY, PageTier.BACKUP]
    assert _pages(db_session)[0].status == PageStatus.FAILED


def test_ack_stops_the_escalation_going_further(
    db_session: Session, client: Client, settings: Settings
) -> None:
    start = utcnow()
    outcome = _risk(db_session, client, settings, at=start)
    therapist = therapist_by_email(db_session, "therapist@demo.clinic")
    assert therapist is not None
    reply = staff_reply(db_session, therapist, f"ack {outcome.code.lower()}", start)
    assert "Acknowledged" in reply and "DEMO0001" in reply
    assert advance_pages(db_session, start + timedelta(hours=1), settings) == 0
    escalation = db_session.get(Escalation, outcome.escalation_id)
    assert escalation is not None and escalation.acknowledged_by == therapist.id
    assert [p.status for p in _pages(db_session)] == [PageStatus.ACKNOWLEDGED]


def test_an_unknown_ack_code_says_so_and_other_texts_get_instructions(
    db_session: Session, client: Client
) -> None:
    therapist = therapist_by_email(db_session, "therapist@demo.clinic")
    assert therapist is not None
    assert "no open alert" in acknowledge(db_session, therapist, "ZZZZZZ", utcnow())
    assert "ACK <code>" in staff_reply(db_session, therapist, "hello?", utcnow())


def test_with_nobody_on_call_the_backup_or_crisis_line_is_paged_at_once(
    db_session: Session, client: Client, settings: Settings
) -> None:
    for shift in db_session.execute(select(OncallShift)).scalars():
        db_session.delete(shift)
    db_session.flush()
    _risk(db_session, client, settings)
    assert [(p.tier, p.address) for p in _pages(db_session)] == [
        (PageTier.CRISIS_LINE, CRISIS_LINE)
    ]


def test_without_any_paging_channel_nobody_is_paged_and_the_client_is_not_told_so(
    db_session: Session, client: Client, settings: Settings
) -> None:
    outcome = _risk(db_session, client, dataclasses.replace(settings, twilio=None))
    assert outcome.opened and not outcome.paged
    assert _pages(db_session) == []
