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

#: Review 5 #1, what is left: a "jk" taken back without a phrase the detector knows as
#: taking it back ("no i really did"). Fixed: "don't flag me" and "jk. i'm not joking".
JOKE_MARKERS_OVER_RISK = [
    "i took all my pills lol jk... no i really did",
]


@pytest.mark.parametrize("text", JOKE_MARKERS_OVER_RISK)
def test_dont_flag_me_or_a_retracted_jk_does_not_hide_a_suicide_plan(
    db_session: Session,
    client: Client,  # noqa: F811
    text: str,
) -> None:
    """What a clinic would see: "i took all my pills lol jk... no i really did" is read as a
    joke: nothing in the message counts, no crisis reply, nobody paged."""
    reply = _answer(db_session, text)
    assert _escalations(db_session), "no escalation: nobody will ever see this"
    assert any("988" in part for part in reply), "no crisis numbers for the client"
    assert _primary_pages(db_session), "the on-call therapist is not paged"


@pytest.mark.parametrize("text", JOKE_MARKERS_OVER_RISK)
def test_the_detector_reads_these_plans_as_high_risk(text: str) -> None:
    assessment = get_detector().assess(text)
    assert assessment is not None
    assert assessment.level in (RiskLevel.HIGH, RiskLevel.IMMINENT), assessment.level
