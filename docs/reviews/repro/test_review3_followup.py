"""Review 3: answers to the bot's safety questions while the action server is down.

Real SQLite and PostgreSQL, the real detector, intake pipeline and escalation; no Rasa and
no action server (which is the point: screening must not depend on them). Each test fails
today because of the hole its docstring describes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.escalation import acknowledge_escalation
from bot.intake import FloodControl, receive
from bot.safety.followup import record_question
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Client, Escalation, Therapist, utcnow
from tests.test_intake import (  # noqa: F401  (fixtures)
    CRISIS,
    DEMO_PHONE,
    _escalation_status,
    engine,
    queued_to,
    settings,
    sms,
    unlimited,
)


def _acknowledged_and_asked(engine: Engine, question: str) -> None:  # noqa: F811
    """The on-call therapist acknowledged; the assistant then asked ``question`` (recorded)."""
    with session_scope(engine) as session:
        primary = session.execute(
            select(Therapist).where(Therapist.email == "therapist@demo.clinic")
        ).scalar_one()
        escalation_id = session.execute(select(Escalation.id)).scalar_one()
        acknowledge_escalation(
            session, escalation_id=escalation_id, therapist=primary, now=utcnow(), via="sms"
        )
        client = session.execute(select(Client).where(Client.code == "DEMO0001")).scalar_one()
        record_question(session, client, question, utcnow())


def test_a_no_to_are_you_safe_after_an_ok_reopens_the_escalation_without_the_action_server(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: after a crisis text the therapist acknowledged and is
    calling; the bot asked "are you safe right now?" and then the action server hung.
    The client answers "ok" (read as unclear: the question is consumed, and only the
    action server would ask and record it again), then "no". The core no longer has a
    question to read the "no" against: no crisis reply, no re-opened escalation, no new
    page. With the action server up, Rasa's follow-up form catches it; without, nobody
    hears that the client is not safe."""
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    _acknowledged_and_asked(engine, SafetyQuestion.SAFE_NOW)
    replies_before = len(queued_to(engine, DEMO_PHONE))
    receive(sms("ok", 2), settings, engine=engine, flood=unlimited)
    receive(sms("no", 3), settings, engine=engine, flood=unlimited)
    assert _escalation_status(engine) == "open"  # re-opened: the acknowledger paged again
    assert any("988" in text for text in queued_to(engine, DEMO_PHONE)[replies_before:])


def test_an_urge_of_5_after_a_hmm_still_pages_without_the_action_server(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """The same hole on the diary card: "urge to commit suicide today, 0-5?" answered
    "hmm" (not a number: the form would re-ask), then "5". The action server hung after
    the question: the "5" pages nobody."""
    with session_scope(engine) as session:
        client = session.execute(select(Client).where(Client.code == "DEMO0001")).scalar_one()
        record_question(session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    receive(sms("hmm", 1), settings, engine=engine, flood=unlimited)
    receive(sms("5", 2), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        levels = list(session.execute(select(Escalation.level)).scalars())
    assert levels == ["high"], levels
    assert any("DEMO0001" in page for page in queued_to(engine, "+15005550001"))
