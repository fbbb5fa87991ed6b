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


#: Review 13 #10 (Low): "orita" (right now, as "ahorita") is in TIME_AHEAD, not TIMELINE:
#: high, while "me voy a matar ahorita" is imminent.
RIGHT_NOW_SPELT_ORITA = ["me voy a matar orita", "orita me mato, ya no aguanto"]


@pytest.mark.parametrize("text", RIGHT_NOW_SPELT_ORITA)
def test_me_voy_a_matar_orita_is_imminent(text: str) -> None:
    """ "me voy a matar orita": high ("… ahorita": imminent)."""
    assessment = assess(text)
    assert assessment.level is RiskLevel.IMMINENT, assessment.to_dict()
