"""Review 16: what fix14a, fix14b, fix14c and fix15b newly swallow, page or misread.

The real detector (rules and model) through ``bot.safety.assess`` and the real answer
readers of ``bot.safety.followup`` (``read_safe_now``); no database. Each test fails on
main (c4a57bc) because of the hole its docstring describes; findings are numbered as in
``../2026-12-crisis-path-review-16.md``.
"""

from __future__ import annotations

import pytest

from bot.safety.followup import NO, read_safe_now

#: #1-#9 are fixed on branch ``fix16d``: their cases are in ``tests/test_safety_detector.py``.


#: #10 is fixed on main: its cases are in ``tests/test_safety_followup.py``.


#: #11 (Medium, misread answer): a morning doubted to a time whose first word is no
#: time word ("the last day of", "the start of next week", "fin de semana") is read as a
#: place: asked again, the acknowledger not told (not safe on 6ae3be8).
A_TIME_READ_AS_A_PLACE = [
    "yes safe, if i make it to the last day of the month",
    "yes safe, if i make it to the start of next week",
    "yes safe, if i make it to the first of the month",
    "sí estoy bien, si llego al fin de semana",
    "sí estoy bien, si llego a fin de año",
    "sí estoy bien, si llego a pasado mañana",
]


@pytest.mark.parametrize("answer", A_TIME_READ_AS_A_PLACE)
def test_si_llego_al_fin_de_semana_doubts_the_morning(answer: str) -> None:
    """ "sí estoy bien, si llego al fin de semana": unclear, asked again."""
    assert read_safe_now(answer) == NO


#: #12 (Medium, false page): a negative contraction anywhere beside "safe" makes it not
#: safe, though it negates something else ("just cant sleep").
SAFE_BESIDE_ANOTHER_NEGATION = [
    "yes im safe, just cant sleep",
    "yes safe, i cant sleep tho",
    "yes i'm safe, i won't do anything tonight",
    "yes im safe, i dont have anything here",
]


@pytest.mark.parametrize("answer", SAFE_BESIDE_ANOTHER_NEGATION)
def test_yes_im_safe_just_cant_sleep_is_no_page(answer: str) -> None:
    """ "yes im safe, just cant sleep" to "are you safe right now?": not safe, a page."""
    assert read_safe_now(answer) != NO
