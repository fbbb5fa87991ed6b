"""Crisis screening of a stored inbound message: the detector's result applied.

The detector (:mod:`bot.safety`) is pure computation and runs first, outside
any database transaction (:func:`assess_safely`), so a slow input never holds
the database's write lock. :func:`screen_for_risk` then applies the result to
the stored message inside the pipeline's second transaction: the risk level,
the escalation (and page), and the crisis reply the client gets at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import crisis_messages, escalation
from bot.safety import Assessment, RiskLevel, assess, followup
from bot.settings import Settings
from bot.storage.enums import Direction, EscalationLevel
from bot.storage.models import Client, Message

logger = logging.getLogger(__name__)

#: The escalation category for a message the detector could not score.
SCREENING_FAILED = "screening_failed"
#: How much of a risky message the escalation keeps as evidence for the therapist.
MAX_EVIDENCE_CHARS = 4_000
#: Characters kept either side of each piece of evidence in a long message.
EVIDENCE_CONTEXT = 300
#: Levels whose text calls for a person on its own (joined to nothing, see below).
ESCALATING_LEVELS = tuple(level.value for level in RiskLevel if level.escalates)
#: Risk split over several texts ("thinking about ending" / "it" / "tonight") is
#: assessed on the client's last few inbound messages joined, sent this close together.
RECENT_MESSAGES = 5
RECENT_WINDOW = timedelta(minutes=3)


def assess_safely(text: str) -> Assessment | None:
    """The detector's assessment, or None if it failed (the message is then escalated)."""
    try:
        return assess(text)
    except Exception:
        # The traceback names no message content; the caller escalates for a person to look.
        logger.exception("crisis detector failed")
        return None


def evidence_excerpt(body: str, assessment: Assessment) -> str:
    """The message, or for a long one, the passages around what the detector found."""
    if len(body) <= MAX_EVIDENCE_CHARS:
        return body
    passages = [
        body[max(0, e.start - EVIDENCE_CONTEXT) : e.end + EVIDENCE_CONTEXT]
        for e in assessment.evidence
    ]
    return " … ".join(passages)[:MAX_EVIDENCE_CHARS]


def screen_for_risk(
    session: Session,
    client: Client,
    message: Message,
    assessment: Assessment | None,
    settings: Settings,
    now: datetime,
) -> tuple[str, ...]:
    """Screen a stored message: the detector's ``assessment``, and the answer it may be.

    Both count: what the detector found in the words, and a risky answer to the
    bot's own safety question (a check-in "yes", a diary urge of 4-5:
    :mod:`bot.safety.followup`), so confirmed risk pages without Rasa too.
    Returns the crisis reply for the client, if either calls for one.
    """
    excerpt = message.body
    if assessment is not None:
        assessment, excerpt = _with_recent_messages(session, client, message, assessment, now)
    detected = _apply_assessment(session, client, message, assessment, settings, now, excerpt)
    answered = followup.escalate_risky_answer(session, client, message, now, settings)
    return detected or answered


def _with_recent_messages(
    session: Session, client: Client, message: Message, assessment: Assessment, now: datetime
) -> tuple[Assessment, str]:
    """The higher of ``assessment`` and that of the client's recent texts joined, and its text.

    Someone in distress may send "thinking about ending", "it", "tonight" as
    three texts, each harmless alone. The joined text is bounded (the last
    :data:`RECENT_MESSAGES` within :data:`RECENT_WINDOW`, at most
    :data:`MAX_EVIDENCE_CHARS`), so the detector stays quick here. A text that
    already called for a person on its own is left out: its risk is recorded,
    and joined to the client's next "ok" it would send them the crisis reply
    again for every message of the next few minutes.
    """
    recent = session.scalars(
        select(Message.body)
        .where(
            Message.client_id == client.id,
            Message.direction == Direction.INBOUND,
            Message.created_at >= message.created_at - RECENT_WINDOW,
            Message.id <= message.id,
            or_(
                Message.id == message.id,
                Message.risk_level.is_(None),
                Message.risk_level.not_in(ESCALATING_LEVELS),
            ),
        )
        .order_by(Message.id.desc())
        .limit(RECENT_MESSAGES)
    ).all()
    if len(recent) < 2:
        return assessment, message.body
    joined = "\n".join(reversed(recent))[-MAX_EVIDENCE_CHARS:]
    combined = assess_safely(joined)
    if combined is None or combined.level <= assessment.level:
        return assessment, message.body
    return combined, joined


def _apply_assessment(
    session: Session,
    client: Client,
    message: Message,
    assessment: Assessment | None,
    settings: Settings,
    now: datetime,
    text: str,
) -> tuple[str, ...]:
    """Apply ``assessment`` to a stored message; open or join an escalation if it carries risk.

    This runs as the message arrives, before Rasa sees it, so that neither the
    page nor the client's crisis reply waits behind the assistant, or depends
    on it working at all. Returns the crisis reply for a high-risk message
    (queued at once), else nothing. ``assessment`` None means the detector
    failed: when in doubt, escalate, and a person looks at it (the client is
    told nothing alarming). ``text`` is what was assessed: the message, or the
    client's recent texts joined.
    """
    if assessment is None:
        logger.error("crisis screening failed for message %s; escalating", message.id)
        escalate_unscreened(session, client, message, settings, now)
        return ()
    message.risk_level = assessment.level.value
    if assessment.level is RiskLevel.NONE:
        return ()
    outcome = escalation.record_risk(
        session,
        client,
        level=assessment.level.value,
        categories=assessment.categories,
        evidence=evidence_excerpt(text, assessment),
        now=now,
        settings=settings,
        source_message_id=message.id,
    )
    if not assessment.level.escalates:
        return ()
    return crisis_messages.crisis_reply(message.body, client.locale, outcome.alerted)


def escalate_unscreened(
    session: Session, client: Client, message: Message, settings: Settings, now: datetime
) -> escalation.RiskOutcome:
    """When in doubt, escalate: a message that could not be screened, at high level.

    The on-call therapist is paged (never with the words); the message is the
    evidence a person reads on the dashboard.
    """
    return escalation.record_risk(
        session,
        client,
        level=EscalationLevel.HIGH,
        categories=[SCREENING_FAILED],
        evidence=message.body[:MAX_EVIDENCE_CHARS],
        now=now,
        settings=settings,
        source_message_id=message.id,
    )


def unknown_sender_crisis_reply(text: str) -> str:
    """The crisis reply for someone we cannot link to a client: the numbers, nobody alerted."""
    return "\n\n".join(crisis_messages.crisis_reply(text, None, alerted=False))
