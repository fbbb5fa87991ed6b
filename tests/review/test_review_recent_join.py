"""Review: the "recent messages joined" screening re-escalates harmless follow-ups.

``bot/intake/screening.py::_with_recent_messages`` scores the client's last
five texts of the last three minutes joined. It is meant for risk split over
several texts; it also re-scores the *already escalated* message with every
text that follows it, so "ok" or "I'm safe now" within three minutes is
escalated again as high risk.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.escalation import acknowledge_escalation
from bot.intake import FloodControl, receive
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.models import utcnow
from tests.review.conftest import (
    CRISIS,
    DEMO_PHONE,
    PRIMARY_PHONE,
    pages_to,
    queued_to,
    sms,
    the_escalation,
    therapist,
)


def test_an_im_safe_now_after_the_therapist_acknowledged_does_not_page_them_again(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        primary = therapist(session, "therapist@demo.clinic")
        acknowledge_escalation(
            session, escalation_id=the_escalation(session).id, therapist=primary,
            now=utcnow(), via="sms",
        )  # fmt: skip
    # The therapist is now calling; the client answers the bot's follow-up.
    receive(sms("thank you, I'm safe now", 2), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        status = the_escalation(session).status
    assert status == "acknowledged", "a harmless reply re-opened the acknowledged escalation"
    assert len(pages_to(engine, PRIMARY_PHONE)) == 1, "the acknowledger was paged again"


def test_an_ok_after_the_crisis_reply_does_not_get_the_whole_crisis_reply_again(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    first = len(queued_to(engine, DEMO_PHONE))
    decision = receive(sms("ok", 2), settings, engine=engine, flood=unlimited)
    again = queued_to(engine, DEMO_PHONE)[first:]
    assert not any("988" in text for text in again), again
    assert decision.hand_off is not None and not decision.hand_off.crisis_replied
