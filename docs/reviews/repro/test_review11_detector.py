"""Review 11 (detector): messages the fixes of review 10 #1 and #3 still misread.

The real detector (rules and model) through the helpers of ``tests/test_safety_detector.py``;
no database. Each test fails on main (16292bd) because of the hole its docstring describes.
Levels "before" were read from a worktree of ``5d0e51e`` (main before the fixes of review 10
#1 and #3; the same shipped model) on the same texts, with ``python -m bot.safety``.
"""

from __future__ import annotations

import pytest

from bot.safety import assess
from tests.test_safety_detector import _assert_escalates


def _assert_pages_no_one(text: str) -> None:
    assessment = assess(text)
    assert not assessment.level.escalates, assessment.to_dict()


#: Review 11 #1 (High): the means kept, named by an amount ("a few", "some", "one", "las",
#: "unas"), then what they are kept for ("to take tonight", "to cut with", "que ella no
#: sabe"): `_kept_means` passes the amount over as fillers and reads the "to"/"que" on
#: `kept_everyday` as a duty ("i still have to tell my therapist"): none (none before).
MEANS_KEPT_FOR_A_PURPOSE = [
    "i gave my mom my pills to hold but i kept a few to take tonight",
    "i gave my mom my pills to hold but i kept some to use later",
    "i gave my therapist my blades but i kept one to cut with",
    "gave my brother my guns to keep but i kept one to use",
    "le di mis pastillas a mi mamá para que las guarde pero escondí las que sobraron",
    "le di mis pastillas a mi mamá para que las guarde pero todavía tengo unas que ella no sabe",
]

#: Review 11 #2 (High): `given_away` is a closed list of ten phrases, read only after the
#: everyday thing: the other words of giving it away, or a giving-away said first, leave
#: the car, the truck, the jacket set aside: none (none before).
EVERYDAY_THINGS_GIVEN_AWAY_IN_OTHER_WORDS = [
    "i wont need my car after tonight, you can take it",
    "i won't need my car after tonight, give it to my brother",
    "i won't need my car after tonight, its urs",
    "i won't need my car after tonight where im headed",
    "no voy a necesitar el coche después de hoy, te lo regalo",
    "no voy a necesitar el coche después de hoy, quédate con él",
    "my car is yours, i won't need a ride after tonight",
]

#: Review 11 #3 (High): the keeping phrase itself is a closed list (`handover_undone`),
#: apart from `keeping_words`: present tense, bare "guardé", "me quedan", "tengo …
#: escondidas", a typo: none (none before).
MEANS_KEPT_WITH_A_VERB_THE_LIST_LACKS = [
    "i gave my mom my pills to hold but i keep a stash in my car",
    "i gave my mom my pills to hold but i hide some in my room",
    "i gave my mom my pills to hold but i have some left",
    "i gave my mom my pills to hold but i kep a stash",
    "le di mis pastillas a mi mamá para que las guarde pero guardé un frasco",
    "le di mis pastillas a mi mamá para que las guarde pero me quedan algunas",
    "le di mis pastillas a mi mamá para que las guarde pero tengo unas escondidas",
]

#: Review 11 #4 (Medium, over-escalation): after the inversion any keeping word after a
#: hand-over keeps "the means", whatever follows unless it is on the short `kept_everyday`:
#: the safety plan reported working is high, the crisis reply and a page (none before).
SAFETY_PLAN_WORKING_WITH_KEPT_OR_STILL_HAVE = [
    "i gave my mom my pills to hold and i kept busy all night",
    "i gave my mom my pills to hold and i kept my word",
    "i gave my mom my pills to hold and kept myself safe",
    "i threw out my blades, i still have my safety plan",
    "i flushed my pills. i still have my therapist's number",
    "tiré las pastillas, todavía tengo terapia los jueves",
    "le di mis pastillas a mi mamá para que las guarde y me quedé con mi tía",
]

#: Review 11 #5 (Medium, over-escalation): `_gives_it_away` reads "can have", "keep it",
#: "yours", "where i'm going" anywhere after the everyday thing, to the message's end:
#: plans, a borrowed car given back, a thank-you are imminent (none before).
EVERYDAY_PLANS_READ_AS_GIVING_AWAY = [
    "i won't need a ride after tonight so we can have dinner saturday",
    "i won't need the car after tonight, you can have it back",
    "i won't need a babysitter after tonight, my mom can have the kids",
    "i won't need a ride after tonight, thanks for yours tho",
    "i won't need a ride after tonight, where i'm going is walking distance",
]

#: Review 11 #10 (Low, over-escalation): "pick" and "alarm" off `everyday_objects` make
#: ordinary news imminent (none before); the mechanism of review 10 #5.
PICKING_UP_OR_AN_ALARM_NO_LONGER_NEEDED = [
    "i won't need to pick up my sister after this week, she got her license",
    "i won't need to pick the kids up after today, school's out",
    "i won't need an alarm after friday, retiring!!",
]


@pytest.mark.parametrize("text", MEANS_KEPT_FOR_A_PURPOSE)
def test_means_kept_to_take_tonight_after_a_hand_over_pages(text: str) -> None:
    """ "i gave my mom my pills to hold but i kept a few to take tonight": none, nobody
    told; "… kept a few for tonight" is imminent."""
    _assert_escalates(text)


@pytest.mark.parametrize("text", EVERYDAY_THINGS_GIVEN_AWAY_IN_OTHER_WORDS)
def test_a_car_given_away_in_other_words_after_tonight_pages(text: str) -> None:
    """ "i won't need my car after tonight, give it to my brother", "… te lo regalo":
    none; "… you can have it" is imminent."""
    _assert_escalates(text)


@pytest.mark.parametrize("text", MEANS_KEPT_WITH_A_VERB_THE_LIST_LACKS)
def test_means_kept_in_a_verb_the_list_lacks_pages(text: str) -> None:
    """ "i gave my mom my pills to hold but i keep a stash in my car", "… pero guardé un
    frasco": none; "… i kept a stash" is high."""
    _assert_escalates(text)


@pytest.mark.parametrize("text", SAFETY_PLAN_WORKING_WITH_KEPT_OR_STILL_HAVE)
def test_the_safety_plan_working_and_kept_busy_pages_no_one(text: str) -> None:
    """ "i gave my mom my pills to hold and i kept busy all night": high, the crisis reply
    and a page (none before)."""
    _assert_pages_no_one(text)


@pytest.mark.parametrize("text", EVERYDAY_PLANS_READ_AS_GIVING_AWAY)
def test_a_ride_no_longer_needed_and_dinner_planned_pages_no_one(text: str) -> None:
    """ "i won't need a ride after tonight so we can have dinner saturday": imminent
    (none before)."""
    _assert_pages_no_one(text)


@pytest.mark.parametrize("text", PICKING_UP_OR_AN_ALARM_NO_LONGER_NEEDED)
def test_no_longer_picking_up_my_sister_pages_no_one(text: str) -> None:
    """ "i won't need to pick up my sister after this week, she got her license": imminent
    (none before)."""
    _assert_pages_no_one(text)
