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


@pytest.mark.parametrize(
    "answer", ["no but i want to", "no sé", "no estoy segura", "no... maybe", "no pero quiero"]
)
def test_an_answer_that_is_not_a_clear_no_to_the_check_in_pages(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: the bot asks "are you having thoughts of suicide or of
    hurting yourself? Please reply YES or NO". The client answers "no but i want to", or
    in Spanish "no sé" (I don't know), "no estoy segura" (I'm not sure), "no pero quiero"
    (no, but I want to). Any message with a "no" word and no "yes" word is read as a clear
    no: the client is thanked and offered TIPP, the flag stays moderate, nobody is paged.
    The SPEC and README: "any answer that is not a clear no escalates as high risk (when
    in doubt, escalate)"; the English "i dont know" and "not sure" do escalate."""
    _asked(engine, SafetyQuestion.CHECK_IN)
    receive(sms(answer, 1), settings, engine=engine, flood=unlimited)
    assert _paged(engine), queued_to(engine, "+15005550006")


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
