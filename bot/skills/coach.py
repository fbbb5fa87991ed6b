"""What the coach says about skills: explanations, module lists, offers, validation.

Plain text built from the library, so the Rasa actions stay thin and the
wording is tested without a server. Texts are written for SMS: short
paragraphs, one message each, plain characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

from bot.skills.library import MODULES, Skill, SkillLibrary
from bot.skills.suggest import Suggestion

#: What a client hears first when they tell the coach how they feel: validation
#: before any skill (DBT's validation comes before change).
VALIDATIONS: Final[dict[str, str]] = {
    "high_arousal": "That sounds like a lot of heat in your body right now, and it makes "
    "sense to feel it when someone matters to you.",
    "anger": "It makes sense to feel angry when something feels unfair or hurts.",
    "sadness": "I'm sorry today feels heavy. Sadness is a real and valid feeling.",
    "anxiety": "That sounds really stressful. Anxiety is exhausting, and you're not alone in it.",
    "shame": "That sounds painful. Shame can feel huge, and you reaching out takes courage.",
    "guilt": "It sounds like you care about doing right, and that's weighing on you.",
    "loneliness": "Feeling alone is really hard. I'm glad you texted.",
    "overwhelmed": "That's a lot to carry at once. No wonder you feel overwhelmed.",
}
DEFAULT_VALIDATION: Final = "Thank you for telling me. What you're feeling makes sense."
#: When nothing in the message points to a skill, the coach asks rather than guesses.
ASK_MORE: Final = (
    "I'd like to help. Can you tell me a bit more about what's going on, or how "
    "strong the feeling is? You can also text SKILLS to browse, or CRISIS for numbers "
    "to call any time."
)


def explain(skill: Skill) -> list[str]:
    """A skill in a few messages: what it is, its letters, when (not) to use it."""
    messages = [f"{skill.name} ({skill.module_name}): {skill.summary}"]
    if skill.is_acronym:
        messages.append("\n".join(f"{item.letter}: {item.stands_for}" for item in skill.acronym))
    messages.append(f"Use it when: {skill.when_to_use[0]}")
    messages.append(f"Keep in mind: {skill.when_not_to_use[0]}")
    messages.append(practice_offer(skill))
    return messages


def practice_offer(skill: Skill) -> str:
    """The question that lets a plain "yes" start the guided practice."""
    return f"Want me to walk you through {skill.name} step by step now? (yes or no)"


def module_list(library: SkillLibrary, module: str) -> str:
    """A module's skills, in teaching order, and how to learn one."""
    skills = library.by_module(module)
    if not skills:
        return f"The {MODULES[module]} skills are not in my library yet. Text SKILLS to browse."
    names = "\n".join(f"- {skill.name}" for skill in skills)
    return f"{MODULES[module]} skills:\n{names}\nText a skill's name to learn about it."


def modules_overview(library: SkillLibrary) -> str:
    """The four modules and how many skills each has, for "what skills are there"."""
    lines = [f"- {name} ({len(library.by_module(module))})" for module, name in MODULES.items()]
    return (
        "DBT has four skills modules:\n"
        + "\n".join(lines)
        + "\nText one (for example DISTRESS TOLERANCE) to see its skills."
    )


def validation_for(situation_tags: Sequence[str]) -> str:
    """A validating first reply for the strongest situation recognised."""
    for tag in situation_tags:
        if tag in VALIDATIONS:
            return VALIDATIONS[tag]
    return DEFAULT_VALIDATION


def suggestion_text(suggestion: Suggestion) -> str:
    """The skill offered, and why it fits."""
    return f"One skill that fits: {suggestion.skill.name}. {suggestion.reason}"


#: Used until the library has mindfulness skills: one minute of observing the breath.
BREATH_EXERCISE: Final = (
    "Today's mindfulness minute: sit comfortably and notice your breath for one minute. "
    "Just observe it coming in and going out. When your mind wanders, notice that, and "
    "gently bring it back, without judging yourself."
)


def daily_mindfulness(library: SkillLibrary, today: date) -> str:
    """A short exercise for today: each day the next mindfulness skill's practice."""
    skills = library.by_module("mindfulness")
    if not skills:
        return BREATH_EXERCISE
    skill = skills[today.toordinal() % len(skills)]
    return f"Today's mindfulness exercise ({skill.name}): {skill.practice}"
