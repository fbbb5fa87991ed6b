"""Review 13 (detector): messages the fixes of review 12 (fix12a, fix12b) misread.

The real detector (rules and the shipped model) through ``bot.safety.assess``; no database.
Each test fails on main (fc3f08b) because of the hole its docstring describes. Levels
"before" were read on a worktree of ``0b29c6c`` (main before these merges, with its own
model) on the same texts, with the same ``assess``.
"""

from __future__ import annotations

import pytest

from bot.safety import assess
from bot.safety.assessment import RiskLevel
from tests.test_safety_detector import _assert_escalates, _assert_flagged, _assert_pages_no_one

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


#: Review 13 #3 (High): `hedge_tails` (frames.yml) holds eleven laughs; the Spanish laughs
#: of `LAUGH_ES` (classes.yml: "jeje", "jsjs", "jajaj", "jajajaja") and long laughs
#: ("hahahaha", "lolol") are not passed before the hedge, so the joke stands: none.
A_JOKE_HEDGED_AFTER_A_LAUGH_NOT_LISTED = [
    "me quiero morir es broma jajajaja creo",
    "me quiero morir es broma jajaj capaz",
    "me quiero morir es broma jsjs creo",
    "me quiero morir es broma jeje creo que si",
    "kms jk jeje maybe",
    "kms jk hahahaha maybe",
    "kms jk lolol maybe",
]


@pytest.mark.parametrize("text", A_JOKE_HEDGED_AFTER_A_LAUGH_NOT_LISTED)
def test_es_broma_jajajaja_creo_pages(text: str) -> None:
    """ "me quiero morir es broma jajajaja creo": none, while "… es broma jaja creo" and
    "kms jk lol maybe" page."""
    _assert_escalates(text)


#: Review 13 #4 (High): "beat me at the game" is a game won unless one of `HARM_TOLD`'s
#: phrases is said; harm told in any other words ("my face is swollen", "with his belt",
#: "bc i struck out", "cause we lost", "i cant sit down"), or bruises after a game named
#: as a place ("at chess club", the `overrules_firm` idiom), is not read: none.
ABUSE_AT_A_GAME_IN_OTHER_WORDS = [
    "my dad beat me at the game, my face is swollen",
    "my dad beat me at the game with his belt",
    "my dad beat me at the game bc i struck out",
    "my dad beat me at the game cause we lost",
    "my dad beat me at the game and i cant sit down",
    "my dad beat me at chess club and i have bruises",
]


@pytest.mark.parametrize("text", ABUSE_AT_A_GAME_IN_OTHER_WORDS)
def test_my_dad_beat_me_at_the_game_with_his_belt_pages(text: str) -> None:
    """ "my dad beat me at the game with his belt": none ("… and i have bruises" pages)."""
    _assert_escalates(text)


#: Review 13 #5 (Medium): a clean streak anywhere in the message explains every
#: self-injury in it unless one of `relapse`'s words is said; the Spanish streaks fix12b
#: added ("meses limpia") silence relapses told with "hasta anoche", "adiós a" (moderate
#: before), and a streak of something else ("from weed") silences a cut.
A_RELAPSE_TOLD_IN_OTHER_WORDS = [
    "llevaba 3 meses limpia hasta anoche, me corté",
    "me corté anoche, adiós a mis 3 meses limpia",
    "i was 90 days clean until last night",
    "i cut last night. so much for 6 months clean",
    "broke my 100 days clean streak, i cut",
    "i'm 30 days clean from weed but i cut myself last night",
]


@pytest.mark.parametrize("text", A_RELAPSE_TOLD_IN_OTHER_WORDS)
def test_me_corte_anoche_adios_a_mis_3_meses_limpia_gets_the_check_in(text: str) -> None:
    """ "llevaba 3 meses limpia hasta anoche, me corté": none (moderate before)."""
    _assert_flagged(text)


#: Review 13 #6 (Medium): `HARM_TOLD`'s "in front of everyone" and "for losing" beside
#: "beat me at" a game make the game a beating, also a game named (`overrules_firm`) and
#: laughed at: high (none before).
A_GAME_LOST_IN_FRONT_OF_EVERYONE = [
    "my little brother beat me at fifa in front of everyone lmao",
    "my sister beat me at the game in front of everyone lol so embarrassing",
    "she beat me at the tournament in front of everyone, so embarrassing lol",
    "my friend beat me at the match for losing a bet lol",
]


@pytest.mark.parametrize("text", A_GAME_LOST_IN_FRONT_OF_EVERYONE)
def test_my_brother_beat_me_at_fifa_in_front_of_everyone_pages_no_one(text: str) -> None:
    """ "my little brother beat me at fifa in front of everyone lmao": high (none before)."""
    _assert_pages_no_one(text)


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


#: Review 13 #10 (Low): "orita" (right now, as "ahorita") is in TIME_AHEAD, not TIMELINE:
#: high, while "me voy a matar ahorita" is imminent.
RIGHT_NOW_SPELT_ORITA = ["me voy a matar orita", "orita me mato, ya no aguanto"]


@pytest.mark.parametrize("text", RIGHT_NOW_SPELT_ORITA)
def test_me_voy_a_matar_orita_is_imminent(text: str) -> None:
    """ "me voy a matar orita": high ("… ahorita": imminent)."""
    assessment = assess(text)
    assert assessment.level is RiskLevel.IMMINENT, assessment.to_dict()
