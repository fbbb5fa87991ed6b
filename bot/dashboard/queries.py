"""What the dashboard's pages show, read from the database (plain Python, no HTTP).

Each function returns plain dataclasses for a template. The skills, homework
and reminders tables are filled by other parts of WiseMind as they land;
every query here reads them as they are and shows an empty section when
they are empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import message_log
from bot.dashboard.access import caseload_filter, escalation_filter
from bot.escalation import LEVEL_ORDER
from bot.reminders.checkins import CheckinRecord, checkins_of
from bot.skills.chain import chains_for
from bot.storage.enums import Direction, EscalationStatus, HomeworkStatus, ReminderKind
from bot.storage.models import (
    ChainAnalysis,
    Client,
    DiaryEntry,
    Escalation,
    Homework,
    Message,
    Reminder,
    SkillPractice,
    Takeover,
    Therapist,
)
from bot.takeover import active_takeover

#: A moderate-risk message within this long flags the client on the caseload.
RISK_FLAG_WINDOW = timedelta(days=7)
#: Resolved escalations listed in the inbox (the newest).
RESOLVED_SHOWN = 50
#: How an audit row names the newest message a view of the transcript showed.
TRANSCRIPT_MARK = "transcript to message"
#: Diary-card trend windows a therapist can pick, in days.
TREND_WINDOWS = (30, 90)
ACTIVE = (EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED)


def level_rank(level: str | None) -> int:
    """0 for no risk, then moderate, high, imminent: for sorting by urgency."""
    return LEVEL_ORDER.index(level) + 1 if level in LEVEL_ORDER else 0


# --- caseload ------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadRow:
    client_id: int
    code: str
    name: str
    therapist: str
    #: The highest risk of an active escalation, else ``moderate`` for a recent flagged message.
    risk: str | None
    open_escalations: int
    unacknowledged: bool
    last_diary: date | None
    last_contact: datetime | None
    homework_assigned: int
    homework_overdue: int
    homework_done: int
    taken_over: bool

    @property
    def urgency(self) -> tuple[int, int, float]:
        """Sort key, most urgent first: risk, unacknowledged, longest silence."""
        silence = self.last_contact.timestamp() if self.last_contact else 0.0
        return (-level_rank(self.risk), -int(self.unacknowledged), silence)


def caseload(session: Session, therapist: Therapist, now: datetime) -> list[CaseloadRow]:
    """The clients ``therapist`` may see, most urgent first."""
    clients = (
        session.execute(
            select(Client)
            .where(caseload_filter(therapist), Client.discharged_at.is_(None))
            .order_by(Client.name)
        )
        .scalars()
        .all()
    )
    rows = [_caseload_row(session, client, now) for client in clients]
    return sorted(rows, key=lambda row: row.urgency)


def _caseload_row(session: Session, client: Client, now: datetime) -> CaseloadRow:
    escalations = (
        session.execute(
            select(Escalation).where(
                Escalation.client_id == client.id, Escalation.status.in_(ACTIVE)
            )
        )
        .scalars()
        .all()
    )
    risk = max((e.level for e in escalations), key=level_rank, default=None)
    if risk is None:
        flagged = session.execute(
            select(Message.risk_level).where(
                Message.client_id == client.id,
                Message.direction == Direction.INBOUND,
                Message.created_at > now - RISK_FLAG_WINDOW,
                Message.risk_level.in_(LEVEL_ORDER),
            )
        ).scalars()
        risk = max(flagged, key=level_rank, default=None)
    homework = session.execute(
        select(Homework.status, Homework.due_at).where(Homework.client_id == client.id)
    ).all()
    assigned = [h for h in homework if h.status == HomeworkStatus.ASSIGNED]
    return CaseloadRow(
        client_id=client.id,
        code=client.code,
        name=client.name,
        therapist=client.therapist.name,
        risk=risk,
        open_escalations=len(escalations),
        unacknowledged=any(e.status == EscalationStatus.OPEN for e in escalations),
        last_diary=session.execute(
            select(func.max(DiaryEntry.entry_date)).where(DiaryEntry.client_id == client.id)
        ).scalar_one(),
        last_contact=session.execute(
            select(func.max(Message.created_at)).where(
                Message.client_id == client.id, Message.direction == Direction.INBOUND
            )
        ).scalar_one(),
        homework_assigned=len(assigned),
        homework_overdue=sum(1 for h in assigned if h.due_at is not None and h.due_at < now),
        homework_done=sum(1 for h in homework if h.status == HomeworkStatus.DONE),
        taken_over=active_takeover(session, client.id, now) is not None,
    )


# --- escalations ---------------------------------------------------------------


@dataclass(frozen=True)
class Inbox:
    open: list[Escalation]
    acknowledged: list[Escalation]
    resolved: list[Escalation]


def inbox(session: Session, therapist: Therapist) -> Inbox:
    """The escalations ``therapist`` may see, by status; the most urgent open ones first."""
    visible = escalation_filter(therapist)

    def with_status(status: str, limit: int | None = None) -> list[Escalation]:
        query = (
            select(Escalation)
            .where(visible, Escalation.status == status)
            .order_by(Escalation.opened_at.desc())
            .limit(limit)
        )
        return list(session.execute(query).scalars())

    open_ = sorted(with_status(EscalationStatus.OPEN), key=lambda e: -level_rank(e.level))
    return Inbox(
        open=open_,
        acknowledged=with_status(EscalationStatus.ACKNOWLEDGED),
        resolved=with_status(EscalationStatus.RESOLVED, RESOLVED_SHOWN),
    )


@dataclass(frozen=True)
class TimelineStep:
    at: datetime
    what: str
    who: str
    via: str
    detail: str


def timeline(session: Session, escalation: Escalation) -> list[TimelineStep]:
    """Every step of an escalation with its time: its events and the pages' delivery."""
    names = _therapist_names(session)
    steps = [
        TimelineStep(
            at=event.at,
            what=event.kind.replace("_", " "),
            who=names.get(event.therapist_id, "") if event.therapist_id else "",
            via=event.via or "",
            detail=event.detail or "",
        )
        for event in escalation.events
    ]
    for sent in escalation.pages:
        message = session.get(Message, sent.message_id) if sent.message_id else None
        if message is not None and message.status in ("sent", "delivered", "undeliverable"):
            steps.append(
                TimelineStep(
                    at=message.updated_at,
                    what=f"page {message.status}",
                    who=names.get(sent.therapist_id, "crisis line")
                    if sent.therapist_id
                    else "crisis line",
                    via=sent.channel,
                    detail=f"{sent.tier}" + (f", {message.error}" if message.error else ""),
                )
            )
    return sorted(steps, key=lambda step: step.at)


def categories(escalation: Escalation) -> list[str]:
    return [str(c).replace("_", " ") for c in json.loads(escalation.categories or "[]")]


def _therapist_names(session: Session) -> dict[int | None, str]:
    return {row.id: row.name for row in session.execute(select(Therapist.id, Therapist.name))}


# --- a client's page --------------------------------------------------------------


@dataclass(frozen=True)
class TranscriptLine:
    message_id: int
    at: datetime
    direction: str
    channel: str
    status: str
    sender: str
    body: str
    risk: str | None


@dataclass(frozen=True)
class Transcript:
    """The client's latest messages, and the newest one's id (what a view of it showed)."""

    lines: list[TranscriptLine]
    latest_message_id: int

    @property
    def audit_mark(self) -> str:
        """The audit detail naming this view of the transcript (see ``client_pages``)."""
        return f"{TRANSCRIPT_MARK} {self.latest_message_id}"


@dataclass
class ClientRecord:
    client: Client
    days: int
    diary: list[DiaryEntry]
    practices: list[SkillPractice]
    #: Chain analyses started in the window, newest first (a paused one has no completed_at).
    chains: list[ChainAnalysis]
    homework: list[Homework]
    #: Active reminders other than check-ins (those have their own section).
    reminders: list[Reminder]
    checkins: list[CheckinRecord]
    transcript: Transcript
    escalations: list[Escalation]
    takeover: Takeover | None
    takeover_by: str = ""
    channels: list[str] = field(default_factory=list)


def client_record(session: Session, client: Client, *, days: int, now: datetime) -> ClientRecord:
    """Everything on a client's page over the last ``days`` days (transcript: the latest)."""
    since = now.date() - timedelta(days=days - 1)
    names = _therapist_names(session)
    diary = session.execute(
        select(DiaryEntry)
        .where(DiaryEntry.client_id == client.id, DiaryEntry.entry_date >= since)
        .order_by(DiaryEntry.entry_date)
    ).scalars()
    practices = session.execute(
        select(SkillPractice)
        .where(
            SkillPractice.client_id == client.id,
            SkillPractice.started_at >= now - timedelta(days=days),
        )
        .order_by(SkillPractice.started_at.desc())
    ).scalars()
    homework = session.execute(
        select(Homework).where(Homework.client_id == client.id).order_by(Homework.created_at.desc())
    ).scalars()
    reminders = session.execute(
        select(Reminder)
        .where(
            Reminder.client_id == client.id,
            Reminder.active.is_(True),
            Reminder.kind != ReminderKind.CHECKIN,
        )
        .order_by(Reminder.id)
    ).scalars()
    escalations = session.execute(
        select(Escalation)
        .where(Escalation.client_id == client.id)
        .order_by(Escalation.opened_at.desc())
        .limit(RESOLVED_SHOWN)
    ).scalars()
    takeover = active_takeover(session, client.id, now)
    return ClientRecord(
        client=client,
        days=days,
        diary=list(diary),
        practices=list(practices),
        chains=[
            c for c in chains_for(session, client) if c.started_at >= now - timedelta(days=days)
        ],
        homework=list(homework),
        reminders=list(reminders),
        checkins=checkins_of(session, client),
        transcript=transcript(session, client),
        escalations=list(escalations),
        takeover=takeover,
        takeover_by=names.get(takeover.therapist_id, "") if takeover else "",
        channels=sorted({identity.channel for identity in client.identities}),
    )


def transcript(session: Session, client: Client) -> Transcript:
    """The client's latest messages as the page shows them, with who wrote each."""
    names = _therapist_names(session)
    messages = message_log.transcript(session, client.id)
    lines = [
        TranscriptLine(
            message_id=message.id,
            at=message.created_at,
            direction=message.direction,
            channel=message.channel,
            status=message.status,
            sender=_sender(message, client, names),
            body=message.body,
            risk=message.risk_level,
        )
        for message in messages
    ]
    return Transcript(lines, max((m.id for m in messages), default=0))


def _sender(message: Message, client: Client, names: dict[int | None, str]) -> str:
    if message.direction == Direction.INBOUND:
        return client.name
    if message.from_therapist_id is not None:
        return f"{names.get(message.from_therapist_id, 'therapist')} (therapist)"
    return "WiseMind bot"


# --- the clinic (admins) ------------------------------------------------------------


@dataclass(frozen=True)
class StaffRow:
    therapist: Therapist
    #: Clients in their caseload (not discharged).
    clients: int


def staff(session: Session) -> list[StaffRow]:
    """Every staff account, active first, with the size of its caseload."""
    counts = dict(
        session.execute(
            select(Client.therapist_id, func.count(Client.id))
            .where(Client.discharged_at.is_(None))
            .group_by(Client.therapist_id)
        ).all()
    )
    people = session.execute(select(Therapist).order_by(Therapist.name)).scalars()
    rows = [StaffRow(person, int(counts.get(person.id, 0))) for person in people]
    return sorted(rows, key=lambda row: not row.therapist.active)


def clients_to_reassign(session: Session) -> list[Client]:
    """Clients still in the caseload of a deactivated account: nobody is reviewing them."""
    return list(
        session.execute(
            select(Client)
            .join(Therapist, Therapist.id == Client.therapist_id)
            .where(Therapist.active.is_(False), Client.discharged_at.is_(None))
            .order_by(Client.name)
        ).scalars()
    )
