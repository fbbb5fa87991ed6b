"""``SkillEntityExtractor``: the ``skill`` entity, from the skills library itself.

Clients name skills in many ways ("TIPP", "tip", "dearman", "DEAR-MAN",
"radical acceptence"). Rather than copying every name, alias and acronym into
training data, this component finds them with :mod:`bot.skills.mentions`,
which reads ``skills_content/`` at load time: a skill added to the library is
recognised without retraining. The entity's value is the skill's id.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.skills import load_library
from bot.skills.mentions import MentionFinder

SKILL_ENTITY = "skill"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class SkillEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds a ``skill`` entity (value: the skill id) for every skill a message names."""

    def __init__(self, finder: MentionFinder) -> None:
        self._finder = finder

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SkillEntityExtractor:
        return cls(MentionFinder(load_library()))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = [
                {
                    ENTITY_ATTRIBUTE_TYPE: SKILL_ENTITY,
                    ENTITY_ATTRIBUTE_START: mention.start,
                    ENTITY_ATTRIBUTE_END: mention.end,
                    ENTITY_ATTRIBUTE_VALUE: mention.skill_id,
                }
                for mention in self._finder.find(text)
            ]
            entities = [*message.get(ENTITIES, []), *self.add_extractor_name(found)]
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
