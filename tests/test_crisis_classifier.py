"""The crisis intents come from the crisis detector alone, never from DIET's guess."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    METADATA,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.intake import RISK_LEVEL
from bot.nlu.crisis_classifier import CrisisClassifier


def _classified(text: str, guess: str, metadata: dict[str, object] | None = None) -> Message:
    """``text`` as the pipeline hands it over after DIET guessed ``guess``."""
    chosen = {INTENT_NAME_KEY: guess, PREDICTED_CONFIDENCE_KEY: 0.9}
    other = {INTENT_NAME_KEY: "greet", PREDICTED_CONFIDENCE_KEY: 0.1}
    message = Message(
        data={
            TEXT: text,
            INTENT: chosen,
            INTENT_RANKING_KEY: [chosen, other],
            METADATA: metadata or {},
        }
    )
    (classified,) = CrisisClassifier().process([message])
    return classified


@pytest.mark.parametrize("guess", ["crisis_high", "crisis_moderate"])
def test_a_crisis_intent_guessed_by_diet_on_ordinary_text_is_dropped(guess: str) -> None:
    message = _classified("this homework is killing me lol", guess)
    assert message.get(INTENT)[INTENT_NAME_KEY] == "nlu_fallback"
    ranked = [entry[INTENT_NAME_KEY] for entry in message.get(INTENT_RANKING_KEY)]
    assert ranked == ["greet"]


def test_a_crisis_the_detector_finds_is_a_crisis_whatever_diet_guessed() -> None:
    message = _classified("i want to kill myself tonight", "greet")
    assert message.get(INTENT)[INTENT_NAME_KEY] == "crisis_high"


def test_an_ordinary_intent_is_left_alone() -> None:
    assert _classified("hi there", "greet").get(INTENT)[INTENT_NAME_KEY] == "greet"


def test_the_last_of_a_crisis_split_over_texts_is_a_crisis_as_the_intake_decided() -> None:
    """ "thinking about ending" / "it" / "tonight": the intake scored the texts joined."""
    message = _classified("tonight", "inform", {RISK_LEVEL: "imminent"})
    assert message.get(INTENT)[INTENT_NAME_KEY] == "crisis_high"


def test_a_message_the_intake_found_harmless_is_not_turned_into_a_crisis() -> None:
    assert (
        _classified("ok", "affirm", {RISK_LEVEL: "none"}).get(INTENT)[INTENT_NAME_KEY] == "affirm"
    )
