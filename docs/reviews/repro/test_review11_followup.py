"""Review 11 (answers): answers the fixes of review 10 #2 and #9 misread.

The real readers of ``bot/safety/followup.py`` (and the real detector they ask), as
``tests/test_safety_followup.py`` uses them; no database. Each test fails on main
(16292bd) because of the hole its docstring describes. Readings "before" were taken on a
worktree of ``5d0e51e`` (main before the fix of review 10 #2 and #9).
"""

from __future__ import annotations

import pytest

from bot.safety.followup import NO, YES, AskedQuestion, read_safe_now, risk_of_answer
from bot.storage.enums import SafetyQuestion

#: Review 11 #6 (Medium, over-escalation): `_ENDING_TO_COME`'s new "(safe|ok|fine|good|
#: bien|…) hasta" takes every goodbye after a word of wellbeing for a limit, also "hasta
#: luego", "hasta pronto", which bound nothing: no, the acknowledger paged again (a plain
#: yes before).
A_GOODBYE_AFTER_FINE_WITH_NO_COMMA = [
    "sí estoy bien hasta luego",
    "ok hasta luego",
    "yes im fine hasta luego",
    "sí estoy a salvo hasta luego",
    "sí estoy bien hasta pronto",
]

#: Review 11 #7 (Medium): the doubts about the morning are a closed list of exact forms;
#: "if im still here" (no apostrophe), "si sigo viva", "si me despierto", "si hay mañana",
#: "si es que hay un mañana": asked again, nobody told (asked again before too).
A_GOODBYE_THAT_DOUBTS_THE_MORNING_IN_OTHER_WORDS = [
    "yes see you tomorrow if im still here",
    "yes see u tomorrow if im still alive",
    "yes, see you tomorrow if i dont die",
    "sí, hasta mañana, si sigo viva",
    "sí, hasta mañana, si me despierto",
    "sí, hasta mañana si hay mañana",
    "sí, hasta mañana si es que hay un mañana",
]

#: Review 11 #8 (Low, over-escalation): "si llego", "si despierto", "if i make it", "if i
#: wake up" are read as a doubt whatever follows: an ordinary plan beside the goodbye pages
#: the acknowledger again (asked again before).
A_GOODBYE_WITH_AN_ORDINARY_IF = [
    "sí, hasta mañana, si llego temprano te escribo",
    "sí, hasta mañana si despierto temprano hago mi tarea",
    "yes see you tomorrow if i make it to group",
]

#: Review 11 #9 (Low): "after"/"since" is looked for only right before the time word, and
#: "with my <any word>" still keeps a time: a rating beside them is taken for a time.
A_RATING_STILL_TAKEN_FOR_A_TIME = [
    "after my appointment at 5",
    "since my session at 5",
    "after the meeting at 5",
    "class at 5 with my anxiety",
    "class with anxiety at 5",
]

#: Review 11 #11 (Low, over-escalation): a time's company narrowed to "my|dr|mr… <word>"
#: and a few pronouns, its day to "on …day", and "after" before any time word: a time
#: with a friend's name, on zoom, or "after lunch" is read as the urge: high (no answer
#: before).
A_TIME_WITH_A_NAME_ZOOM_OR_AFTER_LUNCH = [
    "session at 4 with sarah",
    "lunch at 5 with grandma",
    "group is at 5 on zoom",
    "my appointment is after lunch at 4",
    "i'll see you after lunch at 5",
]


@pytest.mark.parametrize("answer", A_GOODBYE_AFTER_FINE_WITH_NO_COMMA)
def test_si_estoy_bien_hasta_luego_to_are_you_safe_is_a_plain_yes(answer: str) -> None:
    """What a clinic would see: "are you safe right now?" answered "sí estoy bien hasta
    luego" (yes I'm fine, bye): read as not safe, the acknowledger paged again."""
    assert read_safe_now(answer) == YES


@pytest.mark.parametrize("answer", A_GOODBYE_THAT_DOUBTS_THE_MORNING_IN_OTHER_WORDS)
def test_see_you_tomorrow_if_im_still_here_pages_the_acknowledger_again(answer: str) -> None:
    """What a clinic would see: "yes see you tomorrow if im still here": asked again, the
    acknowledging therapist is not told."""
    assert read_safe_now(answer) == NO


@pytest.mark.parametrize("answer", A_GOODBYE_WITH_AN_ORDINARY_IF)
def test_see_you_tomorrow_if_i_make_it_to_group_does_not_page(answer: str) -> None:
    """What a clinic would see: "sí, hasta mañana, si llego temprano te escribo" (if I get
    there early I'll text you): the acknowledger paged again."""
    assert read_safe_now(answer) != NO


@pytest.mark.parametrize("answer", A_RATING_STILL_TAKEN_FOR_A_TIME)
def test_after_my_appointment_at_5_to_the_urge_question_pages(answer: str) -> None:
    """What a clinic would see: "urge to commit suicide today, 0-5?" answered "after my
    appointment at 5": taken for a time, no crisis reply, nobody paged."""
    risk = risk_of_answer(AskedQuestion(SafetyQuestion.URGE_SUICIDE), answer)
    assert risk is not None and risk.level == "high", risk


@pytest.mark.parametrize("answer", A_TIME_WITH_A_NAME_ZOOM_OR_AFTER_LUNCH)
def test_session_at_4_with_sarah_after_the_urge_question_pages_no_one(answer: str) -> None:
    """What a clinic would see: the client leaves the urge question and writes "session at
    4 with sarah": an urge of 4, the crisis reply and a page (no answer before)."""
    assert risk_of_answer(AskedQuestion(SafetyQuestion.URGE_SUICIDE), answer) is None
