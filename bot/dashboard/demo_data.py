"""Sixty days of the demo client's life, so the first run shows a living dashboard.

``wisemind demo seed`` and ``wisemind run`` call :func:`seed_demo_history`
after :func:`bot.demo.seed_demo` (which stays a bare clinic, for tests that
build on it): diary cards on most
days (urges easing as skills use grows, a hard patch two weeks ago), guided
skill practices with distress before and after, the messages of those
check-ins, two homework assignments, and one open escalation from this
morning. The numbers come from a fixed random seed, so every demo clinic
looks the same. It runs once: a second seed finds the first history and
changes nothing.

The escalation is recorded, not paged: seeding must never send a page to
anyone. New risk from the demo client pages as usual.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clinic import client_by_code, therapist_by_email
from bot.demo import DEMO_CLIENT, DEMO_CLIENT_CODE
from bot.storage.enums import (
    ESCALATION_CODE_LENGTH,
    Channel,
    Direction,
    EscalationEventKind,
    EscalationLevel,
    EscalationStatus,
    HomeworkStatus,
    MessageStatus,
)
from bot.storage.models import (
    Client,
    DiaryEntry,
    Escalation,
    EscalationEvent,
    Homework,
    Message,
    SkillPractice,
    Therapist,
    unique_code,
)

HISTORY_DAYS = 60
#: Fixed, so that every demo clinic shows the same history.
RANDOM_SEED = 20261130
#: The first inbound message's provider id: its presence means the history is there.
MARKER_PROVIDER_ID = "demo-history-0"
#: Share of days with a diary card (clients miss some).
CARD_DAYS = 0.85
#: Days ago of the hard patch (urges up, skills down).
HARD_PATCH = range(12, 17)
SKILLS_PRACTISED = (
    "tipp",
    "stop",
    "wise_mind",
    "check_the_facts",
    "opposite_action",
    "self_soothe",
    "dear_man",
    "radical_acceptance",
)
CHECK_IN_TIME = time(20, 30)
INBOUND_LINES = (
    "diary",
    "ok done. rough day at work but I used TIPP",
    "can we do the card later",
    "feeling a bit better today",
    "I'm about to explode at my mom",
    "that helped, thanks",
)
OUTBOUND_LINES = (
    "Let's fill in today's diary card.",
    "Thanks for filling in today's card. You used your skills: that matters.",
    "Let's try TIPP together. First, rate your distress from 0 to 100.",
    "Nice work. How is your distress now, from 0 to 100?",
)
ESCALATION_EVIDENCE = (
    "i cant do this anymore. i keep thinking everyone would be better off without me"
)


def seed_demo_history(session: Session, now: datetime) -> bool:
    """Give the demo client their history once; True if created now, False if already there."""
    client = client_by_code(session, DEMO_CLIENT_CODE)
    therapist = therapist_by_email(session, DEMO_CLIENT.therapist_email)
    if client is None or therapist is None:
        raise LookupError("seed the demo clinic first (bot.demo.seed_demo)")
    exists = session.execute(
        select(Message.id).where(
            Message.channel == Channel.SMS,
            Message.direction == Direction.INBOUND,
            Message.provider_id == MARKER_PROVIDER_ID,
        )
    ).first()
    if exists is not None:
        return False
    rng = random.Random(RANDOM_SEED)
    zone = ZoneInfo(client.timezone)
    today = now.astimezone(zone).date()
    phone = next((i.address for i in client.identities if i.channel == Channel.SMS), None)
    address = phone or client.code
    message_number = 0
    for days_ago in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=days_ago)
        evening = datetime.combine(day, CHECK_IN_TIME, zone)
        if rng.random() < CARD_DAYS:
            session.add(_diary_card(rng, client.id, day, days_ago))
            message_number = _check_in_messages(
                session, rng, client.id, address, evening, message_number
            )
        if rng.random() < 0.35 or days_ago in HARD_PATCH:
            session.add(_practice(rng, client.id, evening - timedelta(hours=3)))
    _homework(session, client, therapist, today, zone)
    _open_escalation(session, client, now, address, message_number)
    session.flush()
    return True


def _diary_card(rng: random.Random, client_id: int, day: date, days_ago: int) -> DiaryEntry:
    progress = 1 - days_ago / HISTORY_DAYS  # 0 two months ago, 1 today
    hard = days_ago in HARD_PATCH

    def rating(base: float, spread: int = 1, high: int = 5) -> int:
        return max(0, min(high, round(base + rng.randint(-spread, spread))))

    return DiaryEntry(
        client_id=client_id,
        entry_date=day,
        urge_suicide=rating(3 if hard else 1.5 - progress, spread=1),
        urge_self_harm=rating(4 if hard else 2.5 - 1.5 * progress),
        urge_use=rating(2 if hard else 1.5 - progress),
        self_harm=hard and rng.random() < 0.3,
        substance_use=rng.random() < (0.3 if hard else 0.08),
        sadness=rating(4 if hard else 3 - 1.5 * progress),
        anger=rating(2.5 if hard else 2 - progress),
        fear=rating(3 if hard else 2.2 - progress),
        shame=rating(3.5 if hard else 2.5 - progress),
        joy=rating(0.5 if hard else 1 + 2.5 * progress),
        skills_used=rating(2 if hard else 2 + 4 * progress, high=7),
    )


def _practice(rng: random.Random, client_id: int, at: datetime) -> SkillPractice:
    before = rng.randint(45, 90)
    finished = rng.random() < 0.9
    return SkillPractice(
        client_id=client_id,
        skill_id=rng.choice(SKILLS_PRACTISED),
        started_at=at,
        completed_at=at + timedelta(minutes=rng.randint(5, 20)) if finished else None,
        distress_before=before,
        distress_after=max(0, before - rng.randint(5, 40)) if finished else None,
    )


def _check_in_messages(
    session: Session,
    rng: random.Random,
    client_id: int,
    address: str,
    evening: datetime,
    number: int,
) -> int:
    """A check-in's exchange: the client texts, the bot answers; returns the next number."""
    lines = [
        (Direction.INBOUND, "diary"),
        (Direction.OUTBOUND, OUTBOUND_LINES[0]),
        (Direction.INBOUND, rng.choice(INBOUND_LINES[1:])),
        (Direction.OUTBOUND, rng.choice(OUTBOUND_LINES[1:])),
    ]
    for offset, (direction, body) in enumerate(lines):
        inbound = direction == Direction.INBOUND
        at = evening + timedelta(minutes=2 * offset)
        session.add(
            Message(
                client_id=client_id,
                channel=Channel.SMS,
                direction=direction,
                address=address,
                body=body,
                risk_level="none" if inbound else None,
                screened_at=at if inbound else None,
                provider_id=f"demo-history-{number}",
                status=MessageStatus.PROCESSED if inbound else MessageStatus.DELIVERED,
                sequence=None if inbound else number + 1,
                created_at=at,
                updated_at=at,
            )
        )
        number += 1
    return number


def _homework(
    session: Session, client: Client, therapist: Therapist, today: date, zone: ZoneInfo
) -> None:
    end_of = time(23, 59)
    session.add_all(
        [
            Homework(
                client_id=client.id,
                assigned_by=therapist.id,
                skill_id="check_the_facts",
                title="Check the facts on one strong emotion",
                instructions="Once this week, use the Check the Facts worksheet on one emotion.",
                due_at=datetime.combine(today - timedelta(days=5), end_of, zone),
                status=HomeworkStatus.DONE,
                client_report="Did it after the argument on Tuesday. The facts didn't fit my fear.",
                reported_at=datetime.combine(today - timedelta(days=6), time(21), zone),
            ),
            Homework(
                client_id=client.id,
                assigned_by=therapist.id,
                skill_id="opposite_action",
                title="Opposite action for shame",
                instructions="Twice before next session, act opposite to shame's urge to hide.",
                due_at=datetime.combine(today + timedelta(days=3), end_of, zone),
                status=HomeworkStatus.ASSIGNED,
            ),
        ]
    )


def _open_escalation(
    session: Session, client: Client, now: datetime, address: str, number: int
) -> None:
    opened = now - timedelta(hours=2)
    message = Message(
        client_id=client.id,
        channel=Channel.SMS,
        direction=Direction.INBOUND,
        address=address,
        body=ESCALATION_EVIDENCE,
        risk_level=EscalationLevel.HIGH,
        screened_at=opened,
        provider_id=f"demo-history-{number}",
        status=MessageStatus.PROCESSED,
        created_at=opened,
        updated_at=opened,
    )
    session.add(message)
    session.flush()
    escalation = Escalation(
        client_id=client.id,
        code=unique_code(session, Escalation.code, ESCALATION_CODE_LENGTH),
        level=EscalationLevel.HIGH,
        categories=json.dumps(["burdensomeness", "hopelessness"]),
        evidence=f"[{opened:%Y-%m-%d %H:%M:%S} UTC] {ESCALATION_EVIDENCE}",
        source_message_id=message.id,
        status=EscalationStatus.OPEN,
        opened_at=opened,
    )
    session.add(escalation)
    session.flush()
    session.add(
        EscalationEvent(
            escalation_id=escalation.id,
            at=opened,
            kind=EscalationEventKind.OPENED,
            detail="level high (demo data: recorded, not paged)",
        )
    )
