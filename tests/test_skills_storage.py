"""Practice (SUDS), homework and chain analysis storage, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clinic import ClinicError, add_client
from bot.demo import seed_demo
from bot.skills import load_library
from bot.skills.chain import CHAIN_SLOTS, chains_for, save_chain
from bot.skills.homework import (
    assign_homework,
    due_at_end_of,
    due_homework,
    list_homework,
    report_homework,
)
from bot.skills.practice import (
    Progress,
    finish_practice,
    recent_practices,
    record_progress,
    start_practice,
)
from bot.storage.enums import HomeworkStatus
from bot.storage.models import Client

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=timezone.utc)
THERAPIST = "therapist@demo.clinic"


@pytest.fixture
def client(db_session: Session) -> Client:
    seed_demo(db_session)
    client, _ = add_client(
        db_session, name="Jo Practice", therapist_email=THERAPIST, timezone="America/New_York"
    )
    db_session.flush()
    return client


def test_a_practice_is_logged_with_skill_channel_and_suds_before_and_after(
    db_session: Session, client: Client
) -> None:
    practice = start_practice(
        db_session, client, skill_id="tipp", channel="sms", distress_before=80, now=NOW
    )
    record_progress(db_session, client, practice.id, Progress(done=1, skipped=0))
    finish_practice(
        db_session,
        client,
        practice.id,
        distress_after=35,
        progress=Progress(done=3, skipped=1),
        now=NOW + timedelta(minutes=6),
    )
    db_session.expire_all()
    (stored,) = recent_practices(db_session, client)
    assert (stored.skill_id, stored.channel) == ("tipp", "sms")
    assert (stored.distress_before, stored.distress_after) == (80, 35)
    assert (stored.steps_done, stored.steps_skipped) == (3, 1)
    assert stored.started_at == NOW
    assert stored.completed_at == NOW + timedelta(minutes=6)


def test_a_practice_stopped_halfway_keeps_its_rating_and_progress(
    db_session: Session, client: Client
) -> None:
    practice = start_practice(
        db_session, client, skill_id="stop", channel="telegram", distress_before=60, now=NOW
    )
    record_progress(db_session, client, practice.id, Progress(done=2, skipped=0))
    db_session.expire_all()
    (stored,) = recent_practices(db_session, client)
    assert stored.completed_at is None
    assert stored.distress_after is None
    assert stored.steps_done == 2


def test_a_suds_rating_above_100_is_refused_by_the_database(
    db_session: Session, client: Client
) -> None:
    with pytest.raises(IntegrityError):
        start_practice(
            db_session, client, skill_id="tipp", channel="sms", distress_before=101, now=NOW
        )


def test_another_clients_practice_cannot_be_changed(db_session: Session, client: Client) -> None:
    other, _ = add_client(db_session, name="Other", therapist_email=THERAPIST, timezone="UTC")
    practice = start_practice(
        db_session, client, skill_id="tipp", channel="local", distress_before=50, now=NOW
    )
    with pytest.raises(LookupError):
        record_progress(db_session, other, practice.id, Progress(done=1, skipped=0))


def test_homework_is_due_after_its_day_and_the_report_is_stored(
    db_session: Session, client: Client
) -> None:
    homework = assign_homework(
        db_session,
        load_library(),
        client_code=client.code,
        therapist_email=THERAPIST,
        due_at=due_at_end_of(date(2026, 11, 30), client.timezone),
        skill="tipp",
    )
    assert homework.title == "Practice TIPP"
    assert homework.instructions == load_library().get("tipp").homework
    assert due_homework(db_session, client, NOW) is None  # still its due day in New York
    later = NOW + timedelta(days=1)
    assert due_homework(db_session, client, later) == homework
    report_homework(
        db_session, client, homework.id, done=True, report="cold water helped", now=later
    )
    db_session.expire_all()
    (stored,) = list_homework(db_session, client.code)
    assert stored.status == HomeworkStatus.DONE
    assert stored.client_report == "cold water helped"
    assert stored.reported_at == later
    assert due_homework(db_session, client, later) is None


def test_homework_not_done_is_stored_as_missed(db_session: Session, client: Client) -> None:
    homework = assign_homework(
        db_session,
        load_library(),
        client_code=client.code,
        therapist_email=THERAPIST,
        due_at=NOW - timedelta(hours=1),
        title="Pros and cons worksheet",
    )
    report_homework(db_session, client, homework.id, done=False, report=None, now=NOW)
    db_session.expire_all()
    (stored,) = list_homework(db_session, client.code)
    assert (stored.status, stored.client_report) == (HomeworkStatus.MISSED, None)


@pytest.mark.parametrize(
    "options",
    [{"skill": "no such skill"}, {"title": "  "}, {"title": "x", "client_code": "NOSUCH99"}],
)
def test_homework_with_an_unknown_skill_or_client_or_no_title_is_refused(
    db_session: Session, client: Client, options: dict[str, str]
) -> None:
    arguments = {
        "client_code": client.code,
        "therapist_email": THERAPIST,
        "due_at": NOW,
        **options,
    }
    with pytest.raises(ClinicError):
        assign_homework(db_session, load_library(), **arguments)  # type: ignore[arg-type]


def test_a_chain_analysis_is_saved_answer_by_answer_and_completed(
    db_session: Session, client: Client
) -> None:
    first = save_chain(
        db_session,
        client,
        {"chain_behavior": "I yelled at my sister"},
        chain_id=None,
        channel="sms",
        now=NOW,
        complete=False,
    )
    answers = {slot: f"answer to {slot}" for slot in CHAIN_SLOTS}
    later = NOW + timedelta(minutes=20)
    save_chain(
        db_session, client, answers, chain_id=first.id, channel="sms", now=later, complete=True
    )
    db_session.expire_all()
    (stored,) = chains_for(db_session, client)
    assert stored.id == first.id
    assert stored.behavior == "answer to chain_behavior"
    assert stored.repair == "answer to chain_repair"
    assert (stored.started_at, stored.completed_at) == (NOW, later)


def test_a_paused_chain_keeps_its_answers_and_is_not_complete(
    db_session: Session, client: Client
) -> None:
    save_chain(
        db_session,
        client,
        {"chain_behavior": "binged", "chain_prompting_event": "a text from my ex"},
        chain_id=None,
        channel="telegram",
        now=NOW,
        complete=False,
    )
    db_session.expire_all()
    (stored,) = chains_for(db_session, client)
    assert (stored.behavior, stored.prompting_event) == ("binged", "a text from my ex")
    assert stored.vulnerabilities is None
    assert stored.completed_at is None
