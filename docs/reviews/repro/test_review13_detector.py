"""Review 13 (detector): messages the fixes of review 12 (fix12a, fix12b) misread.

The real detector (rules and the shipped model) through ``bot.safety.assess``; no database.
Each test fails on main (fc3f08b) because of the hole its docstring describes. Levels
"before" were read on a worktree of ``0b29c6c`` (main before these merges, with its own
model) on the same texts, with the same ``assess``.
"""

from __future__ import annotations

import pytest

from tests.test_safety_detector import _assert_escalates, _assert_pages_no_one

#: Review 13 #1 (High): `_reason_given` takes an event of the thing's own (`ended_events`:
#: "trip", "viaje", "semester", "shift") with an ending (`event_endings`: "last", "ends",
#: "se acaba") for the reason a thing is no longer needed; "my last trip" is the oldest
#: euphemism of all, and "and so do i" is not read: none (imminent before).
A_LAST_TRIP_TAKEN_FOR_THE_REASON = [
    "i won't need my car after tonight. it's my last trip",
    "i won't need my car after tonight, my last trip is tonight",
    "i wont need my phone after tonight, my trip ends tonight",
    "i won't need my phone after this week, the semester ends and so do i",
    "i wont need my phone after tonight, this is my last shift. on earth",
    "no voy a necesitar mi celular después de hoy, se acaba el viaje",
    "no voy a necesitar mis cosas despues de hoy, se acaba el viaje",
]


@pytest.mark.parametrize("text", A_LAST_TRIP_TAKEN_FOR_THE_REASON)
def test_no_more_need_after_tonight_its_my_last_trip_pages(text: str) -> None:
    """ "i won't need my car after tonight. it's my last trip": none (imminent before;
    "i won't need my car after tonight" alone is imminent)."""
    _assert_escalates(text)


#: Review 13 #2 (High): `_names_the_means` reads any word after the fillers that is not a
#: means part, a `kept_stores` word or an amount as "something else" kept, so an adjective
#: ("other", "big", "secret", "escondidas") or a container ("bottle") makes the kept means
#: a thing kept: none (high before).
MEANS_KEPT_WITH_AN_ADJECTIVE = [
    "i gave my mom my pills but i kept the other one",
    "i gave my mom my pills but i kept the big bottle",
    "i gave my mom my pills but i kept a secret bottle",
    "i gave my dad the gun but i kept the other one",
    "le di mis pastillas a mi mamá pero guardé unas cuantas escondidas",
]


@pytest.mark.parametrize("text", MEANS_KEPT_WITH_AN_ADJECTIVE)
def test_pills_handed_over_but_the_other_bottle_kept_pages(text: str) -> None:
    """ "i gave my mom my pills but i kept the other one": none (high before)."""
    _assert_escalates(text)


#: Review 13 #7 (Medium): the giving verbs fix12a added ("leave", "get") with "it", bare
#: "te lo"/"te la" in `giving_away`, and `belongs_to` ("it's my dad's") give away a thing
#: that is being parked, washed, fixed, returned or was never the client's: imminent
#: (none before).
A_THING_PARKED_OR_RETURNED_TAKEN_FOR_GIVEN_AWAY = [
    "i won't need my car after tonight, ill leave it at the shop",
    "i won't need my umbrella after today, ill leave it in the car",
    "i wont need my car after tonight so ill get it washed",
    "i wont need my bike after today, ill get it fixed",
    "i won't need the car after tonight, it's my dad's",
    "no voy a necesitar el carro después de hoy, te lo devuelvo mañana",
    "no voy a necesitar tu chamarra después de hoy, te la devuelvo el lunes",
]


@pytest.mark.parametrize("text", A_THING_PARKED_OR_RETURNED_TAKEN_FOR_GIVEN_AWAY)
def test_the_car_after_tonight_ill_leave_it_at_the_shop_pages_no_one(text: str) -> None:
    """ "no voy a necesitar el carro después de hoy, te lo devuelvo mañana" (I'll give it
    back tomorrow): imminent (none before)."""
    _assert_pages_no_one(text)
