"""Review 3: what the client is told, and what staff are told, when paging goes wrong.

Real SQLite and PostgreSQL, the real detector, intake pipeline, escalation and outbox
records (the provider's refusals are recorded as the outbox records them). Each test fails
today because of the hole its docstring describes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.intake import FloodControl, receive
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.models import Message, utcnow
from tests.test_intake import (  # noqa: F401  (fixtures)
    CRISIS,
    DEMO_PHONE,
    engine,
    queued_to,
    settings,
    sms,
    unlimited,
)


def test_the_same_crisis_words_sent_again_after_the_call_reopen_the_escalation(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: 22:00 "i want to kill myself tonight"; the on-call
    therapist acknowledges at 22:01, calls, and hangs up at 22:08 believing the client is
    settled. At 22:09 the client sends the same words again, deliberately (not a phone
    retrying a failed text: a new message, typed again). Anything identical within
    10 minutes of an escalated text counts as a re-send: no crisis reply, no re-opened
    escalation, no page; the therapist who just hung up never hears of it."""
    from datetime import timedelta

    from bot.escalation import acknowledge_escalation
    from bot.storage.models import Escalation, Therapist

    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        primary = session.execute(
            select(Therapist).where(Therapist.email == "therapist@demo.clinic")
        ).scalar_one()
        escalation_id = session.execute(select(Escalation.id)).scalar_one()
        acknowledge_escalation(
            session, escalation_id=escalation_id, therapist=primary, now=utcnow(), via="sms"
        )
        for message in session.execute(select(Message)).scalars():  # nine minutes pass
            message.created_at -= timedelta(minutes=9)
    receive(sms(CRISIS, 2), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        status = session.execute(select(Escalation.status)).scalar_one()
    assert status == "open", status  # re-opened: the therapist is paged again
