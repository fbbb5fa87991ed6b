"""Review: carrier keywords swallow a client's answer to the bot's safety question.

By SMS, a whole-message HELP, INFO, END, QUIT, CANCEL ... is a carrier keyword
(``bot/intake/pipeline.py::_compliance_reply``): the client gets the carrier
boilerplate, and the message never reaches the conversation. The pending
safety question is used up by it all the same
(``bot/safety/followup.py::take_pending_question``), so the crisis follow-up
stalls and the next answer is read by nobody but Rasa.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.intake import FloodControl, InboundMessage, receive
from bot.safety.followup import record_question
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Escalation, utcnow
from tests.review.conftest import DEMO_CHAT, DEMO_PHONE, demo_client, queued_to, sms


def test_help_in_answer_to_are_you_safe_right_now_is_not_answered_with_carrier_boilerplate(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    with session_scope(engine) as session:
        # The follow-up after a crisis reply has just asked "Are you safe right now?"
        record_question(session, demo_client(session), SafetyQuestion.SAFE_NOW, utcnow())
    decision = receive(sms("HELP"), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        escalated = session.query(Escalation).count() > 0
    replies = queued_to(engine, DEMO_PHONE)
    assert decision.hand_off is not None or escalated, (
        f"'HELP' to 'are you safe right now?' reached neither the follow-up nor a person; "
        f"the client got: {replies}"
    )


def test_a_voice_note_in_answer_to_are_you_safe_right_now_does_not_get_the_menu_prompt(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """On Telegram someone in distress often answers by voice; the bot cannot read it."""
    with session_scope(engine) as session:
        record_question(session, demo_client(session), SafetyQuestion.SAFE_NOW, utcnow())
    voice = InboundMessage("telegram", DEMO_CHAT, "", provider_id="1:777000:9", has_media=True)
    decision = receive(voice, settings, engine=engine, flood=unlimited)
    replies = queued_to(engine, DEMO_CHAT)
    assert decision.hand_off is not None or any("988" in text for text in replies), (
        f"the follow-up stalls and the client in crisis is pointed to the menu: {replies}"
    )
