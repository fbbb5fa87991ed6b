"""Crisis screening of a stored inbound message: the detector's result applied.

The detector (:mod:`bot.safety`) is pure computation and runs first, outside
any database transaction (:func:`assess_safely`), so a slow input never holds
the database's write lock. :func:`screen_for_risk` then applies the result to
the stored message inside the pipeline's second transaction: the risk level,
the escalation (and page), and the crisis reply the client gets at once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import takewhile

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import crisis_messages, escalation
from bot.intake.inbound import EDIT_SEPARATOR
from bot.safety import Assessment, RiskLevel, assess, followup
from bot.settings import Settings
from bot.storage.enums import Direction, EscalationLevel, SafetyQuestion
from bot.storage.models import Client, Escalation, Message

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
#: A phone re-sending a text ("Not delivered, try again") does so within this long.
RESEND_WINDOW = timedelta(minutes=2)
#: Questions about the client's safety: a message answering one gets no check-in on top.
SAFETY_CONVERSATION = frozenset({SafetyQuestion.CHECK_IN, SafetyQuestion.SAFE_NOW})


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


@dataclass(frozen=True)
class Screening:
    """What screening one message decided: what the client gets now, and the risk in its words.

    ``level`` is handed to the assistant with the message (see
    :class:`bot.intake.HandOff`), so the conversation follows this decision,
    made once here, rather than its own reading of the last text alone.
    """

    #: The risk in the message's words, joined with recent texts when that adds to it;
    #: None when the detector failed.
    level: RiskLevel | None = None
    #: The crisis reply: risk that pages, in the words or in an answer to a safety question.
    crisis_reply: tuple[str, ...] = ()
    #: The direct question about suicidal thoughts, for moderate risk in the words.
    check_in: str | None = None
    #: The words repeat risk already escalated and crisis-replied (an edit, a re-sent
    #: text): nobody is paged again and the crisis reply is not repeated.
    repeated: bool = False
    #: The safety question the message was read as the answer to, if any.
    answered: str | None = None

    @property
    def urgent(self) -> tuple[str, ...]:
        """What the client gets at once, in the outbox's crisis lane."""
        return self.crisis_reply or ((self.check_in,) if self.check_in else ())


def screen_for_risk(
    session: Session,
    client: Client,
    message: Message,
    assessment: Assessment | None,
    settings: Settings,
    now: datetime,
    *,
    answers_question: bool = True,
    may_ask: bool = True,
) -> Screening:
    """Screen a stored message: the detector's ``assessment``, and the answer it may be.

    Both count: what the detector found in the words, and a risky answer to the
    bot's own safety question (a check-in "yes", a diary urge of 4-5:
    :mod:`bot.safety.followup`), so confirmed risk pages without Rasa too.
    ``answers_question`` False (a carrier HELP, a voice note) leaves the
    pending question waiting for a real answer. Moderate risk in the words gets
    the check-in question here, unless ``may_ask`` is False (the client opted
    out, or a therapist is writing to them) or the message answered a question
    about their safety already being asked.
    """
    excerpt = message.body
    if assessment is not None:
        assessment, excerpt = _with_recent_messages(session, client, message, assessment)
    repeated = assessment is not None and _repeats_escalated_risk(
        session, client, message, assessment, now
    )
    detected = _apply_assessment(
        session, client, message, assessment, settings, now, excerpt, new_risk=not repeated
    )
    asked = (
        followup.take_pending_question(session, client, now, message.body)
        if answers_question
        else None
    )
    answer_reply = followup.escalate_risky_answer(session, client, message, asked, now, settings)
    crisis_reply = detected or answer_reply
    answered = (
        asked.kind
        if asked is not None and followup.is_read_as_answer(asked, message.body)
        else None
    )
    if assessment is None:
        return Screening(None, crisis_reply, answered=answered)
    if repeated and not crisis_reply:
        return Screening(assessment.level, repeated=True, answered=answered)
    check_in = None
    if (
        may_ask
        and not crisis_reply
        and assessment.level is RiskLevel.MODERATE
        and (asked is None or asked.kind not in SAFETY_CONVERSATION)
    ):
        check_in = followup.ask_check_in(session, client, message.body, assessment.categories, now)
    return Screening(assessment.level, crisis_reply, check_in, answered=answered)


def _repeats_escalated_risk(
    session: Session, client: Client, message: Message, assessment: Assessment, now: datetime
) -> bool:
    """Whether ``message`` only repeats risk the client's active escalation already holds.

    A Telegram edit of an escalated text (a typo fixed), or the same text
    re-sent by the phone, is not new risk: the therapist is already acting on
    those words. Risk is new, and pages, when the level rises above the
    original's or a category is new to the escalation. The same words are a
    re-send only within :data:`RESEND_WINDOW` and when nothing happened in
    between (:func:`_happened_since`): typed again after the therapist's call,
    they are new risk, and the therapist decides whether it is a repeat.
    """
    if not assessment.level.escalates:
        return False
    active = escalation.active_escalation(session, client.id)
    if active is None or not set(assessment.categories) <= set(json.loads(active.categories)):
        return False
    escalated = session.execute(
        select(
            Message.id, Message.provider_id, Message.body, Message.created_at, Message.risk_level
        ).where(
            Message.client_id == client.id,
            Message.direction == Direction.INBOUND,
            Message.id < message.id,
            Message.risk_level.in_(ESCALATING_LEVELS),
            Message.crisis_replied.is_(True),
        )
    ).all()
    edit_of = message.provider_id
    originals = [
        row.risk_level
        for row in escalated
        if (row.provider_id and edit_of and edit_of.startswith(row.provider_id + EDIT_SEPARATOR))
        or (
            row.body == message.body
            and row.created_at >= now - RESEND_WINDOW
            and not _happened_since(session, client, active, row.id, row.created_at, message.id)
        )
    ]
    return any(assessment.level <= RiskLevel(level) for level in originals)


def _happened_since(
    session: Session,
    client: Client,
    active: Escalation,
    original_id: int,
    original_at: datetime,
    message_id: int,
) -> bool:
    """Whether anything happened between the original text and ``message_id``, its double.

    A person acknowledged the escalation, a therapist wrote to the client, or
    the client wrote something else: a phone re-sending a text does none of
    that, so the same words after it were typed again, on purpose.
    """
    if active.acknowledged_at is not None and active.acknowledged_at >= original_at:
        return True
    in_between = session.execute(
        select(Message.id)
        .where(
            Message.client_id == client.id,
            (
                (Message.direction == Direction.INBOUND)
                & (Message.id > original_id)
                & (Message.id < message_id)
            )
            | (
                (Message.direction == Direction.OUTBOUND)
                & Message.from_therapist_id.is_not(None)
                & (Message.created_at >= original_at)
            ),
        )
        .limit(1)
    ).first()
    return in_between is not None


def _with_recent_messages(
    session: Session, client: Client, message: Message, assessment: Assessment
) -> tuple[Assessment, str]:
    """The higher of ``assessment`` and that of the client's recent texts joined, and its text.

    Someone in distress may send "thinking about ending", "it", "tonight" as
    three texts, each harmless alone. The joined text is bounded (the last
    :data:`RECENT_MESSAGES` within :data:`RECENT_WINDOW`, at most
    :data:`MAX_EVIDENCE_CHARS`), so the detector stays quick here. Texts up to
    the last one that was itself escalated are left out, and the joined level
    counts only where it is above every joined text's own: an "ok" after a
    crisis text adds nothing, and must not repeat its crisis reply or page.
    """
    recent = session.execute(
        select(Message.body, Message.risk_level)
        .where(
            Message.client_id == client.id,
            Message.direction == Direction.INBOUND,
            Message.created_at >= message.created_at - RECENT_WINDOW,
            Message.id < message.id,
        )
        .order_by(Message.id.desc())
        .limit(RECENT_MESSAGES - 1)
    ).all()
    earlier = list(takewhile(lambda row: row.risk_level not in ESCALATING_LEVELS, recent))
    if not earlier:
        return assessment, message.body
    joined = "\n".join([*(row.body for row in reversed(earlier)), message.body])
    combined = assess_safely(joined[-MAX_EVIDENCE_CHARS:])
    known = [RiskLevel(row.risk_level) for row in earlier if row.risk_level]
    if combined is None or combined.level <= max([assessment.level, *known]):
        return assessment, message.body
    return combined, joined[-MAX_EVIDENCE_CHARS:]


def _apply_assessment(
    session: Session,
    client: Client,
    message: Message,
    assessment: Assessment | None,
    settings: Settings,
    now: datetime,
    text: str,
    *,
    new_risk: bool = True,
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
        new_risk=new_risk,
    )
    if not assessment.level.escalates or not new_risk:
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
