"""``CrisisClassifier``: the crisis detector as the last step of Rasa's NLU pipeline.

Every message is scored by :mod:`bot.safety` (the one crisis detector). When
it finds risk, this component replaces whatever intent the classifier before
it chose: ``crisis_high`` for ``high`` and ``imminent`` risk,
``crisis_moderate`` for ``moderate``. A message the intake handed over carries
the intake's level in its metadata (:func:`intake_level`): that decision,
which may come from the client's recent texts joined, is the one the
conversation follows, so a client who got the crisis reply for "thinking about
ending" / "it" / "tonight" gets the crisis follow-up too, not a reply to
"tonight" alone. The two crisis intents are excluded from every form's slot
mappings, so a risky message interrupts any form, and the rules in
``data/rules/crisis.yml`` run the crisis actions in every state. The
assessment itself is added to the parse result as ``crisis`` for the actions.

The detector is the only judge of those two intents. ``data/nlu/crisis.yml``
gives DIET a few examples of each so that the training data names every
intent, but a guess of DIET's that the detector does not confirm is dropped
(the message falls back to ``nlu_fallback``): ordinary text never becomes a
crisis, and a crisis never depends on DIET.

The same holds for the ``EXTERNAL_`` intents (``EXTERNAL_reminder``): they come
only from the scheduler through Rasa's ``trigger_intent`` API, which skips NLU.
Their examples in ``data/nlu/`` only name them in the training data, so any
guess of DIET's for one of them is dropped the same way: a client's text never
fires a reminder.

The component never writes anything: escalations are opened when the message
arrives (:mod:`bot.intake`), so that a page goes out even if Rasa fails.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
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
from bot.safety import RiskLevel, assess_many, get_detector

CRISIS_HIGH_INTENT = "crisis_high"
CRISIS_MODERATE_INTENT = "crisis_moderate"
CRISIS_INTENTS = frozenset({CRISIS_HIGH_INTENT, CRISIS_MODERATE_INTENT})
#: Intents only ever sent by the system through ``trigger_intent``, never read from text.
EXTERNAL_INTENT_PREFIX = "EXTERNAL_"
#: Where the assessment goes in the parse data (``tracker.latest_message``).
ASSESSMENT_KEY = "crisis"
RISK_LEVELS = frozenset(level.value for level in RiskLevel)


def crisis_intent(level: RiskLevel) -> str | None:
    """The intent a risk level stands for; None when there is no risk."""
    if level.escalates:
        return CRISIS_HIGH_INTENT
    if level is RiskLevel.MODERATE:
        return CRISIS_MODERATE_INTENT
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CrisisClassifier(GraphComponent, IntentClassifier):
    """Overrides the intent of any message the crisis detector flags."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisClassifier:
        # Load the detector with the model, not on a client's first message.
        get_detector()
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        texts = [message.get(TEXT) or "" for message in messages]
        for message, assessment in zip(messages, assess_many(texts), strict=True):
            message.set(ASSESSMENT_KEY, assessment.to_dict(), add_to_output=True)
            decided = intake_level(message)
            intent = crisis_intent(assessment.level if decided is None else decided)
            _drop_unconfirmed_guesses(message)
            if intent is None:
                continue
            chosen = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, chosen, add_to_output=True)
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
        return messages


def intake_level(message: Message) -> RiskLevel | None:
    """The intake's risk level for a message it handed over, from the message's metadata.

    The intake screened the message as it arrived, joined with the client's
    recent texts ("thinking about ending" / "it" / "tonight"), and sent the
    crisis reply on that decision; the conversation must follow the same one.
    None for a message that did not come through the intake, or was unscored.
    """
    metadata = message.get(METADATA) or {}
    level = metadata.get(RISK_LEVEL) if isinstance(metadata, dict) else None
    return RiskLevel(level) if level in RISK_LEVELS else None


def _never_from_text(intent: str | None) -> bool:
    """Whether only the detector or the scheduler, never DIET, may set this intent."""
    return intent is not None and (
        intent in CRISIS_INTENTS or intent.startswith(EXTERNAL_INTENT_PREFIX)
    )


def _drop_unconfirmed_guesses(message: Message) -> None:
    """Remove crisis and EXTERNAL_ intents that DIET guessed (see the module docstring)."""
    ranking = message.get(INTENT_RANKING_KEY) or []
    kept = [entry for entry in ranking if not _never_from_text(entry.get(INTENT_NAME_KEY))]
    if len(kept) != len(ranking):
        message.set(INTENT_RANKING_KEY, kept, add_to_output=True)
    chosen = message.get(INTENT) or {}
    if _never_from_text(chosen.get(INTENT_NAME_KEY)):
        fallback = {
            INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
            PREDICTED_CONFIDENCE_KEY: chosen.get(PREDICTED_CONFIDENCE_KEY, 1.0),
        }
        message.set(INTENT, fallback, add_to_output=True)
