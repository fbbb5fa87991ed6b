"""Review 9: answers to the bot's safety questions the core still misreads (after answers8).

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector and intake pipeline
(``bot.intake.receive``): no Rasa, no action server. Each test fails on main (1a03a62)
because of the hole its docstring describes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.safety.followup import NO, read_safe_now
from bot.storage.models import Client, Escalation
from tests.test_safety_followup import (  # noqa: F401  (fixtures and helpers)
    _answer,
    _crisis_acknowledged_and_asked_safe_now,
    _escalations,
    _primary_pages,
    client,
)

#: Review 9 #4 (Low, over-escalation): a coping step carried on "until" the urge passed
#: (`_ENDING_TO_COME`'s bare "until|till|hasta"), and a swallowing verb before "it" or an
#: amount of something everyday (`_SWALLOWED`: "had it rough", "took it one day at a
#: time", "had some pasta", "ate a lot of pizza").
COPING_UNTIL_OR_AN_EVERYDAY_HAD_BESIDE_A_YES = [
    "yes, i talked to the crisis line until i felt calmer",
    "yes i'm safe, i used my skills till the urge passed",
    "yes i took my dog for a walk until i calmed down",
    "sí, hablé con mi mamá hasta que me calmé",
    "yes i had it rough",
    "yes i took it one day at a time",
    "yes i had some dinner",
    "yes i ate a lot of pizza",
]


@pytest.mark.parametrize("answer", COPING_UNTIL_OR_AN_EVERYDAY_HAD_BESIDE_A_YES)
def test_a_skill_used_until_the_urge_passed_or_a_rough_day_beside_a_yes_does_not_page_again(
    answer: str,
) -> None:
    """What a clinic would see: "yes, i talked to the crisis line until i felt calmer",
    "yes i had it rough", "yes i had some dinner": the acknowledging therapist is paged
    again for the answer a clinician hopes for (urge surfing, a call, a meal)."""
    assert read_safe_now(answer) != NO


@pytest.mark.parametrize(
    "answer", ["yes i'm safe, i used my skills till the urge passed", "yes i had some dinner"]
)
def test_yes_i_used_my_skills_till_the_urge_passed_does_not_reopen_the_escalation(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "acknowledged"
    assert len(_primary_pages(db_session)) == 1, "the acknowledger paged again"
