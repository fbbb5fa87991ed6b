"""Review 3: crisis numbers and crisis-path texts for Spanish-speaking clients.

The settings as a clinic writes them (environment variables), the real crisis replies, and
for the pipeline tests real SQLite and PostgreSQL with the real detector and intake. Each
test fails today because of the hole its docstring describes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.intake import FloodControl, receive
from bot.safety.followup import record_question
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Client, utcnow
from tests.test_intake import (  # noqa: F401  (fixtures)
    DEMO_PHONE,
    STRANGER_PHONE,
    engine,
    queued_to,
    settings,
    sms,
    unlimited,
)


def _spanish_speaker(engine: Engine) -> Client:  # noqa: F811
    with session_scope(engine) as session:
        client = session.execute(select(Client).where(Client.code == "DEMO0001")).scalar_one()
        client.locale = "es"
        return client


def test_a_voice_note_to_estas_a_salvo_gets_its_answer_request_in_spanish(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: a Spanish-speaking client (profile `es`) was asked
    "¿Estás a salvo ahora mismo?" and answers with a voice note. The core answers "I can
    only read text, so I couldn't see or hear that. Could you answer me in words? If you
    need to talk to someone now, call or text 988 (oprime 2 para español)...": English
    words around Spanish numbers, to someone in crisis who reads Spanish. The same
    English-only texts go to Spanish speakers when the assistant fails
    (PROCESSING_ERROR_REPLY), when a message cannot be screened, on STOP and HELP."""
    client = _spanish_speaker(engine)
    with session_scope(engine) as session:
        record_question(session, session.get(Client, client.id), SafetyQuestion.SAFE_NOW, utcnow())
    receive(sms("", 1, media=True), settings, engine=engine, flood=unlimited)
    (reply,) = queued_to(engine, DEMO_PHONE)
    assert "I can only read text" not in reply, reply


def test_a_spanish_speaking_stranger_at_moderate_risk_is_answered_in_spanish(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: someone texts from a number WiseMind does not know, in
    Spanish, at moderate risk ("siento que todos estarían mejor sin mí"). A high-risk
    stranger gets the Spanish crisis reply (its language is read from the text); a
    moderate one gets the English "This is WiseMind ... call or text 988; in an emergency
    call 911", without the Spanish line's "oprime 2 para español"."""
    text = "siento que todos estarían mejor sin mí"
    decision = receive(sms(text, 1, sender=STRANGER_PHONE), settings, engine=engine,
                       flood=unlimited)  # fmt: skip
    assert decision.direct_reply is not None
    assert "This is WiseMind" not in decision.direct_reply, decision.direct_reply
