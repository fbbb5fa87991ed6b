"""Review 10: answers to the bot's safety questions misread after review 9's fixes (6f07dd6).

The real readers of ``bot/safety/followup.py`` (``read_safe_now``, ``risk_of_answer``) with
the real detector; no database (what a reading does in the pipeline is review 9's tests').
Each test fails on main (92d0859) because of the hole its docstring describes. Readings
"before" were taken on ``eb4fadd`` (6f07dd6's parent) on the same texts.
"""

from __future__ import annotations

import pytest

from bot.safety.followup import NO, YES, AskedQuestion, read_safe_now, risk_of_answer
from bot.storage.enums import SafetyQuestion

#: Review 10 #2 (High): "hasta <mañana|el lunes|luego>" right after a word of safety is the
#: limit "safe until tomorrow", not a goodbye: read as a plain yes now (no before), while
#: "yes safe till tomorrow" is no.
SAFE_UNTIL_TOMORROW_IN_SPANISH = [
    "sí, estoy a salvo hasta mañana",
    "sí, segura hasta mañana",
    "sí, estoy segura hasta el lunes",
    "sí, bien hasta mañana",
    "yes i'm safe hasta mañana",
]

#: Review 10 #2 (High): a goodbye with a doubt about waking or a tomorrow: no before (the
#: bare "hasta" was a limit), asked again now; nothing else reads it.
SEE_YOU_TOMORROW_IF_I_WAKE_UP = [
    "sí, hasta mañana, si despierto",
    "sí, hasta mañana si es que hay mañana",
    "sí, hasta mañana si llego",
]

#: Review 10 #9 (Low): a rating told beside a time word, with a day or a feeling after it,
#: is taken for a time (`_WHEN_AFTER_A_TIME`): high before, no answer now.
A_RATING_BESIDE_A_TIME_WORD_AND_A_DAY = [
    "after group at 5 tonight",
    "since lunch at 5 today",
    "class at 5 with anxiety",
    "group at 5 on edge",
]


@pytest.mark.parametrize("answer", SAFE_UNTIL_TOMORROW_IN_SPANISH)
def test_si_estoy_a_salvo_hasta_manana_to_are_you_safe_is_not_read_as_safe(answer: str) -> None:
    """What a clinic would see: "are you safe right now?" answered "sí, estoy a salvo
    hasta mañana" (safe until tomorrow): a plain yes; the question is settled and the
    acknowledging therapist is never told."""
    assert read_safe_now(answer) != YES


@pytest.mark.parametrize("answer", SEE_YOU_TOMORROW_IF_I_WAKE_UP)
def test_si_hasta_manana_si_despierto_pages_the_acknowledger_again(answer: str) -> None:
    """What a clinic would see: "sí, hasta mañana, si despierto" (if I wake up): asked
    again, nobody paged (a page before review 9's fix)."""
    assert read_safe_now(answer) == NO


@pytest.mark.parametrize("answer", A_RATING_BESIDE_A_TIME_WORD_AND_A_DAY)
def test_after_group_at_5_tonight_to_the_urge_question_pages(answer: str) -> None:
    """What a clinic would see: "urge to commit suicide today, 0-5?" answered "after group
    at 5 tonight": taken for a time, no crisis reply, nobody paged (high before)."""
    risk = risk_of_answer(AskedQuestion(SafetyQuestion.URGE_SUICIDE), answer)
    assert risk is not None and risk.level == "high", risk
