"""Guided practice of a skill: reading the client's replies, and logging SUDS.

A practice opens with how it goes and the skill's first caution (TIPP's
heart and eating-disorder note), then walks the skill's steps one at a time,
with a distress rating (SUDS, 0-100) before and after. The row is written when the first rating is
given and updated as the client moves on, so a practice stopped halfway is
still there for the therapist, with how far it got.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answers import Problem, Reading, read_scale
from bot.skills.library import Skill
from bot.skills.text import words
from bot.storage.enums import DISTRESS_MAX, Channel
from bot.storage.models import Client, SkillPractice

#: How the client is told to move through the steps (none is a carrier keyword:
#: STOP, END, QUIT and CANCEL would opt them out of SMS).
STEP_HELP: Final = "Reply NEXT when ready, REPEAT to hear a step again, SKIP, PAUSE, or EXIT."
SUDS_QUESTION: Final = (
    "How distressed do you feel right now, from 0 (calm) to 100 (the worst you can imagine)?"
)
SUDS_AFTER_QUESTION: Final = "That's all the steps. How distressed do you feel now, 0 to 100?"
#: Leads the skill's first "when not to use" item, the caution that matters most for safety.
CAUTION_LEAD: Final = "Before you start: "


def practice_intro(skill: Skill) -> list[str]:
    """What a client reads once as a practice starts, before the rating and any step.

    How the practice goes, then the skill's first caution: the content puts the
    one that matters most for safety first (TIPP's cold water and heart
    conditions), so the client sees it before doing anything.
    """
    return [
        f"Let's practice {skill.name} together, {len(skill.steps)} steps, one at a time. "
        f"{STEP_HELP}",
        CAUTION_LEAD + skill.when_not_to_use[0],
    ]


class StepCommand(str, Enum):
    """What a reply to a step asks for; anything that is not a command moves on."""

    NEXT = "next"
    SKIP = "skip"
    REPEAT = "repeat"


#: Words that ask for a step again or to skip it ("again pls", "skip this one").
_REPEAT_WORDS: Final = frozenset({"repeat", "again", "what", "huh", "repetir", "otra"})
_SKIP_WORDS: Final = frozenset({"skip", "pass", "saltar"})


def read_step_reply(text: str) -> StepCommand:
    """NEXT for anything but a request to repeat or to skip the step."""
    folded = set(words(text))
    if folded & _SKIP_WORDS:
        return StepCommand.SKIP
    if folded & _REPEAT_WORDS:
        return StepCommand.REPEAT
    return StepCommand.NEXT


def read_suds(text: str) -> Reading:
    """A distress rating from 0 to 100, read like every other scale answer."""
    return read_scale(text, 0, DISTRESS_MAX)


def reask_suds(problem: Problem) -> str:
    """The re-ask for a rating that could not be read, with the scale."""
    if problem is Problem.OUT_OF_RANGE:
        return f"That's outside the scale. Please reply with a number from 0 to {DISTRESS_MAX}."
    if problem is Problem.AMBIGUOUS:
        return f"I want to get this right: please reply with one number from 0 to {DISTRESS_MAX}."
    return f"Sorry, I didn't catch that. Please reply with a number from 0 to {DISTRESS_MAX}."


@dataclass(frozen=True)
class Progress:
    """How far a practice got: steps read through and steps skipped."""

    done: int
    skipped: int


def start_practice(
    session: Session,
    client: Client,
    *,
    skill_id: str,
    channel: str | None,
    distress_before: int,
    now: datetime,
) -> SkillPractice:
    """Log a practice as it starts, with the rating before it."""
    if channel is not None and channel not in Channel.ALL:
        raise ValueError(f"unknown channel {channel!r}")
    practice = SkillPractice(
        client_id=client.id,
        skill_id=skill_id,
        channel=channel,
        started_at=now,
        distress_before=distress_before,
    )
    session.add(practice)
    session.flush()
    return practice


def _practice(session: Session, client: Client, practice_id: int) -> SkillPractice:
    practice = session.get(SkillPractice, practice_id)
    if practice is None or practice.client_id != client.id:
        raise LookupError(f"no practice {practice_id} for this client")
    return practice


def record_progress(
    session: Session, client: Client, practice_id: int, progress: Progress
) -> SkillPractice:
    """Keep how far the practice got (a paused or stopped one shows it)."""
    practice = _practice(session, client, practice_id)
    practice.steps_done = progress.done
    practice.steps_skipped = progress.skipped
    session.flush()
    return practice


def finish_practice(
    session: Session,
    client: Client,
    practice_id: int,
    *,
    distress_after: int,
    progress: Progress,
    now: datetime,
) -> SkillPractice:
    """Complete the practice with the rating after it."""
    practice = record_progress(session, client, practice_id, progress)
    practice.distress_after = distress_after
    practice.completed_at = now
    session.flush()
    return practice


def recent_practices(session: Session, client: Client, limit: int = 20) -> list[SkillPractice]:
    """The client's latest practices, newest first (for the therapist)."""
    rows = session.execute(
        select(SkillPractice)
        .where(SkillPractice.client_id == client.id)
        .order_by(SkillPractice.started_at.desc(), SkillPractice.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


def distress_change(before: int, after: int) -> str:
    """What the client reads at the end: the change, said kindly whichever way it went."""
    if after < before:
        return (
            f"Your distress went from {before} to {after}. That's the skill working, "
            "and you did it."
        )
    if after == before:
        return (
            f"Your distress is still {after}. That happens; skills often work better with "
            "practice, and getting through the steps still counts."
        )
    return (
        f"Your distress went from {before} to {after}. Thank you for being honest. "
        "Would another skill help? Text HELP ME to get a suggestion, or CRISIS for numbers "
        "to call."
    )
