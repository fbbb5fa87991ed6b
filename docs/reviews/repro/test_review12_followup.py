"""Review 12 (answers): answers the fixes of review 11 #6-#9, #11 (fix11f) misread.

The real readers of ``bot/safety/followup.py`` (and the real detector they ask), as
``tests/test_safety_followup.py`` uses them; no database. Each test fails on main
(49215ea) because of the hole its docstring describes. Readings "before" were taken on a
worktree of ``16292bd``.
"""

from __future__ import annotations

import pytest

from bot.safety.followup import NO, AskedQuestion, read_safe_now, risk_of_answer
from bot.storage.enums import SafetyQuestion

#: Review 12 #8 (Medium): `_A_PLAN` reads "in", "en", "by" and "to <anything but a listed
#: time>" after waking or getting there as a plan: a goodbye that doubts the morning is
#: asked again, the acknowledger not told (no, a page, before).
A_MORNING_DOUBTED_WITH_IN_OR_BY = [
    "yes see you tomorrow if i wake up in the morning",
    "sí, hasta mañana, si despierto en la mañana",
    "yes see you tomorrow if i wake up by some miracle",
    "yes see u tmrw if i make it to tmrw",
    "yes see you tomorrow if i make it to sunrise",
    "sí, hasta mañana, si despierto en este mundo",
]

#: Review 12 #9 (Low): after a well word, "hasta la próxima" / "hasta luego" followed by
#: anything but "de|del|que|semana|mes" is a goodbye: a limit is asked again (no before).
A_LIMIT_AFTER_HASTA_LA_PROXIMA = [
    "sí estoy bien hasta la próxima crisis",
    "sí estoy a salvo hasta luego en la noche",
]

#: Review 12 #11 (Low): `_COMPANY` takes any single word after "with" for a name, so a
#: means or an intent beside a time is company: no answer (high before).
A_RATING_WITH_A_WORD_TAKEN_FOR_COMPANY = [
    "session at 5 with rope",
    "group at 5 with intent",
    "class at 5 with cravings",
]


@pytest.mark.parametrize("answer", A_MORNING_DOUBTED_WITH_IN_OR_BY)
def test_see_you_tomorrow_if_i_wake_up_in_the_morning_pages_the_acknowledger_again(
    answer: str,
) -> None:
    """ "are you safe right now?" answered "yes see you tomorrow if i wake up in the
    morning": asked again, the acknowledging therapist not told (paged again before)."""
    assert read_safe_now(answer) == NO


@pytest.mark.parametrize("answer", A_LIMIT_AFTER_HASTA_LA_PROXIMA)
def test_si_estoy_bien_hasta_la_proxima_crisis_pages_the_acknowledger_again(answer: str) -> None:
    """ "sí estoy bien hasta la próxima crisis" (fine until the next crisis): asked again
    (no before)."""
    assert read_safe_now(answer) == NO


@pytest.mark.parametrize("answer", A_RATING_WITH_A_WORD_TAKEN_FOR_COMPANY)
def test_group_at_5_with_intent_to_the_urge_question_pages(answer: str) -> None:
    """ "urge to commit suicide today, 0-5?" answered "group at 5 with intent": taken for a
    time, no crisis reply, nobody paged (high before)."""
    risk = risk_of_answer(AskedQuestion(SafetyQuestion.URGE_SUICIDE), answer)
    assert risk is not None and risk.level == "high", risk
