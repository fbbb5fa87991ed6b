"""Escalations and paging: the one path from a risky message to a person.

:func:`record_risk` is called for every message the crisis detector flags
(and for a "yes" to the check-in, and for a diary urge of 4 or 5). A client
has at most one active escalation (the database enforces it): the first risky
message opens it, later ones add their evidence to it.

The lifecycle is an incident pager's: ``open`` -> ``acknowledged`` ->
``resolved`` (with a note), each step an :class:`EscalationEvent` with its
time and who took it.

- High or imminent risk starts a paging round: the on-call primary, then the
  backup, then the clinic's crisis line, each after the acknowledgement
  timeout (a page refused for good, or a tier nobody can be reached at,
  moves on at once; one that failed transiently is retried to the same person).
- New high or imminent risk after an acknowledgement re-opens the
  escalation and pages whoever is on call now, primary first, as for new risk;
  the acknowledger is paged beside the chain (never a tier it waits on) when
  they acknowledged within :data:`RECENT_ACKNOWLEDGEMENT` or are on call now
  (the clinic's crisis line when it acknowledged within that hour).
- A chain that runs out unanswered repeats every
  ``WISEMIND_PAGE_REPEAT_MINUTES`` until someone acknowledges, and each time
  the clinic's admins are told.
- With nobody reachable, the round is retried by the scheduler every second,
  so the escalation is paged the moment someone is; the admins are told at once.

A page goes over the person's own channel through the outbox's crisis lane,
and says only the client's code, the level, and a dashboard link: never what
the client wrote, never a diagnosis (the crisis line also gets the client's
name and callback number). All state is in the database, and the scheduler's
:func:`advance_pages` claims each step with a row lock, so a restart loses no
page and two schedulers never take the same step.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot import crisis_messages
from bot.clinic import oncall_for
from bot.outbox import enqueue, latest_inbound
from bot.settings import Settings
from bot.storage.enums import (
    ESCALATION_CODE_LENGTH,
    Channel,
    EscalationEventKind,
    EscalationLevel,
    EscalationStatus,
    Lane,
    MessageStatus,
    OncallRole,
    PageStatus,
    PageTier,
    Role,
)
from bot.storage.models import (
    Client,
    CrisisLineOptOut,
    Escalation,
    EscalationEvent,
    Message,
    OncallShift,
    Page,
    Therapist,
    unique_code,
)

logger = logging.getLogger(__name__)

#: Levels in increasing order of risk; ``high`` and above page someone.
LEVEL_ORDER = (EscalationLevel.MODERATE, EscalationLevel.HIGH, EscalationLevel.IMMINENT)
PAGING_LEVELS = (EscalationLevel.HIGH, EscalationLevel.IMMINENT)
#: Who is paged after whom, within one round.
NEXT_TIER = {
    PageTier.PRIMARY: PageTier.BACKUP,
    PageTier.BACKUP: PageTier.CRISIS_LINE,
}
#: The tiers a round walks through, waiting on each in turn.
WALKED_TIERS = (PageTier.PRIMARY, PageTier.BACKUP, PageTier.CRISIS_LINE)
#: Pages to someone who can act on the escalation: the walked tiers, and an
#: acknowledger paged beside them (no admin's notice).
CHAIN_TIERS = (PageTier.ACKNOWLEDGER, *WALKED_TIERS)
#: An acknowledger this recent may be with the client now: new risk pages them too.
RECENT_ACKNOWLEDGEMENT = timedelta(hours=1)
#: Escalations still being handled: new risk joins them instead of opening another.
ACTIVE = (EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED)
#: Pages still waiting for an answer.
LIVE_PAGE = (PageStatus.PENDING, PageStatus.SENT)
#: A page's message the provider has taken...
HANDED_TO_PROVIDER = (MessageStatus.SENT, MessageStatus.DELIVERED)
#: ...or one on its way, not (yet) failed: a transient failure in back-off is neither.
ON_ITS_WAY = (MessageStatus.QUEUED, MessageStatus.SENDING)
#: Steps at which the client was sent a crisis reply saying who was alerted.
RISK_EVENTS = (
    EscalationEventKind.OPENED,
    EscalationEventKind.RISK_ADDED,
    EscalationEventKind.REOPENED,
)
#: How an acknowledgement arrived (``escalations.acknowledged_via``).
VIA_DASHBOARD = "dashboard"
VIA_CLI = "cli"
#: A resolution note is for the record: long enough to say what was done.
RESOLUTION_NOTE_MAX_LENGTH = 4000

PAGE_TEXT = (
    "WiseMind {level} risk alert for client {client}. Review: {link} "
    "Reply ACK {code} to acknowledge."
)
CRISIS_LINE_PAGE_TEXT = (
    "WiseMind {level} risk alert: client {name} ({client}), callback {callback}. "
    "No therapist has answered. Review: {link} Reply ACK {code} to acknowledge."
)
ADMIN_UNREACHABLE_TEXT = (
    "WiseMind: nobody on call can be reached about a {level} risk alert for client {client} "
    "({reason}). Review: {link} Reply ACK {code} to acknowledge."
)
ADMIN_EXHAUSTED_TEXT = (
    "WiseMind: nobody has acknowledged the {level} risk alert for client {client}; "
    "paging again every {minutes} min. Review: {link} Reply ACK {code} to acknowledge."
)
ACK_REPLY = "Acknowledged alert {code} (client {client}). No one else will be paged. Thank you."
ACK_UNKNOWN_REPLY = "There is no open alert with code {code}. Check the code in the page."
STAFF_HELP_REPLY = "This is WiseMind's paging line. Reply ACK <code> to acknowledge an alert."
#: The first word of an acknowledgement; the code follows it.
ACK_WORD = "ACK"
STAFF_STOPPED_REPLY = (
    "You will not be paged by SMS on this number: the next person on the rota is paged "
    "instead. Text START to be paged here again."
)
STAFF_RESTARTED_REPLY = "You will be paged by SMS on this number again when you are on call."
STAFF_STOPPED_ADMIN_TEXT = (
    "WiseMind: {name} ({email}) texted STOP to the paging number, so SMS pages to them are "
    "blocked and the next person on the rota is paged instead until they text START. "
    "Run wisemind oncall check to see the gaps."
)
STAFF_REFUSED_ADMIN_TEXT = (
    "WiseMind: Twilio refused an SMS page to {name} ({email}) because their phone once texted "
    "STOP to the paging number, so SMS pages to them are blocked and the next person on the "
    "rota is paged instead until they text START. Run wisemind oncall check to see the gaps."
)
#: Twilio's error for an SMS to a number that texted STOP to the sending number.
TWILIO_OPTED_OUT = "twilio-21610"
STAFF_RESTARTED_ADMIN_TEXT = (
    "WiseMind: {name} ({email}) texted START to the paging number and can be paged by SMS again."
)
CRISIS_LINE_STOPPED_REPLY = (
    "This number will not be paged as the clinic's crisis line: the clinic's admins have been "
    "told. Text START to be paged here again."
)
CRISIS_LINE_RESTARTED_REPLY = "This number will be paged as the clinic's crisis line again."
CRISIS_LINE_STOPPED_ADMIN_TEXT = (
    "WiseMind: the clinic's crisis line ({address}) texted STOP to the paging number, so SMS "
    "pages to it are blocked and no chain ends with the crisis line until it texts START. "
    "Run wisemind oncall check to see the gap."
)
CRISIS_LINE_REFUSED_ADMIN_TEXT = (
    "WiseMind: Twilio refused a page to the clinic's crisis line ({address}) because it once "
    "texted STOP to the paging number, so SMS pages to it are blocked and no chain ends with "
    "the crisis line until it texts START. Run wisemind oncall check to see the gap."
)
CRISIS_LINE_RESTARTED_ADMIN_TEXT = (
    "WiseMind: the clinic's crisis line ({address}) texted START to the paging number and is "
    "paged again at the end of every chain."
)
NO_CALLBACK = "none on file"
#: Why a page's message was never sent: its recipient's account was deactivated first.
WITHDRAWN_ERROR = "recipient deactivated"
#: Who acknowledged, in the timeline, when the clinic's crisis line did.
CRISIS_LINE_ACKNOWLEDGER = "crisis line"


class EscalationError(ValueError):
    """An escalation step that cannot be taken (wrong state, no permission); one line."""


@dataclass(frozen=True)
class RiskOutcome:
    """What recording a risk did.

    ``alerted`` is :func:`person_alerted` after it: only then may the client
    be told that a person was alerted.
    """

    escalation_id: int
    code: str
    level: str
    opened: bool
    alerted: bool


@dataclass(frozen=True)
class Reach:
    """Where to page someone: a therapist (None for the crisis line) on a channel."""

    therapist: Therapist | None
    channel: str
    address: str


# --- recording risk ----------------------------------------------------------


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
    new_risk: bool = True,
) -> RiskOutcome:
    """Open or update the client's escalation; page when the risk is high or imminent.

    ``new_risk`` False: risk the active escalation already holds (a crisis text
    edited or re-sent), added to its evidence for the therapist; it pages
    nobody and re-opens nothing.

    The client's row is locked first, so two risky messages at once find the
    same escalation (the partial unique index is the last guard). The
    escalation's row is locked too, so an acknowledgement committing at the
    same moment is either seen here (and the new risk pages again) or comes
    after it; never read as "open" here while it is being acknowledged.
    """
    _lock_client(session, client.id)
    escalation = active_escalation(session, client.id, lock=True)
    opened = escalation is None
    if escalation is None:
        escalation = Escalation(
            client_id=client.id,
            code=unique_code(session, Escalation.code, ESCALATION_CODE_LENGTH),
            level=level,
            categories="[]",
            evidence="",
            source_message_id=source_message_id,
            status=EscalationStatus.OPEN,
            opened_at=now,
        )
        session.add(escalation)
        session.flush()
        _event(session, escalation, EscalationEventKind.OPENED, now, detail=f"level {level}")
    else:
        if LEVEL_ORDER.index(level) > LEVEL_ORDER.index(escalation.level):
            escalation.level = level
        _event(session, escalation, EscalationEventKind.RISK_ADDED, now, detail=f"level {level}")
    known = json.loads(escalation.categories)
    escalation.categories = json.dumps(sorted(set(known) | set(categories)))
    line = f"[{now:%Y-%m-%d %H:%M:%S} UTC] {evidence}"
    if line not in escalation.evidence:
        escalation.evidence = f"{escalation.evidence}\n{line}".strip()
    session.flush()
    if level in PAGING_LEVELS and (new_risk or opened):
        if escalation.status == EscalationStatus.ACKNOWLEDGED:
            _reopen(session, escalation, now, settings)
        elif _live_chain_page(escalation) is None:
            start_round(session, escalation, PageTier.PRIMARY, now, settings)
    alerted = person_alerted(session, escalation, settings)
    return RiskOutcome(escalation.id, escalation.code, escalation.level, opened, alerted)


def active_escalation(session: Session, client_id: int, *, lock: bool = False) -> Escalation | None:
    """The client's open or acknowledged escalation; ``lock`` holds its row (PostgreSQL).

    A locked read waits for a concurrent acknowledgement and sees its result
    (``populate_existing`` replaces what this session may have read before).
    """
    query = (
        select(Escalation)
        .where(Escalation.client_id == client_id, Escalation.status.in_(ACTIVE))
        .order_by(Escalation.id.desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    escalation = session.execute(query).scalar_one_or_none()
    if lock and escalation is not None:
        session.expire(escalation, ["pages"])  # page statuses as of the lock, too
    return escalation


def being_paged_for(session: Session, client_id: int) -> bool:
    """Whether the client's escalation is open at high or imminent risk: a person is
    being sought for them now, and nobody has taken it on yet.

    A moderate flag (open until a therapist resolves it, often days) or an
    acknowledged escalation is not: a person knows, or no page is called for.
    """
    escalation = active_escalation(session, client_id)
    return (
        escalation is not None
        and escalation.status == EscalationStatus.OPEN
        and escalation.level in PAGING_LEVELS
    )


def person_alerted(session: Session, escalation: Escalation | None, settings: Settings) -> bool:
    """Whether a person who can act on ``escalation`` knows of it: the one answer to
    "may the client be told that a person was alerted?".

    Yes once someone acknowledged it. While it is open: yes only if a page of
    the chain (the acknowledger, the on-call primary or backup, the clinic's
    crisis line; never an admin's notice) was taken by its provider, or is on
    its way over a channel this installation sends on and has not failed. For
    an escalation re-opened by new risk, only pages about that new risk count.
    """
    if escalation is None or escalation.status == EscalationStatus.RESOLVED:
        return False
    if escalation.status == EscalationStatus.ACKNOWLEDGED:
        return True
    since = escalation.acknowledged_at
    for sent in escalation.pages:
        if sent.tier not in CHAIN_TIERS or sent.status == PageStatus.FAILED:
            continue
        if since is not None and sent.created_at < since:
            continue
        message = session.get(Message, sent.message_id) if sent.message_id else None
        if message is None:
            continue
        if message.status in HANDED_TO_PROVIDER:
            return True
        if message.status in ON_ITS_WAY and channel_ready(settings, sent.channel):
            return True
    return False


def _lock_client(session: Session, client_id: int) -> None:
    # PostgreSQL: one risky message per client at a time. SQLite's BEGIN IMMEDIATE
    # already serialises every writer.
    session.execute(select(Client.id).where(Client.id == client_id).with_for_update())


def _reopen(session: Session, escalation: Escalation, now: datetime, settings: Settings) -> None:
    """New high risk after an acknowledgement: page whoever is on call now, at once.

    The acknowledger may be off duty and asleep (a moderate flag acknowledged
    in the day, a crisis handled days ago and left open), so the round starts
    at the on-call primary as for any new risk; the acknowledger is paged
    beside it (:func:`_page_acknowledger`).
    """
    escalation.status = EscalationStatus.OPEN
    _event(session, escalation, EscalationEventKind.REOPENED, now, detail="new high risk")
    start_round(session, escalation, PageTier.PRIMARY, now, settings)
    _page_acknowledger(session, escalation, now, settings)


def _page_acknowledger(
    session: Session, escalation: Escalation, now: datetime, settings: Settings
) -> None:
    """Page whoever acknowledged ``escalation`` beside the new round, if they may be acting on it.

    That is: acknowledged within :data:`RECENT_ACKNOWLEDGEMENT`, or a therapist
    on call now. The clinic's crisis line (``acknowledged_by`` None, see
    :func:`_mark_acknowledged`) counts when recent: its counsellor may be on
    the phone with the client. Never a tier the round waits on, and never
    twice when the round's first page already went to them.
    """
    if escalation.acknowledged_at is None:
        return
    recent = escalation.acknowledged_at >= now - RECENT_ACKNOWLEDGEMENT
    reach: Reach | str
    if escalation.acknowledged_by is None:
        if not recent:
            return
        reach = _reach(session, PageTier.CRISIS_LINE, now, settings)  # respects its STOP
        text = _page_text(escalation, PageTier.CRISIS_LINE, settings)
    else:
        acknowledger = session.get(Therapist, escalation.acknowledged_by)
        if acknowledger is None or not acknowledger.active:
            return
        on_call = oncall_for(
            session,
            now,
            settings.clinic_timezone,
            include_demo=not settings.real_channel_configured,
        )
        on_duty = acknowledger.id in {p.id for p in on_call.values() if p is not None}
        if not (recent or on_duty):
            return
        reach = _therapist_reach(acknowledger, settings)
        text = _page_text(escalation, PageTier.ACKNOWLEDGER, settings)
    if isinstance(reach, str):
        logger.error("escalation %s: cannot page the acknowledger: %s", escalation.id, reach)
        return
    if any(
        sent.tier in WALKED_TIERS
        and sent.status in LIVE_PAGE
        and (sent.channel, sent.address) == (reach.channel, reach.address)
        for sent in escalation.pages
    ):
        return  # the round's first page went to them: once is enough
    sent = _send_page(session, escalation, PageTier.ACKNOWLEDGER, reach, now, text)
    sent.escalate_at = now + timedelta(seconds=settings.page_ack_timeout_seconds)


# --- paging ------------------------------------------------------------------


def start_round(
    session: Session, escalation: Escalation, tier: str, now: datetime, settings: Settings
) -> bool:
    """Page the first reachable tier from ``tier`` on; True if a page went out.

    With nobody reachable, the scheduler tries again every tick
    (``next_round_at``) and the admins are told, once per such spell.
    """
    first_try = escalation.next_round_at is None or escalation.next_round_at > now
    sent = page(session, escalation, tier, now, settings, explain=first_try)
    if sent is not None:
        escalation.next_round_at = None
        return True
    escalation.next_round_at = now
    if first_try:
        reasons = "; ".join(unreachable_reasons(session, now, settings))
        _event(session, escalation, EscalationEventKind.UNREACHABLE, now, detail=reasons)
        return alert_admins(
            session, escalation, now, settings, ADMIN_UNREACHABLE_TEXT, reason=reasons
        )
    return False


def page(
    session: Session,
    escalation: Escalation,
    tier: str,
    now: datetime,
    settings: Settings,
    *,
    explain: bool = True,
    skip: Therapist | None = None,
) -> Page | None:
    """Page ``tier`` about ``escalation``; a tier nobody can be reached at passes to the next.

    ``explain`` logs why a tier was skipped (off for the scheduler's quiet
    retries); ``skip`` is the person paged at the previous tier, who is not
    paged twice in a row (a primary who is also the backup).
    """
    reach = _reach(session, tier, now, settings)
    if (
        isinstance(reach, Reach)
        and skip is not None
        and reach.therapist is not None
        and (reach.therapist.id == skip.id)
    ):
        reach = "just paged at the previous tier"
    if isinstance(reach, str):
        if explain:
            logger.error("escalation %s: cannot page %s: %s", escalation.id, tier, reach)
        following = NEXT_TIER.get(tier)
        if following is None:
            return None
        return page(session, escalation, following, now, settings, explain=explain, skip=skip)
    sent = _send_page(session, escalation, tier, reach, now, _page_text(escalation, tier, settings))
    sent.escalate_at = now + timedelta(seconds=settings.page_ack_timeout_seconds)
    return sent


def _send_page(
    session: Session,
    escalation: Escalation,
    tier: str,
    reach: Reach,
    now: datetime,
    text: str,
) -> Page:
    message = enqueue(
        session,
        client_id=None,
        channel=reach.channel,
        address=reach.address,
        body=text,
        lane=Lane.CRISIS,
    )
    sent = Page(
        escalation=escalation,
        tier=tier,
        therapist_id=reach.therapist.id if reach.therapist else None,
        channel=reach.channel,
        address=reach.address,
        message_id=message.id,
        status=PageStatus.PENDING,
        created_at=now,
    )
    session.add(sent)
    session.flush()
    who = f"therapist {reach.therapist.id}" if reach.therapist else "the crisis line"
    _event(
        session,
        escalation,
        EscalationEventKind.PAGED,
        now,
        therapist=reach.therapist,
        via=reach.channel,
        detail=f"{tier}: {who}",
    )
    logger.warning(
        "escalation %s: paged %s by %s (page %s)", escalation.id, tier, reach.channel, sent.id
    )
    return sent


def _page_text(escalation: Escalation, tier: str, settings: Settings) -> str:
    fields = {
        "level": escalation.level,
        "client": escalation.client.code,
        "link": escalation_link(escalation, settings),
        "code": escalation.code,
    }
    if tier == PageTier.CRISIS_LINE:
        # The crisis line does not know the client: it needs a name and a number to call.
        return CRISIS_LINE_PAGE_TEXT.format(
            name=escalation.client.name, callback=callback_number(escalation.client), **fields
        )
    return PAGE_TEXT.format(**fields)


def escalation_link(escalation: Escalation, settings: Settings) -> str:
    """The dashboard page of this escalation: its id is the only thing the URL carries."""
    return f"{settings.dashboard_url}/escalations/{escalation.id}"


def callback_number(client: Client) -> str:
    """The client's phone number (their first SMS identity), for the crisis line to call."""
    for identity in client.identities:
        if identity.channel == Channel.SMS:
            return identity.address
    return NO_CALLBACK


def alert_on_call_and_admins(session: Session, text: str, now: datetime, settings: Settings) -> int:
    """Tell the on-call primary and every admin ``text``; how many were told.

    For risk with no client behind it (a risky message from an unregistered
    sender, :mod:`bot.intake.strangers`): no escalation and no chain, one
    notice each, in the crisis lane. ``text`` carries no client's words.
    """
    on_call = oncall_for(
        session, now, settings.clinic_timezone, include_demo=not settings.real_channel_configured
    )[OncallRole.PRIMARY]
    people = {person.id: person for person in (on_call, *_admins(session)) if person is not None}
    # Without a real channel nobody can be told (the demo's staff have test numbers).
    told = (
        _notify(session, people.values(), text, settings) if settings.real_channel_configured else 0
    )
    if not told:
        logger.error("an alert about an unregistered sender: nobody reachable")
    return told


def alert_admins(
    session: Session,
    escalation: Escalation,
    now: datetime,
    settings: Settings,
    template: str,
    *,
    reason: str = "",
) -> bool:
    """Tell every reachable admin; True if at least one notice went out."""
    text = template.format(
        level=escalation.level,
        client=escalation.client.code,
        link=escalation_link(escalation, settings),
        code=escalation.code,
        reason=reason,
        minutes=settings.page_repeat_minutes,
    )
    told = 0
    for admin in _admins(session):
        reach = _therapist_reach(admin, settings)
        if isinstance(reach, Reach):
            _send_page(session, escalation, PageTier.ADMIN, reach, now, text)
            told += 1
    detail = f"{told} admin(s) told" if told else "no admin reachable"
    _event(session, escalation, EscalationEventKind.ADMINS_ALERTED, now, detail=detail)
    if not told:
        logger.error("escalation %s: no admin can be reached either", escalation.id)
    return told > 0


def _admins(session: Session) -> Iterable[Therapist]:
    """The clinic's active admins: told whatever no single page can fix."""
    return session.execute(
        select(Therapist).where(Therapist.role == Role.ADMIN, Therapist.active.is_(True))
    ).scalars()


def _reach(session: Session, tier: str, now: datetime, settings: Settings) -> Reach | str:
    """Where to page ``tier``, or why nobody can be paged there (for the log).

    Only channels this clinic has configured count: a page that cannot leave
    must not be reported to the client as "a person has been alerted".
    """
    if not settings.real_channel_configured:
        return "no SMS or Telegram channel is configured, so no page can leave"
    if tier == PageTier.CRISIS_LINE:
        if not settings.clinic_crisis_line:
            return "no clinic crisis line is configured (WISEMIND_CLINIC_CRISIS_LINE)"
        if settings.twilio is None:
            return "the crisis line is paged by SMS, and Twilio is not configured"
        return crisis_line_stopped(session, settings) or Reach(
            None, Channel.SMS, settings.clinic_crisis_line
        )
    role = OncallRole.PRIMARY if tier == PageTier.PRIMARY else OncallRole.BACKUP
    # Demo staff never cover for real ones once real messages can leave.
    on_call = oncall_for(
        session, now, settings.clinic_timezone, include_demo=not settings.real_channel_configured
    )[role]
    if on_call is None:
        return f"nobody (other than demo staff) is on call as {role}"
    return _therapist_reach(on_call, settings)


def channel_ready(settings: Settings, channel: str) -> bool:
    """Whether this installation sends on ``channel`` (its provider is configured)."""
    if channel == Channel.SMS:
        return settings.twilio is not None
    return channel == Channel.TELEGRAM and settings.telegram is not None


def _therapist_reach(therapist: Therapist, settings: Settings) -> Reach | str:
    if therapist.is_demo and settings.real_channel_configured:
        return f"therapist {therapist.id} is demo staff"
    # Twilio refuses every SMS to a number that texted STOP: it is no address until START.
    sms = therapist.sms_number if therapist.sms_opted_out_at is None else None
    addresses = {Channel.SMS: sms, Channel.TELEGRAM: therapist.telegram_chat_id}
    order = [therapist.page_channel] + [c for c in Channel.PAGING if c != therapist.page_channel]
    for channel in order:
        address = addresses[channel]
        if address and channel_ready(settings, channel):
            return Reach(therapist, channel, address)
    if therapist.sms_opted_out_at is not None:
        return (
            f"therapist {therapist.id} texted STOP to the paging number on "
            f"{therapist.sms_opted_out_at:%Y-%m-%d %H:%M} UTC and has no other paging channel"
        )
    return f"therapist {therapist.id} has no address on a configured channel"


def unpageable_on_call(session: Session, settings: Settings) -> list[tuple[Therapist, str]]:
    """Staff with on-call shifts who cannot be paged at all, each with the reason.

    Their shifts are gaps in the rota (``wisemind oncall check``). Demo staff
    are left to the demo-rota warning; without a real channel nobody can be
    paged, which is the embedded defaults' normal state.
    """
    if not settings.real_channel_configured:
        return []
    on_call = session.execute(
        select(Therapist)
        .where(
            Therapist.active.is_(True),
            Therapist.is_demo.is_(False),
            Therapist.id.in_(select(OncallShift.therapist_id)),
        )
        .order_by(Therapist.id)
    ).scalars()
    found = []
    for therapist in on_call:
        reach = _therapist_reach(therapist, settings)
        if isinstance(reach, str):
            found.append((therapist, reach))
    return found


def set_sms_paging(
    session: Session,
    therapist: Therapist,
    *,
    stopped: bool,
    now: datetime,
    settings: Settings,
    refused_by_twilio: bool = False,
) -> str:
    """A therapist texted STOP (``stopped``) or START to the paging number; the reply to them.

    Twilio blocks SMS to a number after its STOP, so a page there would fail
    while the client is told a person was alerted: paging skips them (the next
    tier is paged) until they text START, and the admins are told either way.
    ``refused_by_twilio``: no STOP reached WiseMind, but Twilio refused a page
    for one (sent before go-live, or to another number of the same service).
    """
    if (therapist.sms_opted_out_at is None) == stopped:
        therapist.sms_opted_out_at = now if stopped else None
        template = STAFF_STOPPED_ADMIN_TEXT if stopped else STAFF_RESTARTED_ADMIN_TEXT
        if refused_by_twilio:
            template = STAFF_REFUSED_ADMIN_TEXT
        _tell_admins_paging_changed(
            session,
            f"therapist {therapist.id}",
            template.format(name=therapist.name, email=therapist.email),
            stopped=stopped,
            settings=settings,
        )
    if stopped:
        # The page they answered STOP to cannot reach them again: the next tier, now.
        withdraw_pages(session, therapist, now, channel=Channel.SMS, reason="texted STOP")
    return STAFF_STOPPED_REPLY if stopped else STAFF_RESTARTED_REPLY


def crisis_line_stopped(session: Session, settings: Settings) -> str | None:
    """Why the clinic's crisis line cannot be paged because it texted STOP, else None.

    The reason is what the log, ``wisemind oncall check``, ``wisemind status``
    and (when nobody at all can be paged) the escalation's timeline say.
    """
    if not settings.clinic_crisis_line:
        return None
    opt_out = session.get(CrisisLineOptOut, settings.clinic_crisis_line)
    if opt_out is None:
        return None
    return (
        f"the clinic's crisis line ({settings.clinic_crisis_line}) texted STOP to the paging "
        f"number on {opt_out.opted_out_at:%Y-%m-%d %H:%M} UTC and is not paged until it texts START"
    )


#: How far back ``wisemind status`` looks for pages that providers refused.
PAGE_HEALTH_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class PageDelivery:
    """What became of the chain's pages of the last :data:`PAGE_HEALTH_WINDOW`, by their
    messages (the admins' notices aside)."""

    reached: int
    refused: int
    on_the_way: int

    def describe(self) -> str:
        counts = (
            f"pages to the on-call chain in the last 24 h: {self.reached} reached the provider, "
            f"{self.refused} refused, {self.on_the_way} on their way"
        )
        if self.refused and not self.reached:
            # Every page bounced: a wrong number, a suspended account, a blocked bot.
            # The chain still walks, but nobody's phone rings: say it loudly.
            return (
                f"{counts}\nPAGES REFUSED: every page of the last 24 h was refused; nobody "
                "is being reached (check the paging numbers and the SMS and Telegram "
                "accounts; wisemind oncall check)"
            )
        return counts


def page_delivery(session: Session, now: datetime) -> PageDelivery:
    """Count the recent pages that reached Twilio or Telegram, were refused, or wait.

    The escalation chain moves on whatever happens to a page's message, so a
    paging channel that refuses everything shows only here and in the admins'
    notices; an operator checking ``wisemind status`` must see it. Only pages
    of the chain (:data:`CHAIN_TIERS`) count: the admins' notices that nobody
    acknowledged go through exactly when every page to the on-call phones was
    refused, and must not hide it.
    """
    statuses = session.execute(
        select(Message.status)
        .join(Page, Page.message_id == Message.id)
        .where(Page.created_at >= now - PAGE_HEALTH_WINDOW, Page.tier.in_(CHAIN_TIERS))
    ).scalars()
    counts = {"reached": 0, "refused": 0, "on_the_way": 0}
    for status in statuses:
        if status in HANDED_TO_PROVIDER:
            counts["reached"] += 1
        elif status == MessageStatus.UNDELIVERABLE:
            counts["refused"] += 1
        else:
            counts["on_the_way"] += 1
    return PageDelivery(**counts)


def set_crisis_line_paging(
    session: Session,
    address: str,
    *,
    stopped: bool,
    now: datetime,
    settings: Settings,
    refused_by_twilio: bool = False,
) -> str:
    """The crisis line (``address``) texted STOP or START to the paging number; the reply.

    As :func:`set_sms_paging` for a therapist: Twilio blocks SMS to it after
    its STOP, so no chain pages it (a chain that reaches it runs out, and the
    admins are told as for any chain nobody answered) until it texts START;
    the admins are told of the change at once.
    """
    opt_out = session.get(CrisisLineOptOut, address)
    if (opt_out is None) == stopped:
        if stopped:
            session.add(CrisisLineOptOut(address=address, opted_out_at=now))
        else:
            session.delete(opt_out)
        session.flush()
        template = CRISIS_LINE_STOPPED_ADMIN_TEXT if stopped else CRISIS_LINE_RESTARTED_ADMIN_TEXT
        if refused_by_twilio:
            template = CRISIS_LINE_REFUSED_ADMIN_TEXT
        _tell_admins_paging_changed(
            session,
            "the crisis line",
            template.format(address=address),
            stopped=stopped,
            settings=settings,
        )
    if stopped:
        _withdraw(
            session,
            # Walked to, or paged beside a round as its acknowledger: no therapist either way.
            Page.therapist_id.is_(None) & Page.tier.in_(CHAIN_TIERS) & (Page.address == address),
            now,
            therapist=None,
            reason="the crisis line texted STOP",
        )
    return CRISIS_LINE_STOPPED_REPLY if stopped else CRISIS_LINE_RESTARTED_REPLY


def _tell_admins_paging_changed(
    session: Session, who: str, text: str, *, stopped: bool, settings: Settings
) -> None:
    """The admins' notice that ``who`` stopped or restarted SMS pages (no client's words)."""
    logger.warning("%s %s SMS pages", who, "stopped" if stopped else "restarted")
    if not _notify(session, _admins(session), text, settings):
        logger.error("%s's SMS paging changed: no admin can be told", who)


def _notify(session: Session, people: Iterable[Therapist], text: str, settings: Settings) -> int:
    """Send ``text`` (no client's words) to each of ``people`` who can be reached; how many."""
    told = 0
    for person in people:
        reach = _therapist_reach(person, settings)
        if isinstance(reach, Reach):
            enqueue(
                session, client_id=None, channel=reach.channel, address=reach.address,
                body=text, lane=Lane.CRISIS,
            )  # fmt: skip
            told += 1
    return told


def unreachable_reasons(session: Session, now: datetime, settings: Settings) -> list[str]:
    """Why neither the primary, the backup nor the crisis line can be paged right now."""
    reasons = []
    for tier in WALKED_TIERS:
        reach = _reach(session, tier, now, settings)
        if isinstance(reach, str) and reach not in reasons:
            reasons.append(reach)
    return reasons


def _live_chain_page(escalation: Escalation) -> Page | None:
    """The page the round waits on now, if any (never an acknowledger's, beside it)."""
    for sent in reversed(escalation.pages):
        if sent.tier in WALKED_TIERS and sent.status in LIVE_PAGE:
            return sent
    return None


def withdraw_pages(
    session: Session,
    therapist: Therapist,
    now: datetime,
    *,
    channel: str | None = None,
    reason: str = "account deactivated",
) -> int:
    """Pages still waiting on a therapist who can no longer answer: move on now.

    Deactivated, all their pages; after an SMS STOP, those on ``channel``.

    A page not yet handed to the provider is never sent (its message is
    marked undeliverable, under a row lock the outbox's claim skips); one
    already sent stops waiting for its acknowledgement timeout. Either way
    the scheduler's next tick pages the next tier. Returns how many pages.
    """
    return _withdraw(
        session,
        (Page.therapist_id == therapist.id)
        & (Page.channel == channel if channel is not None else true()),
        now,
        therapist=therapist,
        reason=reason,
    )


def _withdraw(
    session: Session,
    which: ColumnElement[bool],
    now: datetime,
    *,
    therapist: Therapist | None,
    reason: str,
) -> int:
    """:func:`withdraw_pages` for the live pages of active escalations matching ``which``."""
    live = (
        session.execute(
            select(Page)
            .join(Escalation, Escalation.id == Page.escalation_id)
            .where(which, Page.status.in_(LIVE_PAGE), Escalation.status.in_(ACTIVE))
            .with_for_update()
        )
        .scalars()
        .all()
    )
    for sent in live:
        message = (
            session.execute(
                select(Message).where(Message.id == sent.message_id).with_for_update()
            ).scalar_one_or_none()
            if sent.message_id
            else None
        )
        if message is not None and message.status in (MessageStatus.QUEUED, MessageStatus.FAILED):
            message.status = MessageStatus.UNDELIVERABLE
            message.error = WITHDRAWN_ERROR
        sent.escalate_at = now
        _event(
            session,
            sent.escalation,
            EscalationEventKind.PAGE_WITHDRAWN,
            now,
            therapist=therapist,
            detail=f"{sent.tier}: {reason}",
        )
    session.flush()
    return len(live)


# --- the scheduler's part ------------------------------------------------------


def advance_pages(session: Session, now: datetime, settings: Settings) -> int:
    """Move paging on: failed or unanswered pages to the next tier, due rounds started.

    Returns how many steps were taken. Run by the scheduler every second; all
    it needs is in the database, so it resumes exactly where a stopped one
    left off. Each page and escalation is claimed with a row lock that other
    schedulers skip (PostgreSQL), so no step is taken twice.
    """
    moved = 0
    waiting = session.execute(
        select(Page)
        .join(Escalation, Escalation.id == Page.escalation_id)
        .where(
            Page.status.in_(LIVE_PAGE),
            Page.tier.in_(CHAIN_TIERS),
            Escalation.status == EscalationStatus.OPEN,
        )
        .order_by(Page.id)
        .with_for_update(skip_locked=True)
    ).scalars()
    for current in list(waiting):
        moved += _advance_page(session, current, now, settings)
    moved += _start_due_rounds(session, now, settings)
    session.flush()
    return moved


def _advance_page(session: Session, current: Page, now: datetime, settings: Settings) -> int:
    """Move one live page on: to the next tier once it failed for good or timed out.

    A page the provider refused for good (an invalid number, a blocked bot:
    ``undeliverable``) moves on at once. One that failed transiently (a 5xx,
    a time-out: ``failed``, retried by the outbox with back-off) stays with the
    same person, and moves on only when the acknowledgement time runs out, as
    any unanswered page does: a provider's hiccup must not page the whole chain.
    """
    message = session.get(Message, current.message_id) if current.message_id else None
    delivered = message is not None and message.status in HANDED_TO_PROVIDER
    if delivered and current.status == PageStatus.PENDING:
        current.status = PageStatus.SENT
        current.sent_at = message.updated_at if message else now
    failed = message is None or message.status == MessageStatus.UNDELIVERABLE
    timed_out = current.escalate_at is not None and current.escalate_at <= now
    if not (failed or timed_out):
        return 0
    current.status = PageStatus.FAILED if failed else PageStatus.SUPERSEDED
    escalation = current.escalation
    following = NEXT_TIER.get(current.tier)
    previous = session.get(Therapist, current.therapist_id) if current.therapist_id else None
    if failed and message is not None and message.error == TWILIO_OPTED_OUT:
        # Every later SMS page there would be refused too: record it as their STOP.
        if previous is not None and previous.sms_opted_out_at is None:
            set_sms_paging(
                session, previous, stopped=True, now=now, settings=settings, refused_by_twilio=True
            )
        elif current.therapist_id is None:  # the crisis line (walked to, or its acknowledger)
            set_crisis_line_paging(
                session,
                current.address,
                stopped=True,
                now=now,
                settings=settings,
                refused_by_twilio=True,
            )
    if current.tier not in WALKED_TIERS:
        return 0  # an acknowledger paged beside the round: nothing waits on them
    if following is not None and page(session, escalation, following, now, settings, skip=previous):
        return 1
    # The chain ran out unanswered: go round again later, and tell the admins now.
    escalation.next_round_at = now + timedelta(minutes=settings.page_repeat_minutes)
    _event(
        session,
        escalation,
        EscalationEventKind.CHAIN_EXHAUSTED,
        now,
        detail=f"next round in {settings.page_repeat_minutes} min",
    )
    logger.error(
        "escalation %s: nobody acknowledged; paging again in %d min",
        escalation.id,
        settings.page_repeat_minutes,
    )
    alert_admins(session, escalation, now, settings, ADMIN_EXHAUSTED_TEXT)
    _tell_client_nobody_reached(session, escalation, now)
    return 1


def _tell_client_nobody_reached(session: Session, escalation: Escalation, now: datetime) -> None:
    """A round ran out and no page ever reached a provider: tell the client, once.

    Their crisis reply said "I've alerted a person" while the page was on its
    way; if the provider then refused every one (numbers typed wrong, the
    account suspended, a blocked bot), nobody knows, and they must not wait
    for a call that is not coming. They are told so, with the crisis numbers,
    in the crisis lane, on the channel they last wrote on: once per risky
    message (a repeated round says nothing new), and not at all once a page
    about this risk went through. An SMS client who opted out is not texted.
    """
    since = escalation.acknowledged_at
    for sent in escalation.pages:
        if sent.tier not in CHAIN_TIERS or (since is not None and sent.created_at < since):
            continue
        message = session.get(Message, sent.message_id) if sent.message_id else None
        if message is not None and message.status in HANDED_TO_PROVIDER:
            return
    risk_at = max((e.at for e in escalation.events if e.kind in RISK_EVENTS), default=None)
    if any(
        e.kind == EscalationEventKind.CLIENT_TOLD_NOT_REACHED
        and (risk_at is None or e.at >= risk_at)
        for e in escalation.events
    ):
        return
    client = escalation.client
    latest = latest_inbound(session, client.id)
    if latest is None or (latest.channel == Channel.SMS and client.opted_out_at is not None):
        logger.error("escalation %s: nobody reached, and the client cannot be told", escalation.id)
        return
    language = crisis_messages.language_of(latest.body, client.locale)
    enqueue(
        session,
        client_id=client.id,
        channel=latest.channel,
        address=latest.address,
        body=crisis_messages.with_numbers(crisis_messages.NOT_REACHED_AFTER_ALL, language),
        lane=Lane.CRISIS,
    )
    _event(
        session, escalation, EscalationEventKind.CLIENT_TOLD_NOT_REACHED, now, via=latest.channel
    )


def _start_due_rounds(session: Session, now: datetime, settings: Settings) -> int:
    """Start the rounds that are due: repeats of an exhausted chain, or waits for someone."""
    due = session.execute(
        select(Escalation)
        .where(
            Escalation.status == EscalationStatus.OPEN,
            Escalation.next_round_at.is_not(None),
            Escalation.next_round_at <= now,
        )
        .order_by(Escalation.id)
        .with_for_update(skip_locked=True)
    ).scalars()
    started = 0
    for escalation in list(due):
        if _live_chain_page(escalation) is not None:
            escalation.next_round_at = None
            continue
        if start_round(session, escalation, PageTier.PRIMARY, now, settings):
            started += 1
    return started


# --- acknowledging and resolving ------------------------------------------------


def acknowledge_escalation(
    session: Session, *, escalation_id: int, therapist: Therapist, now: datetime, via: str
) -> Escalation:
    """``open`` -> ``acknowledged`` by ``therapist``: paging stops.

    ``via`` says where: ``sms``, ``telegram``, ``dashboard``, ``cli``. Raises
    :class:`EscalationError` if the escalation is not open or the therapist
    may not act on it.
    """
    escalation = _locked_escalation(session, escalation_id)
    _check_may_act(escalation, therapist)
    if escalation.status == EscalationStatus.RESOLVED:
        raise EscalationError(f"Escalation {escalation.id} is already resolved.")
    if escalation.status == EscalationStatus.ACKNOWLEDGED:
        raise EscalationError(
            f"Escalation {escalation.id} was already acknowledged at "
            f"{escalation.acknowledged_at:%Y-%m-%d %H:%M} UTC."
        )
    _mark_acknowledged(session, escalation, therapist, now, via)
    return escalation


def _mark_acknowledged(
    session: Session, escalation: Escalation, therapist: Therapist | None, now: datetime, via: str
) -> None:
    """Stop the paging; ``therapist`` None is the clinic's crisis line (named in the timeline)."""
    escalation.status = EscalationStatus.ACKNOWLEDGED
    escalation.acknowledged_at = now
    escalation.acknowledged_by = therapist.id if therapist else None
    escalation.acknowledged_via = via
    escalation.next_round_at = None
    _close_pages(escalation, PageStatus.ACKNOWLEDGED)
    detail = None if therapist else CRISIS_LINE_ACKNOWLEDGER
    _event(
        session, escalation, EscalationEventKind.ACKNOWLEDGED, now,
        therapist=therapist, via=via, detail=detail,
    )  # fmt: skip
    session.flush()


def resolve_escalation(
    session: Session, *, escalation_id: int, therapist: Therapist, note: str, now: datetime
) -> Escalation:
    """``open``/``acknowledged`` -> ``resolved`` with a note saying what was done."""
    note = note.strip()
    if not note:
        raise EscalationError("A resolution note is required: say what was done.")
    if len(note) > RESOLUTION_NOTE_MAX_LENGTH:
        raise EscalationError(
            f"A resolution note must be at most {RESOLUTION_NOTE_MAX_LENGTH} characters."
        )
    escalation = _locked_escalation(session, escalation_id)
    _check_may_act(escalation, therapist)
    if escalation.status == EscalationStatus.RESOLVED:
        raise EscalationError(f"Escalation {escalation.id} is already resolved.")
    escalation.status = EscalationStatus.RESOLVED
    escalation.resolved_at = now
    escalation.resolved_by = therapist.id
    escalation.resolution_note = note
    escalation.next_round_at = None
    _close_pages(escalation, PageStatus.SUPERSEDED)
    _event(session, escalation, EscalationEventKind.RESOLVED, now, therapist=therapist)
    session.flush()
    return escalation


def _locked_escalation(session: Session, escalation_id: int) -> Escalation:
    escalation = session.execute(
        select(Escalation)
        .where(Escalation.id == escalation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if escalation is None:
        raise EscalationError(f"There is no escalation {escalation_id}.")
    return escalation


def _check_may_act(escalation: Escalation, therapist: Therapist) -> None:
    """Admins, the client's therapist, and anyone paged about it may act on an escalation."""
    if not therapist.active:
        raise EscalationError(f"The account {therapist.email} is not active.")
    paged = any(sent.therapist_id == therapist.id for sent in escalation.pages)
    if therapist.role == Role.ADMIN or escalation.client.therapist_id == therapist.id or paged:
        return
    raise EscalationError(
        f"{therapist.email} may not act on escalation {escalation.id}: "
        "not their client and they were not paged about it."
    )


def _close_pages(escalation: Escalation, status: str) -> None:
    for sent in escalation.pages:
        if sent.status in LIVE_PAGE:
            sent.status = status


def _event(
    session: Session,
    escalation: Escalation,
    kind: str,
    now: datetime,
    *,
    therapist: Therapist | None = None,
    via: str | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        EscalationEvent(
            escalation=escalation,
            at=now,
            kind=kind,
            therapist_id=therapist.id if therapist else None,
            via=via,
            detail=detail,
        )
    )


# --- therapists texting the bot --------------------------------------------------


def acknowledge(
    session: Session, therapist: Therapist, code: str, now: datetime, via: str = Channel.SMS
) -> str:
    """Handle ``ACK <code>`` from a therapist; return the reply to send them."""
    code = code.strip().upper()
    escalation = session.execute(
        select(Escalation).where(Escalation.code == code, Escalation.status.in_(ACTIVE))
    ).scalar_one_or_none()
    try:
        if escalation is None:
            raise EscalationError(code)
        _check_may_act(escalation, therapist)
    except EscalationError:
        # The same reply as for no alert at all: staff with no part in it learn nothing.
        return ACK_UNKNOWN_REPLY.format(code=code)
    if escalation.status == EscalationStatus.OPEN:
        try:
            acknowledge_escalation(
                session, escalation_id=escalation.id, therapist=therapist, now=now, via=via
            )
        except EscalationError as error:
            return str(error)
    return ACK_REPLY.format(code=escalation.code, client=escalation.client.code)


def ack_code(text: str) -> str | None:
    """The code in ``ACK <code>``, else None.

    As a person answers a page in a hurry: any case, punctuation around or
    between the word and the code, and a note after it ("Ack K7Q2XM.",
    "ACK:K7Q2XM", "ACK K7Q2XM calling now") are all the same acknowledgement.
    """
    found = _ACK_PATTERN.match(text)
    return found.group(1).upper() if found else None


#: "ACK", then spaces or punctuation (at least one), then the code.
_ACK_PATTERN = re.compile(rf"^[\W_]*{ACK_WORD}[\W_]+([A-Z0-9]+)", re.IGNORECASE)


def acknowledges_active(session: Session, text: str) -> bool:
    """Whether ``text`` is ``ACK <code>`` with the code of an open or acknowledged escalation."""
    code = ack_code(text)
    if code is None:
        return False
    found = session.execute(
        select(Escalation.id).where(Escalation.code == code, Escalation.status.in_(ACTIVE))
    ).first()
    return found is not None


def crisis_line_reply(session: Session, text: str, now: datetime, via: str = Channel.SMS) -> str:
    """The clinic's crisis line texting the bot: it is paged last, so its ``ACK`` counts too.

    Only an escalation that paged the crisis line can be acknowledged this way.
    """
    code = ack_code(text)
    if code is None:
        return STAFF_HELP_REPLY
    escalation = session.execute(
        select(Escalation).where(Escalation.code == code, Escalation.status.in_(ACTIVE))
    ).scalar_one_or_none()
    if escalation is None or not any(p.tier == PageTier.CRISIS_LINE for p in escalation.pages):
        return ACK_UNKNOWN_REPLY.format(code=code)
    if escalation.status == EscalationStatus.OPEN:
        _mark_acknowledged(session, _locked_escalation(session, escalation.id), None, now, via)
    return ACK_REPLY.format(code=escalation.code, client=escalation.client.code)


def staff_reply(
    session: Session, therapist: Therapist, text: str, now: datetime, via: str = Channel.SMS
) -> str:
    """A therapist texting the bot's number or chat: acknowledgements, else how to ACK."""
    code = ack_code(text)
    if code is None:
        return STAFF_HELP_REPLY
    return acknowledge(session, therapist, code, now, via)
