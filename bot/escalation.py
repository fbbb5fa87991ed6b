"""Escalations and paging: the one path from a risky message to a person.

:func:`record_risk` is called for every message the crisis detector flags
(and for a "yes" to the check-in, and for a diary urge of 4 or 5). A client
has at most one active escalation: the first risky message opens it, later
ones add their evidence to it, and the on-call therapist is paged once, when
the risk first reaches ``high``.

A page goes over the therapist's own channel through the outbox, and says only
the client's code, the level, and a dashboard link: never what the client
wrote, never a diagnosis. The therapist replies ``ACK <code>``. A page nobody
acknowledges within the timeout, or that fails to send, moves on: primary,
then backup, then the clinic's crisis line. Every step is a row with its time,
and the scheduler's :func:`advance_pages` moves the steps along from the
database alone, so a restart loses no page and no deadline.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clinic import oncall_for
from bot.outbox import enqueue
from bot.settings import Settings
from bot.storage.enums import (
    ESCALATION_CODE_LENGTH,
    Channel,
    EscalationLevel,
    EscalationStatus,
    MessageStatus,
    OncallRole,
    PageStatus,
    PageTier,
)
from bot.storage.models import Client, Escalation, Message, Page, Therapist, unique_code

logger = logging.getLogger(__name__)

#: Levels in increasing order of risk; ``high`` and above page someone.
LEVEL_ORDER = (EscalationLevel.MODERATE, EscalationLevel.HIGH, EscalationLevel.IMMINENT)
PAGING_LEVELS = (EscalationLevel.HIGH, EscalationLevel.IMMINENT)
#: Who is paged after whom.
NEXT_TIER = {PageTier.PRIMARY: PageTier.BACKUP, PageTier.BACKUP: PageTier.CRISIS_LINE}
#: Escalations still being handled: new risk joins them instead of opening another.
ACTIVE = (EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED)

PAGE_TEXT = (
    "WiseMind {level} risk alert for client {client}. Review: {link} "
    "Reply ACK {code} to acknowledge."
)
ACK_REPLY = "Acknowledged alert {code} (client {client}). No one else will be paged. Thank you."
ACK_UNKNOWN_REPLY = "There is no open alert with code {code}. Check the code in the page."
STAFF_HELP_REPLY = "This is WiseMind's paging line. Reply ACK <code> to acknowledge an alert."


@dataclass(frozen=True)
class RiskOutcome:
    """What recording a risk did: the escalation, and whether someone is being paged."""

    escalation_id: int
    code: str
    level: str
    opened: bool
    paged: bool


def record_risk(
    session: Session,
    client: Client,
    *,
    level: str,
    categories: Sequence[str],
    evidence: str,
    now: datetime,
    settings: Settings,
    source_message_id: int | None = None,
) -> RiskOutcome:
    """Open or update the client's escalation; page on call when risk reaches high."""
    escalation = active_escalation(session, client.id)
    opened = escalation is None
    if escalation is None:
        escalation = Escalation(
            client_id=client.id,
            code=unique_code(session, Escalation.code, ESCALATION_CODE_LENGTH),
            level=level,
            categories="[]",
            evidence="",
            source_message_id=source_message_id,
            opened_at=now,
        )
        session.add(escalation)
    elif LEVEL_ORDER.index(level) > LEVEL_ORDER.index(escalation.level):
        escalation.level = level
    known = json.loads(escalation.categories)
    escalation.categories = json.dumps(sorted(set(known) | set(categories)))
    line = f"[{now:%Y-%m-%d %H:%M:%S} UTC] {evidence}"
    if line not in escalation.evidence:
        escalation.evidence = f"{escalation.evidence}\n{line}".strip()
    session.flush()
    paged = bool(escalation.pages)
    if not paged and escalation.level in PAGING_LEVELS:
        paged = page(session, escalation, PageTier.PRIMARY, now, settings) is not None
    return RiskOutcome(escalation.id, escalation.code, escalation.level, opened, paged)


def active_escalation(session: Session, client_id: int) -> Escalation | None:
    return session.execute(
        select(Escalation)
        .where(Escalation.client_id == client_id, Escalation.status.in_(ACTIVE))
        .order_by(Escalation.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def page(
    session: Session, escalation: Escalation, tier: str, now: datetime, settings: Settings
) -> Page | None:
    """Page ``tier`` about ``escalation``; a tier with nobody to page passes to the next."""
    target = _target(session, tier, now, settings)
    if target is None:
        following = NEXT_TIER.get(tier)
        logger.error("escalation %s: nobody to page at tier %s", escalation.id, tier)
        return page(session, escalation, following, now, settings) if following else None
    therapist, channel, address = target
    message = enqueue(
        session,
        client_id=None,
        channel=channel,
        address=address,
        body=PAGE_TEXT.format(
            level=escalation.level,
            client=escalation.client.code,
            link=f"{settings.dashboard_url}/escalations/{escalation.id}",
            code=escalation.code,
        ),
    )
    sent_page = Page(
        escalation_id=escalation.id,
        tier=tier,
        therapist_id=therapist.id if therapist else None,
        channel=channel,
        address=address,
        message_id=message.id,
        status=PageStatus.PENDING,
        created_at=now,
        escalate_at=now + timedelta(seconds=settings.page_ack_timeout_seconds),
    )
    session.add(sent_page)
    session.flush()
    logger.warning("escalation %s: paged %s (page %s)", escalation.id, tier, sent_page.id)
    return sent_page


def _target(
    session: Session, tier: str, now: datetime, settings: Settings
) -> tuple[Therapist | None, str, str] | None:
    """(therapist, channel, address) to page at ``tier``, or None if nobody can be reached.

    Only channels this clinic has configured count: a page that cannot leave
    must not be reported to the client as "a person has been alerted".
    """
    sms_ready, telegram_ready = settings.twilio is not None, settings.telegram is not None
    if tier == PageTier.CRISIS_LINE:
        if not (settings.clinic_crisis_line and sms_ready):
            return None
        return None, Channel.SMS, settings.clinic_crisis_line
    role = OncallRole.PRIMARY if tier == PageTier.PRIMARY else OncallRole.BACKUP
    therapist = oncall_for(session, now, settings.clinic_timezone)[role]
    if therapist is None:
        return None
    by_telegram = (Channel.TELEGRAM, therapist.telegram_chat_id, telegram_ready)
    by_sms = (Channel.SMS, therapist.sms_number, sms_ready)
    preferred = (
        [by_telegram, by_sms]
        if therapist.page_channel == Channel.TELEGRAM
        else [by_sms, by_telegram]
    )
    for channel, address, ready in preferred:
        if address and ready:
            return therapist, channel, address
    return None


def advance_pages(session: Session, now: datetime, settings: Settings) -> int:
    """Move unacknowledged pages on: after a failed send at once, else after the timeout.

    Returns how many pages moved on. Run by the scheduler every second; all it
    needs is in the database, so it resumes exactly where a stopped one left off.
    """
    waiting = session.execute(
        select(Page)
        .join(Escalation, Escalation.id == Page.escalation_id)
        .where(
            Page.status.in_((PageStatus.PENDING, PageStatus.SENT)),
            Escalation.status == EscalationStatus.OPEN,
        )
        .order_by(Page.id)
    ).scalars()
    moved = 0
    for current in list(waiting):
        message = session.get(Message, current.message_id) if current.message_id else None
        delivered = message is not None and message.status in (
            MessageStatus.SENT,
            MessageStatus.DELIVERED,
        )
        if delivered and current.status == PageStatus.PENDING:
            current.status = PageStatus.SENT
            current.sent_at = message.updated_at if message else now
        failed = message is None or message.status in (
            MessageStatus.FAILED,
            MessageStatus.UNDELIVERABLE,
        )
        timed_out = current.escalate_at is not None and current.escalate_at <= now
        if not (failed or timed_out):
            continue
        current.status = PageStatus.FAILED if failed else PageStatus.SUPERSEDED
        following = NEXT_TIER.get(current.tier)
        if following is not None:
            page(session, current.escalation, following, now, settings)
        else:
            logger.error("escalation %s: crisis line page not acknowledged", current.escalation_id)
        moved += 1
    session.flush()
    return moved


def acknowledge(session: Session, therapist: Therapist, code: str, now: datetime) -> str:
    """Handle ``ACK <code>`` from a therapist; return the reply to send them."""
    code = code.strip().upper()
    escalation = session.execute(
        select(Escalation).where(Escalation.code == code, Escalation.status.in_(ACTIVE))
    ).scalar_one_or_none()
    if escalation is None:
        return ACK_UNKNOWN_REPLY.format(code=code)
    if escalation.status == EscalationStatus.OPEN:
        escalation.status = EscalationStatus.ACKNOWLEDGED
        escalation.acknowledged_at = now
        escalation.acknowledged_by = therapist.id
    for sent in escalation.pages:
        if sent.status in (PageStatus.PENDING, PageStatus.SENT):
            sent.status = PageStatus.ACKNOWLEDGED
    session.flush()
    return ACK_REPLY.format(code=escalation.code, client=escalation.client.code)


def staff_reply(session: Session, therapist: Therapist, text: str, now: datetime) -> str:
    """A therapist texting the bot's number or chat: acknowledgements, else how to ACK."""
    words = text.strip().split()
    if len(words) == 2 and words[0].upper() == "ACK":
        return acknowledge(session, therapist, words[1], now)
    return STAFF_HELP_REPLY
