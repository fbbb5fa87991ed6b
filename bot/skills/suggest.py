"""Which skill to offer for what a client says is happening, and why.

DBT matches skills to situations: when arousal is extreme, bring the body
down first (TIPP, STOP, distraction, self-soothing) because skills that need
a clear head break down; an emotion that does not fit the facts calls for
checking the facts and opposite action, one that fits for problem solving;
asking for something or saying no for DEAR MAN with GIVE and FAST;
vulnerability from poor sleep, food or illness for PLEASE and ABC; pain that
cannot be changed for radical acceptance, turning the mind and willingness.
The situations and their cue words live in ``skills_content/situations.yml``;
this module only weighs what was recognised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.skills.library import Skill, SkillLibrary

#: A situation's first-choice skill gets its full score; each later choice this much less.
FIRST_CHOICE_SHARE: Final = 1.0
NEXT_CHOICE_STEP: Final = 0.2
#: The lowest share a listed choice gets, however far down the list.
LAST_CHOICE_SHARE: Final = 0.4
#: A skill whose file names the situation but which the situation does not list first.
TAGGED_SHARE: Final = 0.3
#: A skill is scored by the situation it fits best; every other situation it fits adds
#: this share, so a skill that touches many situations loosely does not outrank the one
#: DBT names first for the strongest situation.
SECONDARY_SHARE: Final = 0.25
DEFAULT_LIMIT: Final = 3


@dataclass(frozen=True)
class Suggestion:
    """A skill offered for the client's situation, and why, in words the client reads."""

    skill: Skill
    reason: str


def suggest_skills(
    situation_text: str, library: SkillLibrary, limit: int = DEFAULT_LIMIT
) -> list[Suggestion]:
    """Up to ``limit`` skills for what the client describes, best first.

    Returns an empty list when the message names no recognisable situation:
    the caller should then ask what is going on rather than guess. Crisis
    messages never reach here; the crisis path answers them first.
    """
    if limit <= 0:
        return []
    contributions: dict[str, list[float]] = {}
    reasons: dict[str, tuple[float, str]] = {}
    for found in library.situations.recognise(situation_text):
        situation = library.situations[found.tag]
        choices = {
            choice.skill: (rank, choice.reason) for rank, choice in enumerate(situation.suggest)
        }
        for skill in library:
            if found.tag not in skill.situations:
                continue
            choice = choices.get(skill.id)
            share = TAGGED_SHARE
            if choice is not None:
                share = max(FIRST_CHOICE_SHARE - NEXT_CHOICE_STEP * choice[0], LAST_CHOICE_SHARE)
            contribution = found.score * share
            contributions.setdefault(skill.id, []).append(contribution)
            if choice is not None and contribution > reasons.get(skill.id, (0.0, ""))[0]:
                reasons[skill.id] = (contribution, choice[1])
    scores = {
        skill_id: max(parts) + SECONDARY_SHARE * (sum(parts) - max(parts))
        for skill_id, parts in contributions.items()
    }
    teaching_order = {skill_id: index for index, skill_id in enumerate(library.ids)}
    best = sorted(scores, key=lambda skill_id: (-scores[skill_id], teaching_order[skill_id]))
    return [_suggestion(library.get(skill_id), reasons.get(skill_id)) for skill_id in best[:limit]]


def _suggestion(skill: Skill, scored_reason: tuple[float, str] | None) -> Suggestion:
    if scored_reason is not None:
        return Suggestion(skill, scored_reason[1])
    return Suggestion(skill, f"{skill.name} could help here. {skill.summary}")
