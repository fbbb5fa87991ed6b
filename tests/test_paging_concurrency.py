"""Paging (and flood control) under concurrency on PostgreSQL: several Rasa servers and
schedulers share one database.

Every test races real connections against each other (threads, one session
each); a barrier releases them together, and each race runs several times.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clinic import add_client, add_therapist, set_oncall, therapist_by_email
from bot.escalation import RiskOutcome, acknowledge_escalation, advance_pages, record_risk
from bot.intake import FloodControl
from bot.settings import Settings, TwilioSettings, load_settings
from bot.storage import create_engine_for, session_scope
from bot.storage.migrate import upgrade
from bot.storage.models import Client, Escalation, Page, utcnow
from tests.servers import poll_until

T = TypeVar("T")
RACES = 6
THERAPIST = "t@clinic.test"


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    upgrade(postgres_url)
    engine = create_engine_for(postgres_url)
    with session_scope(engine) as session:
        add_therapist(session, email=THERAPIST, name="Dr. T", sms_number="+15005550011")
        add_therapist(session, email="b@clinic.test", name="Dr. B", sms_number="+15005550013")
        set_oncall(session, therapist_email=THERAPIST, role="primary")
        set_oncall(session, therapist_email="b@clinic.test", role="backup")
    yield engine
    engine.dispose()


@pytest.fixture
def settings() -> Settings:
    return dataclasses.replace(
        load_settings(), twilio=TwilioSettings("AC" + "0" * 32, "token", "+15005550000")
    )


def _new_client(engine: Engine, name: str) -> int:
    with session_scope(engine) as session:
        client, _ = add_client(session, name=name, therapist_email=THERAPIST, timezone="UTC")
        return client.id


def _together(engine: Engine, work: Callable[[int], T], count: int = 2) -> list[T]:
    """Run ``work(i)`` in ``count`` threads released at once; each commits its own transaction."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results.append(work(index))
        except BaseException as error:  # reported in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def test_two_risky_messages_at_once_open_one_escalation_and_send_one_page(
    engine: Engine, settings: Settings
) -> None:
    for race in range(RACES):
        client_id = _new_client(engine, f"Client {race}")

        def risky(index: int, client_id: int = client_id) -> bool:
            with session_scope(engine) as session:
                client = session.get(Client, client_id)
                assert client is not None
                outcome = record_risk(
                    session, client, level="imminent", categories=["plan"],
                    evidence=f"message {index}", now=utcnow(), settings=settings,
                )  # fmt: skip
                return outcome.alerted

        assert _together(engine, risky) == [True, True]
        with session_scope(engine) as session:
            escalations = session.execute(
                select(Escalation).where(Escalation.client_id == client_id)
            ).scalars().all()  # fmt: skip
            assert len(escalations) == 1
            assert len(escalations[0].pages) == 1
            assert "message 0" in escalations[0].evidence
            assert "message 1" in escalations[0].evidence


def test_two_schedulers_take_each_page_step_once(engine: Engine, settings: Settings) -> None:
    start = utcnow()
    for race in range(RACES):
        client_id = _new_client(engine, f"Client {race}")
        with session_scope(engine) as session:
            client = session.get(Client, client_id)
            assert client is not None
            record_risk(
                session, client, level="imminent", categories=["plan"], evidence="x",
                now=start, settings=settings,
            )  # fmt: skip
        due = start + timedelta(seconds=settings.page_ack_timeout_seconds + 1)

        def scheduler(_index: int, due: datetime = due) -> int:
            with session_scope(engine) as session:
                return advance_pages(session, due, settings)

        assert sorted(_together(engine, scheduler)) == [0, 1]
        with session_scope(engine) as session:
            tiers = session.execute(
                select(Page.tier)
                .join(Escalation, Escalation.id == Page.escalation_id)
                .where(Escalation.client_id == client_id)
                .order_by(Page.id)
            ).scalars().all()  # fmt: skip
            assert tiers == ["primary", "backup"]


def test_the_database_refuses_a_second_active_escalation_for_a_client(
    engine: Engine,
) -> None:
    client_id = _new_client(engine, "Robin")
    with session_scope(engine) as session:
        session.add(
            Escalation(client_id=client_id, code="AAAAAA", level="high", opened_at=utcnow())
        )
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(
            Escalation(client_id=client_id, code="BBBBBB", level="high", opened_at=utcnow())
        )
    with session_scope(engine) as session:
        session.add(
            Escalation(
                client_id=client_id, code="CCCCCC", level="high", status="resolved",
                opened_at=utcnow(),
            )
        )  # fmt: skip
        count = session.execute(select(func.count(Escalation.id))).scalar_one()
        assert count == 2


def _waiting_on_a_lock(engine: Engine) -> bool:
    """Whether another connection to this database is waiting for a row lock."""
    with engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return bool(waiting)


def test_new_high_risk_arriving_as_the_page_is_acknowledged_pages_the_on_call_therapist_again(
    engine: Engine, settings: Settings
) -> None:
    client_id = _new_client(engine, "Robin")
    with session_scope(engine) as session:
        client = session.get(Client, client_id)
        assert client is not None
        first = record_risk(
            session, client, level="high", categories=["ideation"], evidence="first",
            now=utcnow(), settings=settings,
        )  # fmt: skip
    # The therapist's ACK is being written (its transaction holds the escalation) ...
    acknowledging = Session(engine, future=True)
    acknowledging.begin()
    therapist = therapist_by_email(acknowledging, THERAPIST)
    assert therapist is not None
    acknowledge_escalation(
        acknowledging, escalation_id=first.escalation_id, therapist=therapist,
        now=utcnow(), via="sms",
    )  # fmt: skip
    acknowledging.flush()
    # ... as the client's next message, with higher risk, is screened on another server.
    outcome: list[RiskOutcome] = []

    def risky() -> None:
        with session_scope(engine) as session:
            client = session.get(Client, client_id)
            assert client is not None
            outcome.append(
                record_risk(
                    session,
                    client,
                    level="imminent",
                    categories=["plan"],
                    evidence="second",
                    now=utcnow(),
                    settings=settings,
                )  # fmt: skip
            )

    screening = threading.Thread(target=risky)
    screening.start()
    poll_until(lambda: not screening.is_alive() or _waiting_on_a_lock(engine), bool)
    acknowledging.commit()
    acknowledging.close()
    screening.join()
    (second,) = outcome
    with session_scope(engine) as session:
        escalation = session.get(Escalation, first.escalation_id)
        assert escalation is not None
        assert escalation.status == "open"  # re-opened by the new risk
        tiers = [page.tier for page in escalation.pages]
        assert tiers == ["primary", "primary"]
        assert escalation.pages[-1].address == "+15005550011"
    assert second.alerted


def test_several_rasa_servers_taking_one_senders_tokens_at_once_allow_only_the_burst(
    engine: Engine,
) -> None:
    flood = FloodControl(burst=3, refill_seconds=3600, clock=lambda: 0.0)
    for race in range(RACES):
        address = f"+1555000{race:04d}"

        def take(_index: int, address: str = address) -> bool:
            with session_scope(engine) as session:
                return flood.allow(session, "sms", address)

        assert sorted(_together(engine, take, count=6)) == [False] * 3 + [True] * 3
