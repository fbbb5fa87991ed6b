"""Assigning homework from the dashboard: a skill to practise, a worksheet, a due date.

The homework capability (reminding the client, taking their report) is built
elsewhere on the same ``homework`` table; this is only the therapist's side
of creating a row, validated like :mod:`bot.clinic`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.clinic import ClinicError
from bot.storage.enums import NAME_MAX_LENGTH, SKILL_ID_MAX_LENGTH, HomeworkStatus
from bot.storage.models import Client, Homework, Therapist

#: Homework is due at the end of the client's day.
DUE_TIME = time(23, 59)
INSTRUCTIONS_MAX_LENGTH = 4000


def assign_homework(
    session: Session,
    *,
    client: Client,
    therapist: Therapist,
    title: str,
    instructions: str = "",
    skill_id: str = "",
    due: date | None = None,
) -> Homework:
    """Add an assignment for ``client``; due at the end of ``due`` in the client's time zone."""
    title, instructions, skill_id = title.strip(), instructions.strip(), skill_id.strip()
    if not title or len(title) > NAME_MAX_LENGTH:
        raise ClinicError(f"Give the homework a title of 1 to {NAME_MAX_LENGTH} characters.")
    if len(instructions) > INSTRUCTIONS_MAX_LENGTH:
        raise ClinicError(f"Instructions must be at most {INSTRUCTIONS_MAX_LENGTH} characters.")
    if len(skill_id) > SKILL_ID_MAX_LENGTH:
        raise ClinicError(f"A skill id is at most {SKILL_ID_MAX_LENGTH} characters.")
    due_at = datetime.combine(due, DUE_TIME, ZoneInfo(client.timezone)) if due else None
    homework = Homework(
        client_id=client.id,
        assigned_by=therapist.id,
        skill_id=skill_id or None,
        title=title,
        instructions=instructions,
        due_at=due_at,
        status=HomeworkStatus.ASSIGNED,
    )
    session.add(homework)
    session.flush()
    return homework
