"""Review 15: benign messages that page or flag, crises missed, and safety answers misread.

The real detector (rules and model) through ``bot.safety.assess`` and the real answer
readers of ``bot.safety.followup`` (``risk_of_reading``); no database. Each test fails on
main (6ae3be8) because of the hole its docstring describes; findings are numbered as in
``../2026-12-crisis-path-review-15.md``.
"""

from __future__ import annotations

import pytest

from bot.safety import RiskLevel, assess
from bot.safety.followup import risk_of_reading
from bot.storage.enums import SafetyQuestion


def _assert_pages_no_one(text: str) -> None:
    assessment = assess(text)
    assert not assessment.level.escalates, assessment.to_dict()


def _assert_flags_nothing(text: str) -> None:
    assessment = assess(text)
    assert assessment.level is RiskLevel.NONE, assessment.to_dict()


def _assert_answer_pages_no_one(kind: str, text: str) -> None:
    risk = risk_of_reading(kind, text)
    assert risk is None or risk.level not in ("high", "imminent"), risk


#: #1 (High, false page): the learned model alone (no rule noticed anything) pages plain
#: plans and home life, English and Spanish. Fixed on fix16b but for these two: the model,
#: retrained with short plans, is still sure (0.80 / 0.98 escalate) that an evening out
#: or going to bed "ya" is a crisis; the others are in tests/test_safety_detector.py.
EVERYDAY_PLANS = [
    "voy al cine esta noche",
    "me voy a acostar ya",
]


@pytest.mark.parametrize("text", EVERYDAY_PLANS)
def test_going_to_take_a_shower_pages_no_one(text: str) -> None:
    """ "voy al cine esta noche": high (learned_risk, escalate 0.97, risk 0.88)."""
    _assert_pages_no_one(text)


#: #4 (Medium, false page): everyday partings read as a farewell.
EVERYDAY_GOODBYES = [
    "bye for now 👋",
    "adios amigos 👋",
    "me despido por hoy, gracias por todo 😊",
    "gracias por todo, de verdad me ayudaste mucho hoy",
    "me voy a la cama, hasta luego",
]


@pytest.mark.parametrize("text", EVERYDAY_GOODBYES)
def test_bye_for_now_pages_no_one(text: str) -> None:
    """ "bye for now 👋": imminent (goodbye_words + emoji_farewell)."""
    _assert_pages_no_one(text)


#: #5 (Medium, false page): giving away or donating old things with a day named.
GIVING_AWAY_OLD_THINGS = [
    "i'm giving away my old clothes to goodwill this weekend",
    "i'm giving away my old bike to my nephew this weekend",
    "regalé mi ropa vieja a la iglesia este fin de semana",
    "regalé mis juguetes viejos a mi sobrino hoy",
]


@pytest.mark.parametrize("text", GIVING_AWAY_OLD_THINGS)
def test_giving_old_clothes_to_goodwill_pages_no_one(text: str) -> None:
    """ "i'm giving away my old clothes to goodwill this weekend": imminent."""
    _assert_pages_no_one(text)


#: #6 (Medium, false page): a farewell letter to a class, a retiring colleague, homework.
FAREWELL_LETTERS_TO_OTHERS = [
    "writing a farewell letter to my class since i'm graduating tomorrow",
    "le escribí una carta de despedida a mi compañera que se jubila",
    "mi tarea es escribir una carta de despedida a mi antiguo yo, la terapeuta dijo que ayuda",
]


@pytest.mark.parametrize("text", FAREWELL_LETTERS_TO_OTHERS)
def test_farewell_letter_to_a_retiring_colleague_pages_no_one(text: str) -> None:
    """ "le escribí una carta de despedida a mi compañera que se jubila": imminent."""
    _assert_pages_no_one(text)


#: #7 (Low, false page): Spanish climbing rope (the verb "escalar"; "escalada" is held).
def test_rope_for_climbing_in_spanish_pages_no_one() -> None:
    """ "compré una cuerda para escalar": high (strong_means_in_hand)."""
    _assert_pages_no_one("compré una cuerda para escalar")


#: #8 (Medium, false page): a decision or absence with an everyday reason and a time.
ANNOUNCED_EVERYDAY_PLANS = [
    "ya lo decidí, esta noche le digo a mi mamá que soy gay",
    "i won't be around this weekend, going camping with no signal",
    "voy a practicar la habilidad esta noche",
    "i'm going to try the skill tonight",
]


@pytest.mark.parametrize("text", ANNOUNCED_EVERYDAY_PLANS)
def test_coming_out_to_mom_tonight_pages_no_one(text: str) -> None:
    """ "ya lo decidí, esta noche le digo a mi mamá que soy gay": imminent."""
    _assert_pages_no_one(text)


#: #9-#11 (Low, false flag): moderate for phrasal "cut myself off", a reported question
#: answered no, routine meds and a commute.
FLAGGED_FOR_NOTHING = [
    "i cut myself off from coffee after 2pm",
    "my psychiatrist asked about suicidal thoughts, i told her none lately",
    "i took my pills this morning like normal",
    "i'm taking the bridge to work now that the tunnel is closed",
]


@pytest.mark.parametrize("text", FLAGGED_FOR_NOTHING)
def test_cutting_myself_off_from_coffee_flags_nothing(text: str) -> None:
    """ "i cut myself off from coffee after 2pm": moderate (recent_self_harm)."""
    _assert_flags_nothing(text)


#: #12 (Low, false page): prescribed night meds beside "i'm safe" read as means at hand.
def test_safe_after_taking_my_night_meds_is_no_page() -> None:
    """ "yes i'm safe, took my night meds" to "are you safe right now?": not safe, pages."""
    _assert_answer_pages_no_one(SafetyQuestion.SAFE_NOW, "yes i'm safe, took my night meds")
