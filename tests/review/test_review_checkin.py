"""Review 7b: the core's check-in question and an answer that comes late.

Real SQLite and PostgreSQL, the real detector and intake pipeline; no Rasa and no
action server (as when the action server is down: SPEC, "screening never depends on
Rasa or the action server being up"). The passing hour is staged by moving the
recorded question's times back, nothing else.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.intake import FloodControl, receive
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.models import Escalation, PendingSafetyQuestion
from tests.test_intake import (  # noqa: F401  (fixtures)
    DEMO_PHONE,
    PRIMARY_PHONE,
    engine,
    queued_to,
    settings,
    sms,
    unlimited,
)


def test_a_yes_to_the_check_in_an_hour_later_still_pages_without_the_action_server(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: at 22:00 a client texts "honestly everyone would be better
    off without me"; the core asks "are you having thoughts of suicide?". She puts the
    phone down and answers "yes" at 23:05. The core has forgotten its question after 60
    minutes, so the "yes" is an ordinary text: no escalation, no page, no crisis reply.
    Only Rasa, whose check-in form still waits for the answer, escalates it, through the
    action server; if that is down or hung at 23:05, confirmed suicidal thoughts reach
    nobody. The conversation and the core disagree about whether a question is open."""
    receive(
        sms("honestly everyone would be better off without me", 1),
        settings,
        engine=engine,
        flood=unlimited,
    )
    assert any("thoughts of suicide" in text for text in queued_to(engine, DEMO_PHONE))
    with session_scope(engine) as session:  # 65 minutes pass
        (pending,) = session.execute(select(PendingSafetyQuestion)).scalars()
        pending.asked_at -= timedelta(minutes=65)
        pending.expires_at -= timedelta(minutes=65)
    receive(sms("yes", 2), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        levels = list(session.execute(select(Escalation.level)).scalars())
    assert levels == ["high"], levels
    assert any("DEMO0001" in text for text in queued_to(engine, PRIMARY_PHONE))


def test_a_no_to_are_you_safe_right_now_an_hour_later_reopens_the_escalation_without_rasa(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: after a crisis text the therapist acknowledged it and the
    bot asked "are you safe right now?" (recorded by the action, as `crisis_followup_form`
    does). The client answers "no" 65 minutes later. The core has forgotten the question, so
    the "no" is not read as "not safe": nothing re-opens the escalation or pages. Only the
    Rasa follow-up form, restored at the new session, reads it, through the action server;
    if that is down, "I'm not safe" reaches nobody."""
    from bot.escalation import acknowledge_escalation
    from bot.safety.followup import record_question
    from bot.storage.enums import SafetyQuestion
    from bot.storage.models import Client, Therapist, utcnow
    from tests.test_intake import CRISIS, _escalation_status

    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        primary = session.execute(
            select(Therapist).where(Therapist.email == "therapist@demo.clinic")
        ).scalar_one()
        acknowledge_escalation(
            session,
            escalation_id=session.execute(select(Escalation.id)).scalar_one(),
            therapist=primary,
            now=utcnow(),
            via="sms",
        )
        client = session.execute(select(Client).where(Client.code == "DEMO0001")).scalar_one()
        record_question(session, client, SafetyQuestion.SAFE_NOW, utcnow() - timedelta(minutes=65))
    receive(sms("no", 2), settings, engine=engine, flood=unlimited)
    assert _escalation_status(engine) == "open"  # re-opened: the acknowledger is paged again
