"""Review 4: answers to the bot's safety questions read wrongly by the core (no Rasa).

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector and intake
pipeline (``bot.intake.receive``). Each test fails today because of the hole its
docstring describes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.escalation import acknowledge_escalation
from bot.safety.followup import (
    YES,
    read_care_needed,
    read_check_in,
    read_safe_now,
    record_question,
)
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Client, Escalation, Therapist, utcnow
from tests.test_safety_followup import (  # noqa: F401  (fixtures and helpers)
    _answer,
    _escalations,
    _primary_pages,
    client,
)


@pytest.mark.parametrize("answer", ["i'm not fine", "not good", "i'm not alright", "not fine"])
def test_im_not_fine_to_the_check_in_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: the client wrote "i feel like a burden to everyone"; the core
    asked "are you having thoughts of suicide or of hurting yourself?"; the client answered
    "i'm not fine". The core reads that as a clear no (one negation before a "well" word, as
    in "no, I'm fine"): no escalation, no page, and the assistant says "Thank you for telling
    me ... a skill that can help right now is TIPP". A clinician hears distress, not a no."""
    record_question(db_session, client, SafetyQuestion.CHECK_IN, utcnow())
    reply = _answer(db_session, answer)
    assert any("988" in text for text in reply), reply
    ((level, categories),) = _escalations(db_session)
    assert level == "high" and "check_in_affirmed" in categories
    (page,) = _primary_pages(db_session)
    assert page.address == "+15005550001"


@pytest.mark.parametrize(
    "answer", ["i'm not fine", "not good", "i'm not alright", "not at all good"]
)
def test_the_check_in_reads_not_fine_as_not_a_clear_no(answer: str) -> None:
    """The same reader decides the Rasa form's slot (``ValidateCrisisCheckInForm``)."""
    assert read_check_in(answer) == YES


@pytest.mark.parametrize("answer", ["i think so", "probably", "it hurts", "i took pills"])
def test_a_hedged_yes_or_an_overdose_to_are_you_hurt_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: on the diary card the client says they self-harmed today (a
    moderate flag, nobody paged) and is asked "are you hurt in a way that needs care, or not
    safe right now?". "i think so", "probably", "it hurts" or "i took pills" hold no yes or
    no word, so they are *unclear*: no escalation, no page, and the diary form asks the same
    question again ("Please answer ..."), as often as the client hedges. The detector reads
    none of these four words as risk on its own. When in doubt, escalate."""
    record_question(db_session, client, SafetyQuestion.SELF_HARM_CARE, utcnow())
    reply = _answer(db_session, answer)
    assert any("988" in text for text in reply), reply
    ((level, categories),) = _escalations(db_session)
    assert level == "high" and "self_harm_needs_care" in categories
    (page,) = _primary_pages(db_session)
    assert page.address == "+15005550001"


@pytest.mark.parametrize("answer", ["i think so", "probably", "maybe", "it hurts", "i took pills"])
def test_are_you_hurt_reads_a_hedged_yes_or_an_overdose_as_yes(answer: str) -> None:
    """The same reader decides the diary form (``validate_diary_self_harm_care``)."""
    assert read_care_needed(answer) == YES


def _crisis_acknowledged_and_asked_safe_now(session: Session, client: Client) -> None:  # noqa: F811
    """A crisis text, the on-call therapist's ACK, and "are you safe right now?" recorded."""
    _answer(session, "i want to kill myself tonight")
    primary = session.execute(
        select(Therapist).where(Therapist.email == "therapist@demo.clinic")
    ).scalar_one()
    escalation_id = session.execute(select(Escalation.id)).scalar_one()
    acknowledge_escalation(
        session, escalation_id=escalation_id, therapist=primary, now=utcnow(), via="sms"
    )
    record_question(session, client, SafetyQuestion.SAFE_NOW, utcnow())


@pytest.mark.parametrize(
    "answer",
    [
        "yes i'm safe, the gun is in my car though",
        "yeah safe. still have the knife tho",
        "yes but i still have the pills",
    ],
)
def test_safe_with_the_means_at_hand_reopens_the_escalation(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: the therapist acknowledged and is calling; the bot asks "are
    you safe right now?" and the client answers "yes i'm safe, the gun is in my car though".
    ``read_safe_now`` finds "safe" (or "yes") and no hedge it knows; the detector scores the
    first two `none` and the third moderate (which after an ACK re-opens nothing). The
    answer is *safe*: the follow-up closes gently, the escalation stays acknowledged, no one
    is told that the client just named a gun, a knife or the pills within reach."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "open"


@pytest.mark.parametrize(
    "answer", ["estoy a salvo por ahora", "sí por ahora", "yes for now", "yes, for tonight"]
)
def test_safe_for_now_in_spanish_or_after_a_yes_is_not_taken_as_safe(answer: str) -> None:
    """ "safe for now" is a hedge (asked again, `_HEDGE`); its Spanish, and "yes for now",
    are read as a plain yes, and the follow-up closes."""
    assert read_safe_now(answer) != YES


@pytest.mark.parametrize("answer", ["i'm not hurt", "im not bleeding", "i am not injured"])
def test_im_not_hurt_to_are_you_hurt_pages_nobody(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: "are you hurt in a way that needs care, or not safe right
    now?" answered "i'm not hurt". "not hurt" alone is a no, but with "i'm" before it the
    rest ("i'm") is neither a clear no nor the whole phrase, so the answer is *yes*: the
    client reads "I've alerted a person", the diary card stops for the safety protocol, and
    the on-call therapist is paged for a client who said they are not hurt."""
    record_question(db_session, client, SafetyQuestion.SELF_HARM_CARE, utcnow())
    assert _answer(db_session, answer) == ()
    assert _primary_pages(db_session) == []


@pytest.mark.parametrize("answer", ["no 🔪", "no 💊", "no... 😭😭😭"])
def test_a_no_with_a_knife_pills_or_tears_to_the_check_in_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: "are you having thoughts of suicide or of hurting yourself?"
    answered "no 🔪", "no 💊" or "no... 😭😭😭". The answer is read as words only: every
    emoji but 👍👎❌ is dropped before the words are checked, so it is an unqualified no
    ("anything more qualifies the no" does not see them); the detector scores each `none`.
    No escalation, no page; the client reads "Thank you for telling me ... TIPP"."""
    record_question(db_session, client, SafetyQuestion.CHECK_IN, utcnow())
    reply = _answer(db_session, answer)
    assert any("988" in text for text in reply), reply
    assert len(_primary_pages(db_session)) == 1
