"""Homework between sessions: a therapist assigns it, the client reports back.

A therapist assigns a skill to practice or a worksheet, with a due date
(``wisemind homework assign``). At the client's next contact after it is due
(a greeting, or any ordinary message, answered first) the bot asks about it,
at most once a day; the client's answer (done or not, and how it went) is
stored on the row for the therapist (``wisemind homework list``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clinic import ClinicError, client_by_code, therapist_by_email
from bot.diary import local_date
from bot.skills.library import SkillLibrary
from bot.storage.enums import NAME_MAX_LENGTH, HomeworkStatus
from bot.storage.models import Client, Homework

#: The client's own words about it are kept, up to this many characters.
REPORT_MAX_CHARS = 2000


def assign_homework(
    session: Session,
    library: SkillLibrary,
    *,
    client_code: str,
    therapist_email: str,
    due_at: datetime,
    skill: str | None = None,
    title: str | None = None,
    instructions: str | None = None,
) -> Homework:
    """Assign a skill practice (``skill``) or a worksheet (``title``) due at ``due_at``.

    A skill's homework prompt from the library is the default instructions.
    Raises :class:`ClinicError` for an unknown client, therapist or skill.
    """
    client = client_by_code(session, client_code)
    if client is None:
        raise ClinicError(f"No client with code {client_code!r}.")
    therapist = therapist_by_email(session, therapist_email)
    if therapist is None or not therapist.active:
        raise ClinicError(f"There is no active account for {therapist_email.strip().lower()}.")
    if due_at.tzinfo is None:
        raise ClinicError("The due date needs a time zone.")
    skill_id = None
    if skill is not None:
        found = library.find(skill)
        if found is None:
            raise ClinicError(f"No skill called {skill!r} in the library.")
        skill_id = found.id
        title = title or f"Practice {found.name}"
        instructions = instructions or found.homework
    if not title or not title.strip():
        raise ClinicError("Give a skill (--skill) or a worksheet title (--title).")
    if len(title) > NAME_MAX_LENGTH:
        raise ClinicError(f"The title is longer than {NAME_MAX_LENGTH} characters.")
    homework = Homework(
        client_id=client.id,
        assigned_by=therapist.id,
        skill_id=skill_id,
        title=title.strip(),
        instructions=(instructions or "").strip(),
        due_at=due_at,
    )
    session.add(homework)
    session.flush()
    return homework


def list_homework(session: Session, client_code: str) -> list[Homework]:
    """A client's homework, latest due first."""
    client = client_by_code(session, client_code)
    if client is None:
        raise ClinicError(f"No client with code {client_code!r}.")
    rows = session.execute(
        select(Homework)
        .where(Homework.client_id == client.id)
        .order_by(Homework.due_at.desc(), Homework.id.desc())
    )
    return list(rows.scalars())


def has_open_homework(session: Session, client: Client) -> bool:
    """Whether the client has homework not reported on yet, due or not.

    Read once per conversation session: only then does a client's message
    need the (dearer) check of what is due.
    """
    return (
        session.execute(
            select(Homework.id)
            .where(Homework.client_id == client.id, Homework.status == HomeworkStatus.ASSIGNED)
            .limit(1)
        ).first()
        is not None
    )


def _due(session: Session, client: Client, now: datetime) -> list[Homework]:
    """Assigned homework now due that the client has not reported on, oldest first."""
    rows = session.execute(
        select(Homework)
        .where(
            Homework.client_id == client.id,
            Homework.status == HomeworkStatus.ASSIGNED,
            Homework.due_at <= now,
        )
        .order_by(Homework.due_at, Homework.id)
    )
    return list(rows.scalars())


def due_homework(session: Session, client: Client, now: datetime) -> Homework | None:
    """The oldest assigned homework now due that the client has not reported on."""
    due = _due(session, client, now)
    return due[0] if due else None


def homework_to_bring_up(
    session: Session, client: Client, now: datetime, brought_up: Mapping[str, str]
) -> Homework | None:
    """The oldest due homework not yet brought up today (the client's today).

    ``brought_up`` maps homework ids (as text) to the local date it was last
    brought up on (ISO): a client who let it be once is not asked again that day.
    """
    today = local_date(client, now).isoformat()
    return next(
        (hw for hw in _due(session, client, now) if brought_up.get(str(hw.id)) != today), None
    )


def mark_brought_up(
    brought_up: Mapping[str, str], homework: Homework, client: Client, now: datetime
) -> dict[str, str]:
    """``brought_up`` with ``homework`` asked about today; earlier days are dropped."""
    today = local_date(client, now).isoformat()
    kept = {key: day for key, day in brought_up.items() if day == today}
    return {**kept, str(homework.id): today}


def client_homework(session: Session, client: Client, homework_id: int) -> Homework | None:
    """The client's homework with this id (``None`` if it is someone else's)."""
    homework = session.get(Homework, homework_id)
    return homework if homework is not None and homework.client_id == client.id else None


def report_homework(
    session: Session,
    client: Client,
    homework_id: int,
    *,
    done: bool,
    report: str | None,
    now: datetime,
) -> Homework:
    """Store the client's report: done or not, and how it went in their words."""
    homework = client_homework(session, client, homework_id)
    if homework is None:
        raise LookupError(f"no homework {homework_id} for this client")
    homework.status = HomeworkStatus.DONE if done else HomeworkStatus.MISSED
    homework.client_report = report.strip()[:REPORT_MAX_CHARS] if report else None
    homework.reported_at = now
    session.flush()
    return homework


def due_at_end_of(day: date, timezone: str) -> datetime:
    """Homework due on ``day`` is due by the end of it, in the client's time zone."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(timezone))


def describe_homework(homework: Homework) -> str:
    """One line for the therapist: what, when due, status, and the client's report."""
    due = f"{homework.due_at:%Y-%m-%d %H:%M} UTC" if homework.due_at else "no due date"
    line = f"#{homework.id} {homework.title} | due {due} | {homework.status}"
    if homework.reported_at is not None:
        line += f" (reported {homework.reported_at:%Y-%m-%d})"
    if homework.client_report:
        line += f" | {homework.client_report}"
    return line


def homework_question(homework: Homework) -> str:
    """How the bot brings the homework up."""
    return (
        f"Your therapist asked you to do some homework: {homework.title}. "
        "Did you get to do it? (yes or no)"
    )
