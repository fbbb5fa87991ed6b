"""The front door: what happens to a message before the assistant sees it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.demo import seed_demo
from bot.gateway import CRISIS_REPLIED, accept_inbound
from bot.storage.models import Escalation, Message


@pytest.fixture
def clinic(db_session: Session, tmp_path: Path) -> Session:
    seed_demo(db_session, credentials_file=tmp_path / "credentials.txt")
    return db_session


def test_a_high_risk_message_carries_its_crisis_reply_before_the_assistant_runs(
    clinic: Session,
) -> None:
    inbound = accept_inbound(
        clinic, channel="sms", address="+15005550006", body="i want to kill myself tonight",
        provider_id="SM" + "1" * 32,
    )  # fmt: skip
    assert inbound.conversation_id == "DEMO0001"
    assert any("988" in text for text in inbound.crisis_reply)
    assert inbound.metadata[CRISIS_REPLIED] is True
    stored = clinic.execute(select(Message).where(Message.id == inbound.message_id)).scalar_one()
    assert stored.risk_level == "imminent" or stored.risk_level == "high"
    escalation = clinic.execute(select(Escalation)).scalar_one()
    assert "kill myself" in escalation.evidence


@pytest.mark.parametrize("body", ["can we do my diary", "I'm not suicidal, just tired"])
def test_an_ordinary_message_has_no_crisis_reply_and_opens_nothing(
    clinic: Session, body: str
) -> None:
    inbound = accept_inbound(clinic, channel="sms", address="+15005550006", body=body)
    assert inbound.crisis_reply == ()
    assert clinic.execute(select(Escalation)).first() is None


def test_a_moderate_message_is_flagged_but_left_to_the_check_in(clinic: Session) -> None:
    inbound = accept_inbound(
        clinic,
        channel="sms",
        address="+15005550006",
        body="everyone would be better off without me",
    )
    assert inbound.crisis_reply == ()
    assert clinic.execute(select(Escalation.level)).scalar_one() == "moderate"


def test_a_long_message_keeps_the_passage_around_the_risk_as_evidence(clinic: Session) -> None:
    body = "work was long and boring. " * 300 + "and tonight i am going to kill myself."
    accept_inbound(clinic, channel="sms", address="+15005550006", body=body)
    evidence = clinic.execute(select(Escalation.evidence)).scalar_one()
    assert "kill myself" in evidence
    assert len(evidence) < 1000


def test_a_message_the_detector_cannot_score_is_kept_and_escalated(
    clinic: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str) -> None:
        raise RuntimeError("detector fault")

    monkeypatch.setattr("bot.gateway.assess", broken)
    inbound = accept_inbound(clinic, channel="sms", address="+15005550006", body="hello")
    assert inbound.message_id is not None
    assert inbound.crisis_reply == ()
    level, categories = clinic.execute(select(Escalation.level, Escalation.categories)).one()
    assert level == "high" and "screening_failed" in categories
