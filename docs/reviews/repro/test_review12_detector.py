"""Review 12 (detector): messages the fixes of session 11 (det11a, det11b, det11d, det11e)
misread.

The real detector (rules and the shipped model) through ``bot.safety.assess``; no database.
Each test fails on main (49215ea) because of the hole its docstring describes. Levels
"before" were read on a worktree of ``16292bd`` (main before these merges, with its own
model) on the same texts, with the same ``assess``.
"""

from __future__ import annotations

import pytest

from tests.test_safety_detector import _assert_escalates, _assert_flagged

#: Review 12 #2 (High): a hedge doubts a joke only when it ends its sentence (`_hedged`),
#: so a hedge with a time or a verb ("maybe soon", "i think i will"), or a laugh between
#: the joke and the hedge ("jk lol maybe"), is read as ordinary talk: none (high or
#: imminent before).
A_JOKE_HEDGED_WITH_A_TIME_OR_A_LAUGH = [
    "kms jk maybe soon",
    "kms jk maybe later",
    "kms jk i think i will",
    "kms jk i think so",
    "kms jk lol maybe",
    "kms jk lmao or nah",
    "me quiero morir es broma jaja creo",
    "me quiero morir es broma creo que si",
    "i want to die jk\nmaybe soon",
]


@pytest.mark.parametrize("text", A_JOKE_HEDGED_WITH_A_TIME_OR_A_LAUGH)
def test_kms_jk_maybe_soon_pages(text: str) -> None:
    """ "kms jk maybe soon": none (imminent before); "kms jk lol maybe": none (high before)."""
    _assert_escalates(text)


#: Review 12 #5 (High): det11a's joke undone by tears or an overdose's symptoms reads closed
#: lists: no text face (":(", ":'(") and no 🥲 😪 among `doubting_marks`, no nausea,
#: shaking or drowsiness among `symptoms`, and symptoms only after something swallowed (not
#: "i did it"): none (none before).
A_JOKE_FOLLOWED_BY_TEARS_OR_SYMPTOMS_IN_OTHER_FORMS = [
    "i want to die jk :(",
    "i want to die jk :'(",
    "i want to die jk 🥲",
    "i took the whole bottle jk i feel nauseous",
    "i took the whole bottle jk im shaking",
    "i took the whole bottle jk i feel drowsy",
    "i did it jk. im so dizzy",
]


@pytest.mark.parametrize("text", A_JOKE_FOLLOWED_BY_TEARS_OR_SYMPTOMS_IN_OTHER_FORMS)
def test_i_took_the_whole_bottle_jk_i_feel_nauseous_pages(text: str) -> None:
    """ "i took the whole bottle jk i feel nauseous", "i want to die jk :'(": none."""
    _assert_escalates(text)


#: Review 12 #6 (High): `game_won_by_someone_else` ("beat me at|in …2 @GAMES") overrules the
#: firm abuse rules wherever a game is the place ("at the game", "at my brother's game",
#: "at the tournament"): none ("if i mess up again" was high before).
ABUSE_AT_A_GAME = [
    "my dad said he will beat me at the game if i mess up again",
    "my dad beat me at the game last night and i have bruises",
    "my dad beat me at my brothers game in front of everyone",
    "my coach beat me at the tournament for losing",
]


@pytest.mark.parametrize("text", ABUSE_AT_A_GAME)
def test_my_dad_beat_me_at_the_game_and_i_have_bruises_pages(text: str) -> None:
    """ "my dad beat me at the game last night and i have bruises": none."""
    _assert_escalates(text)


#: Review 12 #7 (Medium): det11d's "went back to cutting", "ended up cutting" are explained
#: by the recovery words of SELF_INJURED ("years clean", "days clean"): a relapse after a
#: clean streak is none, where "started cutting again after a year clean" is moderate.
A_RELAPSE_AFTER_A_CLEAN_STREAK = [
    "i went back to cutting after 2 years clean",
    "i ended up cutting after 90 days clean",
]


@pytest.mark.parametrize("text", A_RELAPSE_AFTER_A_CLEAN_STREAK)
def test_went_back_to_cutting_after_2_years_clean_gets_the_check_in(text: str) -> None:
    """ "i went back to cutting after 2 years clean": none (none before); no check-in."""
    _assert_flagged(text)


#: Review 12 #12 (Medium): the laughed threat is high with a time only from `TIEMPO_ES`
#: (six words); a day or "al rato" gets the check-in, where English is imminent.
A_LAUGHED_THREAT_WITH_A_DAY = [
    "si me deja el viernes me mato jaja",
    "si me deja al rato me mato jaja",
]


@pytest.mark.parametrize("text", A_LAUGHED_THREAT_WITH_A_DAY)
def test_si_me_deja_el_viernes_me_mato_jaja_pages(text: str) -> None:
    """ "si me deja el viernes me mato jaja": moderate (moderate before); "if he leaves me
    friday ill kill myself lol" is imminent."""
    _assert_escalates(text)
