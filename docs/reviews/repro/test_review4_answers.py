"""Review 4: answers to the bot's safety questions read wrongly by the core (no Rasa).

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector and intake
pipeline (``bot.intake.receive``). Each test fails today because of the hole its
docstring describes.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.safety.followup import record_question
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Client, utcnow
from tests.test_safety_followup import (  # noqa: F401  (fixtures and helpers)
    _answer,
    _escalations,
    _primary_pages,
    client,
)


def test_a_time_said_after_leaving_the_diary_card_is_not_read_as_a_suicide_urge(
    db_session: Session,
    client: Client,  # noqa: F811
) -> None:
    """What a clinic would see: the diary card asks "urge to commit suicide today, 0-5?";
    the client answers "can we do the diary later" (unclear: since ffa6e62 the question
    waits) and the assistant drops the card. Ten minutes later the client writes "my
    appointment is at 4": read against the urge question still pending, it is an urge of 4,
    so the client gets "I'm really glad you told me ... I've alerted a person" and the
    on-call therapist is paged for a message about an appointment. (Before ffa6e62 the
    unclear answer used the question up.) Leaving a question is not answering it."""
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    assert _answer(db_session, "can we do the diary later") == ()
    reply = _answer(db_session, "my appointment is at 4")
    assert reply == (), reply
    assert _escalations(db_session) == []
    assert _primary_pages(db_session) == []
