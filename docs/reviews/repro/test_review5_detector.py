"""Review 5: crisis messages the detector change 90f0060 reads as nothing.

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector (rules and model)
and intake pipeline (``bot.intake.receive``): no Rasa, no action server. Each test
fails on main because of the hole its docstring describes.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bot.safety import RiskLevel, get_detector
from bot.storage.models import Client
from tests.test_safety_followup import (  # noqa: F401  (fixtures and helpers)
    _answer,
    _escalations,
    _primary_pages,
    client,
)

#: Review 5 #1: "don't flag me" (new in 90f0060's joke list) sets the whole message aside;
#: "jk" does even when the client takes the joke back in the same message.
JOKE_MARKERS_OVER_RISK = [
    "i'm going to kill myself tonight, don't flag me",
    "i have the pills ready. dont flag me",
    "i took all my pills lol jk... no i really did",
    "jk. i'm not joking, i have a rope",
]

#: Review 5 #2: 90f0060's idiom "killing myself at|in the? work|school|office|class ..."
#: now sets the parts aside too, time and means included.
IDIOM_OVER_A_PLAN = [
    "i'm killing myself at school tomorrow",
    "i'm killing myself in the office tonight",
    "killing myself at work tomorrow with the gun",
]


@pytest.mark.parametrize("text", JOKE_MARKERS_OVER_RISK)
def test_dont_flag_me_or_a_retracted_jk_does_not_hide_a_suicide_plan(
    db_session: Session,
    client: Client,  # noqa: F811
    text: str,
) -> None:
    """What a clinic would see: a client who knows the messages are watched writes "i'm going
    to kill myself tonight, don't flag me" (imminent on 9c85493). Since 90f0060 "don't flag
    me" is a joke marker: nothing in the message counts, no crisis reply, nobody paged. A
    "jk" taken back in the same breath ("lol jk... no i really did") is read as a joke too."""
    reply = _answer(db_session, text)
    assert _escalations(db_session), "no escalation: nobody will ever see this"
    assert any("988" in part for part in reply), "no crisis numbers for the client"
    assert _primary_pages(db_session), "the on-call therapist is not paged"


@pytest.mark.parametrize("text", IDIOM_OVER_A_PLAN)
def test_killing_myself_at_school_tomorrow_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    text: str,
) -> None:
    """What a clinic would see: "i'm killing myself at school tomorrow" (high on 9c85493),
    "i'm killing myself in the office tonight" (imminent), "killing myself at work tomorrow
    with the gun" (high) are read as "working myself hard at school": no escalation at all."""
    reply = _answer(db_session, text)
    assert _escalations(db_session), "no escalation: nobody will ever see this"
    assert any("988" in part for part in reply), "no crisis numbers for the client"
    assert _primary_pages(db_session), "the on-call therapist is not paged"


@pytest.mark.parametrize("text", [*JOKE_MARKERS_OVER_RISK, *IDIOM_OVER_A_PLAN])
def test_the_detector_reads_these_plans_as_high_risk(text: str) -> None:
    assessment = get_detector().assess(text)
    assert assessment is not None
    assert assessment.level in (RiskLevel.HIGH, RiskLevel.IMMINENT), assessment.level


@pytest.mark.parametrize(
    "text",
    ["urge to kill myself 3", "urges to kill myself 3/5", "my urge to kill myself was a 3 today"],
)
def test_a_diary_urge_of_3_written_in_words_does_not_page_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    text: str,
) -> None:
    """What a clinic would see: a client fills in the diary card in free text, "urge to kill
    myself 3". The card's own threshold is 4 (SPEC: "an urge of 4-5 starts the safety
    protocol"; strong urges are *moderate*), and a low rating (0-2) is read as a rating; a 3
    is now read as active ideation: high risk, crisis reply, the on-call phone rings for a
    routine diary value (on 9c85493: none; "urge" set the words aside). A check-in (moderate)
    is what SPEC asks for."""
    _answer(db_session, text)
    assert _primary_pages(db_session) == [], "the on-call therapist is paged"
    assert all(level == "moderate" for level, _ in _escalations(db_session))
