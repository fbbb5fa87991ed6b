"""Review 12 (detector): messages the fixes of session 11 (det11a, det11b, det11d, det11e)
misread.

The real detector (rules and the shipped model) through ``bot.safety.assess``; no database.
Each test fails on main (49215ea) because of the hole its docstring describes. Levels
"before" were read on a worktree of ``16292bd`` (main before these merges, with its own
model) on the same texts, with the same ``assess``.
"""

from __future__ import annotations

import pytest

from bot.safety import assess
from tests.test_safety_detector import _assert_escalates


def _assert_pages_no_one(text: str) -> None:
    assessment = assess(text)
    assert not assessment.level.escalates, assessment.to_dict()


#: Review 12 #1 (High): `need_ended` ("is over", "are done", "is done", "terminó", "se
#: acabaron", "healed", "graduating", "the show") found anywhere after a thing no longer
#: needed sets the thing aside; an ending said outright is read as the reason: none
#: (imminent before), also for the care ("my therapist", "my sessions").
AN_ENDING_TAKEN_FOR_THE_REASON = [
    "i wont need my phone after tonight, everything is over",
    "i won't need my therapist after tonight, it is done",
    "i won't need my sessions after tonight, the pain is over",
    "i won't need my phone after tonight, my days are done",
    "no voy a necesitar mi celular después de hoy, ya terminó todo",
    "no voy a necesitar mis lentes después de hoy, ya se acabaron mis problemas",
    "i won't need my phone after this week, graduating... from life",
    "i won't need my room after tonight, healed forever",
]


@pytest.mark.parametrize("text", AN_ENDING_TAKEN_FOR_THE_REASON)
def test_no_more_need_after_tonight_because_everything_is_over_pages(text: str) -> None:
    """ "i wont need my phone after tonight, everything is over": none (imminent before;
    "i won't need my phone after tonight" alone is imminent)."""
    _assert_escalates(text)


#: Review 12 #3 (High): `_keeps_means` passes over fillers, digits and an owner only; an
#: amount in other words ("enough", "like 10", "about 20", "thirty") is no means, and "a few
#: days worth" stops on `kept_everyday`'s "days": none (high or imminent before).
MEANS_KEPT_IN_AN_AMOUNT = [
    "i gave my mom my pills but i kept enough",
    "i gave my mom my pills but i kept enough to do it",
    "i gave my mom my pills to hold but i kept like 10",
    "i gave my mom my pills to hold but i kept about 20",
    "i gave my mom my pills to hold but i kept thirty",
    "i gave my mom my pills to hold but i kept a few days worth",
    "le di mis pastillas a mi mamá pero todavía tengo para unos días",
]


@pytest.mark.parametrize("text", MEANS_KEPT_IN_AN_AMOUNT)
def test_pills_handed_over_but_enough_kept_pages(text: str) -> None:
    """ "i gave my mom my pills but i kept enough to do it": none (imminent before)."""
    _assert_escalates(text)


#: Review 12 #4 (High): "mi" joined `object_fillers` (det11b), so "mi carro" is an everyday
#: thing now, and the Spanish giving-away the short lists lack ("véndelo", "se lo dejo a mi
#: hermano", "úsalo tú") gives nothing away: none (imminent before). English giving in
#: other words than take/have/keep/give: none (none before).
A_CAR_GIVEN_AWAY_IN_OTHER_WORDS = [
    "no voy a necesitar mi carro después de hoy, véndelo",
    "no voy a necesitar mi carro después de hoy, se lo dejo a mi hermano",
    "no voy a necesitar mi carro después de hoy, que se lo quede mi hermano",
    "no voy a necesitar mi carro despues de hoy, úsalo tú",
    "i wont need my car after tonight, my brother gets it",
    "i wont need my car after tonight, you can sell it",
    "i wont need my car after tonight, leave it to my sister",
    "i wont need my car after tonight u can have it was my dads anyway",
]


@pytest.mark.parametrize("text", A_CAR_GIVEN_AWAY_IN_OTHER_WORDS)
def test_my_car_after_tonight_sell_it_pages(text: str) -> None:
    """ "no voy a necesitar mi carro después de hoy, véndelo" (sell it): none (imminent
    before)."""
    _assert_escalates(text)


#: Review 12 #10 (Medium, over-escalation): "keep" in the present (det11e's `keeping`)
#: after a hand-over reads a coping kit as means kept: high or imminent (none or moderate
#: before).
A_COPING_KIT_KEPT = [
    "i gave my mom my pills to hold and i keep a list of reasons to live",
    "i flushed my pills and i keep a gratitude journal",
    "i gave my mom my pills to hold, i keep a photo of my kids in my wallet",
    "le di mis pastillas a mi mamá y guardo un diario ahora",
    "i threw out my blades, i keep a rubber band on my wrist now",
]


@pytest.mark.parametrize("text", A_COPING_KIT_KEPT)
def test_i_keep_a_list_of_reasons_to_live_pages_no_one(text: str) -> None:
    """ "i gave my mom my pills to hold and i keep a list of reasons to live": high (none
    before)."""
    _assert_pages_no_one(text)
