"""The front door every channel uses for an inbound message.

Whatever the channel (local chat, SMS, Telegram), an inbound message goes
through :func:`accept_inbound` before Rasa sees it: the sender is resolved to
a client, the message is written to the message log (before it is processed,
and once per provider id), and messages that must not reach the assistant
(unknown senders, empty bodies) get a safe reply here instead, and messages
in a conversation a therapist has taken over (:mod:`bot.takeover`) are
screened but not handed to the assistant.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot import clinic, crisis_messages, escalation, message_log, takeover
from bot.clinic import client_by_code, client_for_identity
from bot.crisis_contacts import crisis_contacts
from bot.outbox import enqueue
from bot.safety import Assessment, RiskLevel, assess
from bot.settings import load_settings
from bot.storage.enums import EscalationLevel, MessageStatus
from bot.storage.models import Client, Message, utcnow

logger = logging.getLogger(__name__)

#: The escalation category for a message the detector could not score.
SCREENING_FAILED = "screening_failed"
#: Metadata key telling the assistant the crisis reply has already been sent.
CRISIS_REPLIED = "crisis_replied"
#: Longer messages are refused rather than truncated, so nothing is silently lost.
MAX_INBOUND_CHARS = 16_000
#: How much of a risky message the escalation keeps as evidence for the therapist.
MAX_EVIDENCE_CHARS = 4_000
#: Characters kept either side of each piece of evidence in a long message.
EVIDENCE_CONTEXT = 300
LOCAL_CHANNEL = "local"

UNKNOWN_SENDER_REPLY = (
    "This is WiseMind, a skills coach for clients of a DBT clinic. This number or "
    "account isn't linked to anyone here. If your therapist gave you an enrolment code, "
    "reply JOIN and the code. If you need to talk to someone now, call or text {crisis_line}; "
    "in an emergency call {emergency}."
)
PROCESSING_ERROR_REPLY = (
    "Sorry, something went wrong on my side and I couldn't answer that. Your message "
    "was saved. If you need to talk to someone now, call or text {crisis_line}; "
    "in an emergency call {emergency}."
)
ENROLMENT_FAILED_REPLY = (
    "Sorry, that enrolment code didn't work: it may be mistyped, used or expired. Please "
    "check it with your therapist."
)
EMPTY_MESSAGE_REPLY = "I didn't receive any text. Text MENU to see what I can do."


@dataclass(frozen=True)
class Inbound:
    """What to do with one inbound message.

    Exactly one of ``reply`` (answer now, do not involve Rasa) and
    ``conversation_id`` (hand the message to Rasa under that id) is set,
    unless ``duplicate`` is true (a provider retry, to be acknowledged and dropped)
    or ``taken_over`` is (a therapist is writing to the client: stored, screened,
    and left for them; only a ``crisis_reply`` goes out).
    """

    conversation_id: str | None = None
    message_id: int | None = None
    client_id: int | None = None
    reply: str | None = None
    duplicate: bool = False
    #: For a high-risk message: the crisis reply, for the channel to send at once,
    #: before and whatever Rasa does (see :func:`screen_for_risk`).
    crisis_reply: tuple[str, ...] = ()
    #: A therapist has taken the conversation over: stored and screened, not for Rasa
    #: (``conversation_id`` is None); the therapist reads it in the dashboard.
    taken_over: bool = False

    @property
    def metadata(self) -> dict[str, object]:
        """What the assistant learns about the message besides its text."""
        return {"message_id": self.message_id, CRISIS_REPLIED: bool(self.crisis_reply)}


def with_crisis_contacts(template: str, locale: str | None = None) -> str:
    """Fill a reply's ``{crisis_line}`` and ``{emergency}`` from configuration."""
    contacts = crisis_contacts(locale)
    return template.format(crisis_line=contacts.crisis_line, emergency=contacts.emergency_number)


def resolve_sender(session: Session, channel: str, address: str) -> Client | None:
    """The client behind a sender: a client code on the local channel, else an identity."""
    if channel == LOCAL_CHANNEL:
        return client_by_code(session, address)
    return client_for_identity(session, channel, address)


def accept_staff_message(
    session: Session,
    *,
    channel: str,
    address: str,
    body: str,
    provider_id: str | None,
    now: datetime,
) -> bool:
    """Handle a message from a therapist's paging number or chat (``ACK <code>``).

    Returns False when the sender is not staff. A retried webhook is answered once.
    """
    therapist = clinic.therapist_for_identity(session, channel, address)
    if therapist is None:
        return False
    stored = message_log.record_inbound(
        session, channel=channel, address=address, body=body, provider_id=provider_id
    )
    if stored is not None:
        reply = escalation.staff_reply(session, therapist, body, now, via=channel)
        enqueue(session, client_id=None, channel=channel, address=address, body=reply)
        message_log.mark_status(session, stored.id, MessageStatus.PROCESSED)
    return True


def accept_inbound(
    session: Session,
    *,
    channel: str,
    address: str,
    body: str,
    provider_id: str | None = None,
) -> Inbound:
    """Resolve, store and triage one inbound message (see the module docstring)."""
    client = resolve_sender(session, channel, address)
    if client is None:
        # Nothing is stored for a sender we do not know, and the reply names no one.
        return Inbound(reply=with_crisis_contacts(UNKNOWN_SENDER_REPLY))
    if not body.strip():
        return Inbound(reply=EMPTY_MESSAGE_REPLY, client_id=client.id)
    message = message_log.record_inbound(
        session,
        channel=channel,
        address=address,
        body=body,
        provider_id=provider_id,
        client_id=client.id,
    )
    if message is None:
        return Inbound(duplicate=True, client_id=client.id)
    crisis_reply = screen_for_risk(session, client, message)
    if takeover.is_taken_over(session, client.id, utcnow()):
        # Screened above, like every message; the bot stays silent for the therapist.
        message_log.mark_status(session, message.id, MessageStatus.PROCESSED)
        return Inbound(
            message_id=message.id,
            client_id=client.id,
            crisis_reply=crisis_reply,
            taken_over=True,
        )
    return Inbound(
        conversation_id=client.code,
        message_id=message.id,
        client_id=client.id,
        crisis_reply=crisis_reply,
    )


def evidence_excerpt(body: str, assessment: Assessment) -> str:
    """The message, or for a long one, the passages around what the detector found."""
    if len(body) <= MAX_EVIDENCE_CHARS:
        return body
    passages = [
        body[max(0, e.start - EVIDENCE_CONTEXT) : e.end + EVIDENCE_CONTEXT]
        for e in assessment.evidence
    ]
    return " … ".join(passages)[:MAX_EVIDENCE_CHARS]


def screen_for_risk(session: Session, client: Client, message: Message) -> tuple[str, ...]:
    """Score a stored message; open or join an escalation (and page) if it carries risk.

    This runs as the message arrives, before Rasa sees it, so that neither the
    page nor the client's crisis reply waits behind other clients' messages in
    the assistant, or depends on it working at all. Returns the crisis reply
    for a high-risk message (the channel sends it at once), else nothing. The
    Rasa pipeline scores the message again to steer the conversation.
    """
    try:
        assessment = assess(message.body)
    except Exception:
        # Never lose a message to a detector fault, and when in doubt, escalate:
        # a person looks at it (the client is not told anything alarming).
        logger.exception("crisis screening failed for message %s; escalating", message.id)
        escalation.record_risk(
            session,
            client,
            level=EscalationLevel.HIGH,
            categories=[SCREENING_FAILED],
            evidence=message.body[:MAX_EVIDENCE_CHARS],
            now=utcnow(),
            settings=load_settings(),
            source_message_id=message.id,
        )
        return ()
    message.risk_level = assessment.level.value
    if assessment.level is RiskLevel.NONE:
        return ()
    outcome = escalation.record_risk(
        session,
        client,
        level=assessment.level.value,
        categories=assessment.categories,
        evidence=evidence_excerpt(message.body, assessment),
        now=utcnow(),
        settings=load_settings(),
        source_message_id=message.id,
    )
    if not assessment.level.escalates:
        return ()
    language = crisis_messages.language_of(message.body, client.locale)
    return tuple(crisis_messages.protocol_messages(language, alerted=outcome.paged))
