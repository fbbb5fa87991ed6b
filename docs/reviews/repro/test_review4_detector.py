"""Review 4: farewells and "I won't be here" that the detector reads as nothing.

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector (rules and model)
and intake pipeline (``bot.intake.receive``): no Rasa, no action server. Each test
fails today because of the hole its docstring describes.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bot.storage.models import Client
from tests.test_safety_followup import (  # noqa: F401  (fixtures and helpers)
    _answer,
    _escalations,
    client,
)


@pytest.mark.parametrize(
    "text",
    [
        "no more reminders please, i won't need them after tonight",
    ],
)
def test_stopping_the_reminders_because_i_wont_need_them_after_tonight_reaches_a_person(
    db_session: Session,
    client: Client,  # noqa: F811
    text: str,
) -> None:
    """What a clinic would see: "i won't be here" alone is high risk, but "i won't be here
    tomorrow" (the same warning sign, with a time) is `none`, and so is a request to stop the
    reminders that gives that reason: the reminders stop, nobody is told, not even the
    check-in is asked. At least a flag (moderate: the check-in) is due."""
    _answer(db_session, text)
    assert _escalations(db_session), "no escalation: nobody will ever see this"
