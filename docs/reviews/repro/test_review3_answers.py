"""Review 3: how answers to the bot's safety questions are read.

Real SQLite and PostgreSQL, the real detector, intake pipeline and escalation. The Rasa
forms read the same answers with the same functions (``read_check_in`` in
``ValidateCrisisCheckInForm``, ``read_yes_no`` in ``ValidateDiaryForm``), so what fails here
fails with every server up too. Each test fails today because of the hole its docstring
describes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.intake import FloodControl, receive
from bot.safety.followup import record_question
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Client, Escalation, utcnow
from tests.test_intake import (  # noqa: F401  (fixtures)
    engine,
    queued_to,
    settings,
    sms,
    unlimited,
)

ON_CALL = "+15005550001"


def _asked(engine: Engine, question: str) -> None:  # noqa: F811
    with session_scope(engine) as session:
        client = session.execute(select(Client).where(Client.code == "DEMO0001")).scalar_one()
        record_question(session, client, question, utcnow())


def _paged(engine: Engine) -> bool:  # noqa: F811
    with session_scope(engine) as session:
        levels = list(session.execute(select(Escalation.level)).scalars())
    return levels == ["high"] and any("DEMO0001" in p for p in queued_to(engine, ON_CALL))


@pytest.mark.parametrize("answer", ["i'm not safe", "no estoy a salvo", "bleeding a lot"])
def test_not_safe_in_answer_to_are_you_hurt_or_not_safe_pages(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: on the diary card the client says they self-harmed today;
    the bot asks "Are you hurt in a way that needs care, or not safe right now? (yes or
    no)". The client answers the question's own words: "i'm not safe". The word "not" makes
    it a "no": the core escalates nothing beyond the moderate self-harm flag, and the
    diary form answers "I'm glad. Let's carry on with the card." to someone who just said
    they are not safe. "no estoy a salvo" reads the same; "bleeding a lot" is no answer
    at all (asked again), and the detector finds no risk in any of the three."""
    _asked(engine, SafetyQuestion.SELF_HARM_CARE)
    receive(sms(answer, 1), settings, engine=engine, flood=unlimited)
    assert _paged(engine), queued_to(engine, "+15005550006")
