"""What the dashboard shows, without HTTP: charts, the caseload's order, the demo history."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.dashboard.charts import EMOTIONS, line_chart
from bot.dashboard.demo_data import HISTORY_DAYS, seed_demo_history
from bot.dashboard.queries import caseload
from bot.demo import DEMO_CLIENT_CODE, seed_demo
from bot.escalation import resolve_escalation
from bot.storage.enums import Direction, EscalationStatus
from bot.storage.models import (
    Client,
    DiaryEntry,
    Escalation,
    Message,
    SkillPractice,
    Therapist,
    utcnow,
)
from tests.dashboard_support import Clinic

START = date(2026, 11, 1)


def card(day: int, **values: int) -> DiaryEntry:
    return DiaryEntry(client_id=1, entry_date=START + timedelta(days=day), **values)


def test_a_missing_day_breaks_the_line_instead_of_drawing_zero() -> None:
    entries = [card(0, sadness=2), card(1, sadness=3), card(3, sadness=4), card(4, sadness=1)]
    chart = line_chart("Emotions", entries, EMOTIONS, 5, START, START + timedelta(days=29))
    sadness = chart.series[0]
    assert sadness.line.count("M") == 2  # two runs: days 0-1 and 3-4
    assert sadness.markers.count("M") == 4  # every card still has its marker
    assert sadness.latest == 1


def test_each_series_differs_in_dash_and_marker_not_only_colour() -> None:
    entries = [card(0, sadness=1, anger=2, fear=3, shame=4, joy=5)]
    chart = line_chart("Emotions", entries, EMOTIONS, 5, START, START + timedelta(days=29))
    assert len({s.dash for s in chart.series}) == len(EMOTIONS)
    assert len({s.marker for s in chart.series}) == len(EMOTIONS)
    assert len({s.legend_marker for s in chart.series}) == len(EMOTIONS)
    assert [s.label for s in chart.series] == [label for _, label in EMOTIONS]
    assert "latest: sadness 1, anger 2, fear 3, shame 4, joy 5" in chart.summary


def test_a_period_without_cards_says_so() -> None:
    chart = line_chart("Urges", [], EMOTIONS, 5, START, START + timedelta(days=29))
    assert chart.empty and "no diary cards" in chart.summary


def test_the_caseload_puts_the_client_with_an_open_high_risk_escalation_first(
    clinic: Clinic,
) -> None:
    clinic.risky_message(clinic.client_b, "i want to kill myself")
    with Session(clinic.engine, future=True) as session:
        admin = session.execute(
            select(Therapist).where(Therapist.email == clinic.admin)
        ).scalar_one()
        rows = caseload(session, admin, utcnow())
    assert [row.name for row in rows] == ["Drew Beta", "Casey Alpha"]
    assert rows[0].risk == "high" and rows[0].unacknowledged
    assert rows[1].risk is None and rows[1].last_diary is None and rows[1].homework_assigned == 0


def test_the_demo_clinic_gets_sixty_days_of_history_once(
    db_session: Session, tmp_path: Path
) -> None:
    seed_demo(db_session, credentials_file=tmp_path / "credentials.txt")
    assert seed_demo_history(db_session, utcnow())
    demo = db_session.execute(select(Client).where(Client.code == DEMO_CLIENT_CODE)).scalar_one()

    def count(model: type, *where: object) -> int:
        return db_session.execute(
            select(func.count()).select_from(model).where(model.client_id == demo.id, *where)  # type: ignore[attr-defined]
        ).scalar_one()

    cards = count(DiaryEntry)
    assert HISTORY_DAYS * 0.7 < cards <= HISTORY_DAYS
    assert count(SkillPractice) > 10
    assert count(Message) > 100
    # History, not news: a first start must not screen (and log) the seeded texts again.
    inbound = Message.direction == Direction.INBOUND
    assert count(Message, inbound, Message.screened_at.is_(None)) == 0
    assert count(Escalation, Escalation.status == EscalationStatus.OPEN) == 1
    escalation = db_session.execute(select(Escalation)).scalar_one()
    assert escalation.pages == []  # recorded, never paged: seeding sends nothing
    before = (cards, count(SkillPractice), count(Message))
    assert not seed_demo_history(db_session, utcnow())
    assert (count(DiaryEntry), count(SkillPractice), count(Message)) == before


def test_a_recent_risky_message_keeps_its_flag_after_the_escalation_is_resolved(
    clinic: Clinic,
) -> None:
    clinic.client_texts(clinic.client_a, "everyone would be better off without me")
    with Session(clinic.engine, future=True) as session, session.begin():
        alice = session.execute(
            select(Therapist).where(Therapist.email == clinic.alice)
        ).scalar_one()
        escalation = session.execute(select(Escalation)).scalar_one()
        resolve_escalation(
            session, escalation_id=escalation.id, therapist=alice, note="Talked in session.",
            now=utcnow(),
        )  # fmt: skip
        (row,) = caseload(session, alice, utcnow())
    assert (row.risk, row.open_escalations) == ("moderate", 0)
