"""Review 10 (detector): messages the detector misreads after detector8b.

The real detector (rules and model) through the helpers of ``tests/test_safety_detector.py``;
no database. Each test fails on main (92d0859) because of the hole its docstring describes.
Levels "before the merge" were read from a worktree of ``6f07dd6`` (main before the merge of
``detector8b``; the same shipped model) on the same texts, with ``python -m bot.safety``.
"""

from __future__ import annotations

import pytest

from bot.safety import RiskLevel, assess
from tests.test_safety_detector import _assert_escalates, _assert_level


def _assert_pages_no_one(text: str) -> None:
    assessment = assess(text)
    assert not assessment.level.escalates, assessment.to_dict()


#: Review 10 #4 (Medium): laughs `LAUGH_ES` added ("jsjs", "jejeje", "jajaj") make a threat
#: with a time an idiom (imminent before the merge, the check-in now), and "sí" before a
#: time word on `SI_CONDITION` ("hoy", "mañana") reads as "if": "sí hoy me mato jaja", the
#: answer review 8 #3 wanted paged, is the check-in while "sí me mato hoy jaja" is imminent.
LAUGHED_THREATS_WITH_A_TIME = [
    "si me deja esta noche me mato jsjs",
    "si me deja hoy me mato jajaj",
    "sí hoy me mato jaja",
    "sí mañana me mato jsjs",
]

#: Review 10 #6 (Medium, over-escalation): `RulesVerdict.firm` keeps the parts' everyday
#: talk ("beat me at", chess, "video game", "playing") from explaining the threat rule, so
#: a game's trash talk is high (none before the merge).
GAMES_WON_BY_SOMEONE_ELSE = [
    "my mom threatened to beat me at chess lol",
    "my sister says she's gonna beat me at mario kart tonight lol",
    "my brother swears he'll beat me at chess this time",
    "my roommate said she'll beat me at the video game",
]

#: Review 10 #7 (Medium, over-escalation): the hedges added to `retractions` ("maybe", "i
#: think", "or no", "creo", "capaz") are read anywhere after the joke, also in an ordinary
#: sentence that follows it: high (none before the merge).
JOKES_THEN_AN_ORDINARY_SENTENCE_WITH_A_HEDGE_WORD = [
    "i want to die jk i think ill order pizza",
    "kms jk. should i get tacos or no",
    "gonna kms jk. maybe i'll call my sister later",
    "lol i want to die jk, i think i'll watch a movie",
    "me quiero morir jaja es broma, creo que mejor me duermo",
    "me quiero matar jaja es broma, capaz mañana voy al gym",
]

#: Review 10 #8 (Low, over-escalation): the laughed conditional rule is firm, so the idioms
#: of working out, laughing or partying no longer explain it: the check-in (none before).
#: And `es_autolesion_en_curso` reads a fever, a fringe trim or a tight shoe as self-harm.
EVERYDAY_SPANISH_READ_AS_SELF_HARM_OR_A_THREAT = [
    "si tengo tiempo hoy me mato en el gym jaja",
    "si me cuentas eso me mato de risa jaja",
    "si gano el partido me mato festejando jaja",
    "me estoy quemando de fiebre",
    "me estoy cortando el fleco",
    "me corto el fleco cada dos semanas",
    "el zapato me sigue lastimando",
]


@pytest.mark.parametrize("text", LAUGHED_THREATS_WITH_A_TIME)
def test_a_laughed_threat_for_tonight_or_a_yes_today_pages(text: str) -> None:
    """ "si me deja esta noche me mato jsjs" (imminent before the merge), "sí hoy me mato
    jaja": the check-in only."""
    _assert_escalates(text)


@pytest.mark.parametrize("text", GAMES_WON_BY_SOMEONE_ELSE)
def test_someone_going_to_beat_me_at_chess_pages_no_one(text: str) -> None:
    """ "my mom threatened to beat me at chess lol": high (none before the merge)."""
    _assert_pages_no_one(text)


@pytest.mark.parametrize("text", JOKES_THEN_AN_ORDINARY_SENTENCE_WITH_A_HEDGE_WORD)
def test_a_joke_then_i_think_or_maybe_in_an_ordinary_sentence_pages_no_one(text: str) -> None:
    """ "i want to die jk i think ill order pizza": high (none before the merge)."""
    _assert_pages_no_one(text)


@pytest.mark.parametrize("text", EVERYDAY_SPANISH_READ_AS_SELF_HARM_OR_A_THREAT)
def test_the_gym_a_fever_or_a_fringe_trim_is_not_flagged(text: str) -> None:
    """ "si tengo tiempo hoy me mato en el gym jaja", "me estoy quemando de fiebre", "me
    estoy cortando el fleco": the check-in (none before the merge)."""
    _assert_level(text, RiskLevel.NONE)
