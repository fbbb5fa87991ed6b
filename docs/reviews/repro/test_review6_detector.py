"""Review 6: crisis messages the detector reads as nothing after detector6 (and d519067).

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector (rules and model)
and intake pipeline (``bot.intake.receive``): no Rasa, no action server. Each test
fails on main because of the hole its docstring describes. Levels "on 5f071b8" were
read from a detached checkout of that commit on the same texts.
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

#: Review 6 #5: a joke marker that takes back what came *before* it ("i'm fine jk"), or
#: a retraction the list does not hold ("really took", "actually swallowed", "did take").
#: Without the "jk" / "es broma" each is high or imminent.
JOKES_BEFORE_A_DISCLOSURE = [
    "i'm fine jk. i took the whole bottle",
    "i'm ok jk i'm on the bridge",
    "i'm fine lol jk, i have the rope ready for tonight",
    "jk im not fine. i cut deep and it won't stop bleeding",
    "jk. i really took all my pills",
    "lol jk... i actually swallowed all of them",
    "jk no i did take all of them",
    "es broma, ya me tomé todas las pastillas",
]

#: Review 6 #6: "won't need ... after tonight" said in words the new list does not hold.
NO_NEED_AFTER_A_TIME = [
    "i won't need the reminders after tonight",
    "stop the reminders. i won't need the reminders after tonight",
    "i wont need em after tonite",
    "not gonna need them after tonight",
    "i won't need therapy after tomorrow",
    "i won't need them past tomorrow",
]

#: Review 6 #7: Spanish plans with "mañana" or "me mato" (imminent on 5f071b8 for the
#: first two; English "after tomorrow you won't see me anymore", "tomorrow i kill myself"
#: are high and imminent).
SPANISH_PLANS_FOR_TOMORROW = [
    "después de mañana ya no me van a ver",
    "mañana me mato",
    "ya me cansé, mañana me mato",
    "hoy me mato",
]


@pytest.mark.parametrize(
    "text", JOKES_BEFORE_A_DISCLOSURE + NO_NEED_AFTER_A_TIME + SPANISH_PLANS_FOR_TOMORROW
)
def test_a_plan_or_an_attempt_after_jk_or_in_other_words_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    text: str,
) -> None:
    """What a clinic would see: "i'm fine jk. i took the whole bottle", "i won't need the
    reminders after tonight", "mañana me mato": no escalation, no crisis numbers, nobody
    paged; the assistant answers the message as chatter."""
    reply = _answer(db_session, text)
    assert _escalations(db_session), "no escalation: nobody will ever see this"
    assert any("988" in part for part in reply), "no crisis numbers for the client"
    assert _primary_pages(db_session), "the on-call therapist is not paged"


@pytest.mark.parametrize(
    "text", JOKES_BEFORE_A_DISCLOSURE + NO_NEED_AFTER_A_TIME + SPANISH_PLANS_FOR_TOMORROW
)
def test_the_detector_reads_these_plans_and_attempts_as_high_risk(text: str) -> None:
    assessment = get_detector().assess(text)
    assert assessment is not None
    assert assessment.level in (RiskLevel.HIGH, RiskLevel.IMMINENT), assessment.level


#: Review 6 #8: wishing to die of grief. All three were high on 5f071b8; d519067's idiom
#: ("morir de la pena" is embarrassment in Mexico) makes them nothing at all.
DYING_OF_GRIEF = [
    "me quiero morir de la pena desde que murió mi mamá",
    "quiero morir de pena",
    "quiero morirme de la pena",
]


@pytest.mark.parametrize("text", DYING_OF_GRIEF)
def test_wanting_to_die_of_grief_gets_at_least_the_check_in(
    db_session: Session,
    client: Client,  # noqa: F811
    text: str,
) -> None:
    """What a clinic would see: a bereaved client writes "me quiero morir de la pena desde
    que murió mi mamá" (I want to die of grief since my mom died). The idiom that sets
    "morir de la pena" aside as embarrassment makes the message nothing: not even the
    check-in ("are you having thoughts of suicide?") that a clinician would ask, and no
    flag on the dashboard."""
    _answer(db_session, text)
    assert _escalations(db_session), "not even flagged: no check-in, nothing on the dashboard"


@pytest.mark.parametrize("text", DYING_OF_GRIEF)
def test_the_detector_reads_wanting_to_die_of_grief_as_risk(text: str) -> None:
    assessment = get_detector().assess(text)
    assert assessment is not None
    assert assessment.level != RiskLevel.NONE
