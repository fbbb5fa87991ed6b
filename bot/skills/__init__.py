"""The DBT skills library (SPEC §3): content, lookup and suggestions, in plain Python.

``load_library()`` reads and validates ``skills_content/`` once;
``SkillLibrary.get``/``find``/``by_module`` look skills up by id, by what a
client types, or by module (``find_module`` reads a browsing request);
``suggest_skills`` picks skills for what a client says is happening, with the
reason to give them. Nothing here knows of Rasa.
"""

from bot.skills.files import SkillContentError
from bot.skills.library import (
    CONTENT_DIR,
    MODULES,
    STEP_MAX_CHARS,
    AcronymLetter,
    Skill,
    SkillLibrary,
    load_library,
)
from bot.skills.situations import RecognisedSituation
from bot.skills.suggest import Suggestion, suggest_skills

__all__ = [
    "CONTENT_DIR",
    "MODULES",
    "STEP_MAX_CHARS",
    "AcronymLetter",
    "RecognisedSituation",
    "Skill",
    "SkillContentError",
    "SkillLibrary",
    "Suggestion",
    "load_library",
    "suggest_skills",
]
