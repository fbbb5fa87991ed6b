"""Review 16: what fix14a, fix14b, fix14c and fix15b newly swallow, page or misread.

The real detector (rules and model) through ``bot.safety.assess`` and the real answer
readers of ``bot.safety.followup`` (``read_safe_now``); no database. Each test fails on
main (c4a57bc) because of the hole its docstring describes; findings are numbered as in
``../2026-12-crisis-path-review-16.md``.
"""

from __future__ import annotations

import pytest

from bot.safety import RiskLevel, assess
from bot.safety.followup import NO, read_safe_now


def _assert_pages(text: str) -> None:
    assessment = assess(text)
    assert assessment.level.escalates, assessment.to_dict()


def _assert_pages_no_one(text: str) -> None:
    assessment = assess(text)
    assert not assessment.level.escalates, assessment.to_dict()


def _assert_flags_nothing(text: str) -> None:
    assessment = assess(text)
    assert assessment.level is RiskLevel.NONE, assessment.to_dict()


#: #1 (High, missed): a game or console named in another clause, describing someone's
#: pastime, explains harm to a baby or a threat with a time (high on 6ae3be8, none now).
A_GAME_NAMED_BESIDE_THE_HARM = [
    "the baby won't stop crying and my husband is on the ps5, i'm going to shake the baby",
    "he's on xbox all night while i do everything, i'm scared i'm going to hurt my baby",
    "mi esposo se la pasa en el play y yo con el bebe, le voy a hacer daño al bebe",
    "my stepdad is the final boss. tonight i'm going to kill him",
    "had a boss fight with my manager today. tomorrow i'm going to shoot him",
    "he's in league with my ex, i'm going to kill him tonight",
    "my brother plays roblox all day. i'm going to hurt him tonight",
    "voy a matar a mi hermano en serio 🔪 roblox",
]


@pytest.mark.parametrize("text", A_GAME_NAMED_BESIDE_THE_HARM)
def test_husband_on_the_ps5_and_shaking_the_baby_pages_on_call(text: str) -> None:
    """ "the baby won't stop crying and my husband is on the ps5, i'm going to shake the
    baby": none (``everyday: HARM_OTHER`` "on the ps5" explains "shake the baby")."""
    _assert_pages(text)


#: #2 (High, missed): a game in the threat's own clause that only says when ("after
#: warzone", "después de jugar free fire"), or with "no es un juego" in the game's clause.
A_GAME_THAT_ONLY_SAYS_WHEN = [
    "i'm going to kill him after we finish playing warzone tonight",
    "im going to kill him tonight after valorant",
    "voy a matar a mi padrastro esta noche despues de jugar free fire",
    "jugamos free fire y despues voy a matar a mi padrastro con el cuchillo",
    "voy a matarlo esta noche, ya no es un juego de free fire",
]


@pytest.mark.parametrize("text", A_GAME_THAT_ONLY_SAYS_WHEN)
def test_killing_him_after_the_game_tonight_pages_on_call(text: str) -> None:
    """ "i'm going to kill him after we finish playing warzone tonight": none."""
    _assert_pages(text)


#: #3 (High, missed): a line break is no clause break for the parts, so a game in the
#: line before takes the threat (with a full stop instead: high).
def test_a_threat_on_the_line_after_a_game_pages_on_call() -> None:
    """ "we were on the ps5\\nim going to kill him tonight for real": none."""
    _assert_pages("we were on the ps5\nim going to kill him tonight for real")


#: #4 (High, missed): forgiveness still cancels a threat with a time: "but"/"pero" with no
#: comma puts the threat in forgiveness's own clause; TIME_AHEAD undoes nothing.
FORGIVEN_WITH_A_TIME = [
    "i want to kill him tonight but i forgive him",
    "quiero matarlo esta noche pero lo perdono",
    "quiero matarlo esta noche\npero lo perdono",
    "quiero matarlo mañana, pero lo perdono",
    "i want to kill him tomorrow, but i forgive him",
    "pienso matarlo el viernes pero ya lo perdone",
]


@pytest.mark.parametrize("text", FORGIVEN_WITH_A_TIME)
def test_wanting_to_kill_him_tonight_but_forgiving_him_pages_on_call(text: str) -> None:
    """ "i want to kill him tonight but i forgive him": none (with a comma: high)."""
    _assert_pages(text)


#: #5 (High, missed): forgiveness cancels a threat with a weapon, an intent spelled
#: otherwise or more than two words before the act, and harm to a baby.
FORGIVEN_WITH_MEANS_OR_INTENT = [
    "i bought a knife to kill him but i forgive him",
    "i want to kill her with my dad's gun but i forgive her",
    "tengo ganas de matarlo con el cuchillo que compre pero lo perdono",
    "im gunna stab him but i forgive him",
    "bout to kill him but i forgive him",
    "im gonna drive over and stab him but i forgive him",
    "im going to wait till he sleeps and stab him but i forgive him",
    "i want to hurt my baby but i forgive her",
]


@pytest.mark.parametrize("text", FORGIVEN_WITH_MEANS_OR_INTENT)
def test_buying_a_knife_to_kill_him_but_forgiving_him_pages_on_call(text: str) -> None:
    """ "i bought a knife to kill him but i forgive him": none."""
    _assert_pages(text)


#: #6 (High, missed): a therapist's safety question answered yes, with the yes followed
#: by an emoji, a face, an adverb or more words, or stretched.
YES_NOT_READ = [
    "my therapist asked if i was suicidal and yes sadly",
    "my therapist asked if i was suicidal and honestly yes 😔",
    "my therapist asked if i was suicidal, the answer is yes :(",
    "my therapist asked if i was suicidal and i said yea kinda",
    "she asked if i've been thinking of killing myself and yess",
    "mi terapeuta me preguntó si quería matarme y sí lo he pensado",
    "mi psicóloga me preguntó si pensaba en suicidarme y la verdad sí 😞",
]


@pytest.mark.parametrize("text", YES_NOT_READ)
def test_asked_if_suicidal_and_yes_sadly_is_at_least_flagged(text: str) -> None:
    """ "my therapist asked if i was suicidal and yes sadly": none (not even the check-in)."""
    assessment = assess(text)
    assert assessment.level is not RiskLevel.NONE, assessment.to_dict()


#: #7 (High, false page): "kill my boss" / "kill the boss" as HARM_OTHER pages venting and
#: games by the parts alone (the model, at 0.01-0.16, cannot lower a part's verdict).
KILLING_THE_BOSS = [
    "i could kill my boss",
    "honestly i could kill my boss today lol",
    "i'm gonna kill my boss lol he moved the meeting again",
    "help me kill the boss on level 4",
    "how do i kill the boss in hollow knight",
    "we need to kill the boss before the timer runs out",
]


@pytest.mark.parametrize("text", KILLING_THE_BOSS)
def test_i_could_kill_my_boss_pages_no_one(text: str) -> None:
    """ "i could kill my boss": high (HARM_OTHER "kill my boss", by the parts)."""
    _assert_pages_no_one(text)


#: #8 (Medium, false page): the det12d idiom said with "voy a" / "going to" and forgiven
#: (none on 6ae3be8, high now: ``harm_intended``).
PETTY_ANGER_FORGIVEN = [
    "te juro que lo voy a matar por comerse mi pastel pero lo perdono jaja",
    "lo voy a matar por comerse mi pastel, bueno lo perdono",
    "voy a matar a mi hermano por comerse mi pastel pero lo perdono",
    "i'm going to kill him for eating my fries but i forgive him lol",
]


@pytest.mark.parametrize("text", PETTY_ANGER_FORGIVEN)
def test_going_to_kill_him_for_eating_my_cake_but_forgiven_pages_no_one(text: str) -> None:
    """ "lo voy a matar por comerse mi pastel, bueno lo perdono": high."""
    _assert_pages_no_one(text)


#: #9 (Medium, false page or flag): a later "yeah i'm" or "sí," read as the answer to a
#: question the client already answered no (none on 6ae3be8).
ANSWERED_NO_THEN_YEAH = [
    "my therapist asked if i was suicidal, i said no. yeah i'm just stressed about school",
    "the nurse asked if i had thoughts of suicide and i said not since high school, yeah",
    "mi terapeuta me preguntó si tenía pensamientos suicidas, le dije que no. si, me fue bien",
]


@pytest.mark.parametrize("text", ANSWERED_NO_THEN_YEAH)
def test_said_no_then_yeah_im_stressed_flags_nothing(text: str) -> None:
    """ "my therapist asked if i was suicidal, i said no. yeah i'm just stressed about
    school": high (``_answered_yes`` takes "yeah i'm")."""
    _assert_flags_nothing(text)


#: #10 (High, misread answer): "not" as texters write it no longer negates "safe": asked
#: again instead of the crisis reply and a page (not safe on 6ae3be8).
NOT_SAFE_AS_TEXTED = [
    "im nt safe",
    "nt safe",
    "i dint feel safe",
    "i did'nt say i was safe",
    "i do'nt feel safe",
    "i could'nt tell you if im safe",
    "i wnt be safe tonight",
    "i cldnt say im safe",
]


@pytest.mark.parametrize("answer", NOT_SAFE_AS_TEXTED)
def test_im_nt_safe_to_are_you_safe_is_not_safe(answer: str) -> None:
    """ "im nt safe" to "are you safe right now?": unclear, asked again."""
    assert read_safe_now(answer) == NO


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
