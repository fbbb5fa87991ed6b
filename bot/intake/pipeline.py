"""The one intake pipeline: every inbound message on every channel goes through :func:`receive`.

One trip down and one back:

1. **Screen, outside any transaction.** The crisis detector is pure
   computation; it runs before the database is touched, so a slow message
   never holds the write lock.
2. **Store, in its own committed transaction.** The sender is resolved
   (staff, client, or a stranger with an enrolment code), and the message is
   written to the message log once per provider id, marked *not yet
   screened*. Once this commits, nothing can lose the message.
3. **Decide, in a second transaction** (:func:`process_stored`): the
   screening result is applied (escalation and page, crisis reply), then
   staff replies (``ACK``), carrier keywords, opt-out, empty bodies, numbered
   choices and flood control decide the replies and whether the assistant
   sees the message. If anything here fails, the webhook still answers 200:
   the message stays *not yet screened* and :func:`screen_pending`, which the
   scheduler runs every few seconds (and each Rasa server at start), finishes
   it. A message that sits unanswered by the assistant (a server died, it
   came in at the dashboard's process, or it waits behind an older one of the
   same client) is taken up by :func:`claim_handoffs`, oldest first.

Strangers' messages are not stored, except a risky one (kept for the care
team, with the crisis numbers in the reply) or an enrolment; nor are messages
with neither text nor media. A picture or sticker without words is kept.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from bot import clinic, escalation, message_log, takeover
from bot.crisis_messages import language_of, with_numbers
from bot.intake import strangers
from bot.intake.flood import FloodControl
from bot.intake.inbound import Decision, HandOff, InboundMessage
from bot.intake.replies import (
    ENROLMENT_FAILED_REPLY,
    GREETING_TRIGGER,
    HELP_KEYWORDS,
    NOT_STORED_REPLY,
    NOT_TEXT_ANSWER_REPLY,
    OPT_IN_KEYWORDS,
    OPT_OUT_KEYWORDS,
    OPTED_IN_REPLY,
    OPTED_OUT_REPLY,
    PROCESSING_ERROR_REPLY,
    UNKNOWN_SENDER_REPLY,
    empty_message_reply,
    enrolment_code,
    help_reply,
    is_enrolment_command,
    queue_reply,
)
from bot.intake.screening import (
    SCREENING_FAILED,
    assess_safely,
    escalate_unscreened,
    screen_for_risk,
    unknown_sender_crisis_reply,
)
from bot.outbox import OUTBOX_CHANNELS, chosen_payload, latest_choices
from bot.safety import Assessment, RiskLevel, followup
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import Channel, Direction, Lane, MessageStatus
from bot.storage.models import Client, Message, utcnow

logger = logging.getLogger(__name__)

#: Longer messages are refused at the channel rather than truncated, so nothing is silently lost.
MAX_INBOUND_CHARS = 16_000
#: The retry loop leaves a message this young to the webhook still deciding it.
SCREENING_GRACE = timedelta(seconds=3)
#: Tries of the retry loop at screening a message before a person is paged instead...
SCREENING_ATTEMPTS = 5
#: ...or this long after it arrived, once a try has failed: when in doubt, escalate.
SCREENING_DEADLINE = timedelta(seconds=30)
#: How many unscreened messages one pass of the retry loop takes on.
SCREENING_BATCH = 50
#: A Rasa server's claim on a message, renewed while it answers (:func:`renew_handoff`) and
#: released if its turn is cut off (:func:`release_handoff`); a claim older than this was a
#: server that died without stopping. Longer than the assistant's slowest step (Rasa's action
#: timeout, 5 minutes), so that even a renewal lost to a busy database is not a death.
HANDOFF_LEASE = timedelta(minutes=6)
#: How often a turn renews its claim: three renewals a lease, so one or two may fail.
HANDOFF_RENEWAL = HANDOFF_LEASE / 3
#: Messages unanswered for longer are left for the care team rather than answered late.
HANDOFF_WINDOW = timedelta(hours=24)
HANDOFF_BATCH = 20
#: Hex digits of a sender's hash in a log line: enough to match lines, not to recover a number.
SENDER_HASH_CHARS = 12

#: The flood limits of every webhook (the buckets themselves are in the database).
SENDER_FLOOD = FloodControl()


def receive(
    message: InboundMessage,
    settings: Settings,
    *,
    engine: Engine | None = None,
    flood: FloodControl = SENDER_FLOOD,
    handing_off: bool = True,
) -> Decision:
    """Store, screen and decide one inbound message (see the module docstring).

    Never raises once the message is stored: a failure after that is logged
    (message id only) and the message is left for :func:`screen_pending`.
    ``handing_off``: the caller hands the message to the assistant itself; a
    webhook that cannot (Twilio's fallback URL and Telegram's webhook, served
    by the dashboard's process so that they never wait for Rasa) leaves it for
    a Rasa server to take up with :func:`claim_handoffs`.
    """
    assessment = assess_safely(message.text)
    try:
        with session_scope(engine) as session:
            stored = _store(session, message, assessment, settings)
    except Exception as error:
        if message.channel == Channel.TELEGRAM:
            raise  # Telegram delivers the update again after an error: nothing is lost
        return _not_stored(message, assessment, error)
    if isinstance(stored, Decision):
        return stored
    message_id, client_id = stored
    try:
        with session_scope(engine) as session:
            return process_stored(
                session, message_id, assessment, settings, utcnow(),
                flood=flood, handing_off=handing_off,
            )  # fmt: skip
    except Exception:
        logger.exception("message %s stored; screening left to the retry loop", message_id)
        return Decision(message_id=message_id, client_id=client_id, deferred=True)


def _not_stored(
    message: InboundMessage, assessment: Assessment | None, error: Exception
) -> Decision:
    """The database refused the message: the client still gets a reply, never an error.

    A risky or unscored message gets the crisis numbers at once (there is no
    escalation to page through); anything else is asked to be sent again. The
    log names the error type and a hash of the sender, never the words (a
    database error's text may quote them).
    """
    sender = hashlib.sha256(message.address.encode()).hexdigest()[:SENDER_HASH_CHARS]
    logger.error(
        "inbound %s message %s from sender %s not stored: %s",
        message.channel, message.provider_id, sender, type(error).__name__,
    )  # fmt: skip
    if assessment is None or assessment.level.escalates:
        return Decision(direct_reply=unknown_sender_crisis_reply(message.text))
    return Decision(direct_reply=with_numbers(NOT_STORED_REPLY, language_of(message.text, None)))


def _store(
    session: Session, message: InboundMessage, assessment: Assessment | None, settings: Settings
) -> tuple[int, int | None] | Decision:
    """Resolve the sender and log the message; a Decision when there is nothing more to do."""
    risky = assessment is None or assessment.level is not RiskLevel.NONE
    client, staff = _sender(session, message, settings)
    # The language of a reply decided here: a stranger's is read from their words alone.
    language = language_of(message.text, client.locale if client else None)
    if client is None and not staff:
        code = enrolment_code(message.channel, message.text)
        if code is not None:
            try:
                client = clinic.redeem_enrolment_code(
                    session, code, channel=message.channel, address=message.address
                )
            except clinic.ClinicError:
                return Decision(direct_reply=ENROLMENT_FAILED_REPLY[language])
            logger.info(
                "%s sender linked to client %s by enrolment code", message.channel, client.code
            )
        elif risky:
            return _keep_stranger_at_risk(session, message, assessment, settings)
        else:
            # Nothing is stored for a sender we do not know, and the reply names no one.
            return Decision(direct_reply=with_numbers(UNKNOWN_SENDER_REPLY, language))
    if client is not None and not message.text.strip() and not message.has_media:
        # Nothing was sent at all: nothing to keep or screen, only a prompt (none after STOP).
        silenced = message.channel == Channel.SMS and client.opted_out_at is not None
        prompt = None if silenced else empty_message_reply(message.channel, language)
        return Decision(client_id=client.id, direct_reply=prompt)
    stored = message_log.record_inbound(
        session,
        channel=message.channel,
        address=message.address,
        body=message.text,
        provider_id=message.provider_id,
        client_id=client.id if client else None,
    )
    if stored is None:
        return Decision(duplicate=True, client_id=client.id if client else None)
    session.flush()
    return stored.id, client.id if client else None


def _sender(
    session: Session, message: InboundMessage, settings: Settings
) -> tuple[Client | None, bool]:
    """Who sent ``message``: a client, staff (a therapist or the crisis line), or a stranger.

    An address both a client's and staff's (a therapist who tried the bot with
    their own phone) is the client's, except for an ``ACK`` with the code of an
    active escalation: that is the therapist answering a page, and must stop
    the paging rather than reach the bot.
    """
    client = _resolve_client(session, message.channel, message.address)
    if client is not None and not escalation.acknowledges_active(session, message.text):
        return client, False
    staff = clinic.therapist_for_identity(
        session, message.channel, message.address
    ) is not None or _is_crisis_line(settings, message.channel, message.address)
    return (None, True) if staff else (client, False)


def _resolve_client(session: Session, channel: str, address: str) -> Client | None:
    """The client behind a sender: a client code on the local channel, else an identity."""
    if channel == Channel.LOCAL:
        return clinic.client_by_code(session, address)
    return clinic.client_for_identity(session, channel, address)


def _keep_stranger_at_risk(
    session: Session, message: InboundMessage, assessment: Assessment | None, settings: Settings
) -> Decision:
    """A risky message from a sender we cannot link: kept for the care team, numbers given.

    It may be a client texting from a new phone: the on-call therapist and the
    admins are told (:mod:`bot.intake.strangers`: sparingly, so that fifty
    throwaway numbers do not ring the on-call phone fifty times); the log
    names the message id.
    """
    stored = message_log.record_inbound(
        session,
        channel=message.channel,
        address=message.address,
        body=message.text,
        provider_id=message.provider_id,
    )
    reply = _stranger_at_risk_reply(message, assessment)
    if stored is None:
        # A provider's retry (Twilio's Fallback URL after a late answer, Telegram's
        # redelivery): the first answer never reached the person, so it is given again.
        return Decision(duplicate=True, direct_reply=reply)
    stored.risk_level = assessment.level.value if assessment else None
    stored.screened_at = utcnow()
    session.flush()
    logger.warning("risky message %s from an unknown %s sender kept", stored.id, message.channel)
    strangers.tell_people(session, stored, settings)
    return Decision(message_id=stored.id, direct_reply=reply)


def _stranger_at_risk_reply(message: InboundMessage, assessment: Assessment | None) -> str:
    """The crisis numbers for a risky stranger, answered in the webhook's response."""
    if assessment is not None and assessment.level.escalates:
        return unknown_sender_crisis_reply(message.text)
    # Moderate, or unscored: the usual reply, which carries the crisis numbers too.
    return with_numbers(UNKNOWN_SENDER_REPLY, language_of(message.text, None))


def process_stored(
    session: Session,
    message_id: int,
    assessment: Assessment | None,
    settings: Settings,
    now: datetime,
    *,
    flood: FloodControl | None = None,
    handing_off: bool = True,
) -> Decision:
    """Screen a stored message and decide its replies, in the caller's transaction.

    The message is claimed by setting ``screened_at`` only where it is still
    empty, so the webhook and the retry loop (or two retry loops) never both
    process it. Replies for outbox channels are queued here; the local
    channel's are returned in the Decision. ``flood`` is asked, after the
    screening, whether the assistant may answer (outbox channels only; the
    local one is behind the API token). ``handing_off`` False (the retry
    loop, or a webhook served where no Rasa server is) leaves the hand-off
    unclaimed, for the next Rasa server's :func:`claim_handoffs` to take at
    once. So does a message of a client whose older message waits there (taken
    in while no Rasa server ran): handed over now, the newer one would be read
    first ("no" before the message it answers). The Decision says so
    (``handoff_left``).
    """
    claimed = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.screened_at.is_(None))
        .values(screened_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return Decision(message_id=message_id)
    message = session.get(Message, message_id)
    assert message is not None
    session.refresh(message)
    if message.client_id is None:
        return _staff_message(session, message, now, settings)
    client = session.get(Client, message.client_id)
    assert client is not None
    opted_out = message.channel == Channel.SMS and client.opted_out_at is not None
    taken_over = takeover.is_taken_over(session, client.id, now)
    keyword = message.body.strip().upper()
    language = language_of(message.body, client.locale)
    carrier_help = message.channel == Channel.SMS and keyword in HELP_KEYWORDS
    screening = screen_for_risk(
        session, client, message, assessment, settings, now,
        answers_question=bool(keyword) and not carrier_help,
        may_ask=not (opted_out or taken_over),
    )  # fmt: skip
    # An opted-out SMS client is screened (risk still reaches the on-call therapist), not answered.
    urgent = [] if opted_out else list(screening.urgent)
    # A repeat of escalated words was crisis-replied already: the assistant does not repeat it.
    message.crisis_replied = not opted_out and bool(screening.crisis_reply or screening.repeated)
    message.check_in_asked = screening.check_in is not None
    message.answered_question = screening.answered
    waiting = not taken_over and followup.question_waiting(session, client, now)
    replies: list[str] = []
    compliance = (
        _compliance_reply(settings, client, keyword, language)
        if message.channel == Channel.SMS
        else None
    )
    hand_off: HandOff | None = None
    if compliance is not None:
        # A therapist who tried the bot with their own phone: the carrier stops their pages too.
        _staff_carrier_keyword(session, message, keyword, now, settings)
        if compliance:
            # Sent even to a client who just opted out: the one confirmation.
            replies.append(compliance)
        if carrier_help and waiting:
            # HELP instead of an answer to "are you safe?": the conversation asks again.
            hand_off = _hand_off(session, client, message)
    elif opted_out or taken_over:
        pass  # screened above; the bot stays silent (the client or their therapist asked so)
    elif not message.body.strip():
        if waiting:
            # A voice note for an answer: no menu prompt, the numbers, and the question waits.
            urgent.append(with_numbers(NOT_TEXT_ANSWER_REPLY, language))
        else:
            replies.append(empty_message_reply(message.channel, language))
    elif (
        flood is not None
        and message.channel in OUTBOX_CHANNELS
        and _flooding(session, flood, message)
    ):
        logger.warning("message %s throttled: not handed to the assistant", message.id)
    else:
        hand_off = _hand_off(session, client, message)
    if hand_off is None:
        message.status = MessageStatus.PROCESSED
    elif handing_off and not _older_handoff_waiting(session, message, now):
        message.handed_off_at = now
    else:
        return _deliver(session, message, client, replies, None, urgent=urgent, left=True)
    return _deliver(session, message, client, replies, hand_off, urgent=urgent)


def _older_handoff_waiting(session: Session, message: Message, now: datetime) -> bool:
    """Whether an older message of the same client and channel waits for :func:`claim_handoffs`.

    Only outbox channels have a recovery loop to take them up in order.
    """
    if message.channel not in OUTBOX_CHANNELS:
        return False
    older = session.execute(
        select(Message.id)
        .where(
            Message.client_id == message.client_id,
            Message.channel == message.channel,
            Message.id < message.id,
            *_waiting_for_handoff(now),
        )
        .limit(1)
    ).first()
    return older is not None


def _flooding(session: Session, flood: FloodControl, message: Message) -> bool:
    """Whether the sender is over their flood limit; a failure of flood control says no.

    In a savepoint: whatever goes wrong here is logged and undone, and never
    touches the screening already applied in this transaction.
    """
    try:
        with session.begin_nested():
            return not flood.allow(session, message.channel, message.address)
    except Exception:
        logger.exception("flood control failed for message %s; not throttled", message.id)
        return False


def _deliver(
    session: Session,
    message: Message,
    client: Client | None,
    replies: list[str],
    hand_off: HandOff | None,
    *,
    urgent: Sequence[str] = (),
    left: bool = False,
) -> Decision:
    """Queue the replies for an outbox channel, or return them for the local channel.

    ``urgent`` (the crisis reply) goes first, in the outbox's crisis lane, so
    it never waits behind an earlier reply still being retried. ``left``: the
    assistant's turn is left to :func:`claim_handoffs`.
    """
    client_id = client.id if client else None
    if message.channel not in OUTBOX_CHANNELS:
        local = (*urgent, *replies)
        session.flush()
        return Decision(
            message_id=message.id,
            client_id=client_id,
            replies=local,
            hand_off=hand_off,
            handoff_left=left,
        )
    for lane, texts in ((Lane.CRISIS, urgent), (Lane.NORMAL, replies)):
        for text in texts:
            queue_reply(
                session, client_id=client_id, channel=message.channel,
                address=message.address, text=text, lane=lane,
            )  # fmt: skip
    session.flush()
    return Decision(
        message_id=message.id, client_id=client_id, hand_off=hand_off, handoff_left=left
    )


def _staff_message(
    session: Session, message: Message, now: datetime, settings: Settings
) -> Decision:
    """A therapist or the crisis line texting the bot: ``ACK <code>``, else how to ACK."""
    therapist = clinic.therapist_for_identity(session, message.channel, message.address)
    crisis_line = therapist is None and _is_crisis_line(settings, message.channel, message.address)
    message.status = MessageStatus.PROCESSED
    if therapist is None and not crisis_line:  # kept from a stranger, or staff no longer active
        return Decision(message_id=message.id)
    reply = _staff_carrier_keyword(session, message, message.body.strip().upper(), now, settings)
    if reply is None and therapist is not None:
        reply = escalation.staff_reply(session, therapist, message.body, now, via=message.channel)
    elif reply is None:
        reply = escalation.crisis_line_reply(session, message.body, now, via=message.channel)
    return _deliver(session, message, None, [reply], None)


def _staff_carrier_keyword(
    session: Session, message: Message, keyword: str, now: datetime, settings: Settings
) -> str | None:
    """STOP or START by SMS from a therapist's number or the crisis line: pages stop or resume.

    Returns the reply to them, or None if this is not such a message (START or
    YES from a number whose pages never stopped is an answer to a page).
    """
    stopped = keyword in OPT_OUT_KEYWORDS
    if message.channel != Channel.SMS or not (stopped or keyword in OPT_IN_KEYWORDS):
        return None
    therapist = clinic.therapist_for_identity(session, message.channel, message.address)
    if therapist is not None:
        if not stopped and therapist.sms_opted_out_at is None:
            # "Yes" to a page restarts nothing (they never stopped): they are told how to ACK.
            return None
        return escalation.set_sms_paging(
            session, therapist, stopped=stopped, now=now, settings=settings
        )
    if not _is_crisis_line(settings, message.channel, message.address):
        return None
    if not stopped and escalation.crisis_line_stopped(session, settings) is None:
        return None
    return escalation.set_crisis_line_paging(
        session, message.address, stopped=stopped, now=now, settings=settings
    )


def _is_crisis_line(settings: Settings, channel: str, address: str) -> bool:
    """Whether the sender is the clinic's crisis line, the last tier of every page chain."""
    return (
        channel == Channel.SMS
        and bool(settings.clinic_crisis_line)
        and (address == settings.clinic_crisis_line)
    )


def _compliance_reply(
    settings: Settings, client: Client, keyword: str, language: str
) -> str | None:
    """The reply to a carrier keyword in ``language`` ("" for none), or None if not one."""
    if keyword in OPT_OUT_KEYWORDS:
        if client.opted_out_at is not None:
            return ""  # one confirmation only
        client.opted_out_at = utcnow()
        return with_numbers(OPTED_OUT_REPLY, language)
    if keyword in OPT_IN_KEYWORDS and client.opted_out_at is not None:
        client.opted_out_at = None
        return OPTED_IN_REPLY[language]
    if keyword in HELP_KEYWORDS:
        return help_reply(settings, language)
    return None


def _hand_off(session: Session, client: Client, message: Message) -> HandOff:
    """What the assistant reads: ``/greet`` after enrolment, a chosen option, or the text.

    With it goes what the screening decided (stored on the message, so a
    hand-off taken again after a crash carries the same): the risk level,
    whether the crisis reply or the check-in question already went out, and
    which safety question the message answers.
    """
    text = message.body.strip()
    if is_enrolment_command(message.channel, text):
        text = GREETING_TRIGGER
    elif message.channel == Channel.SMS:
        text = chosen_payload(text, latest_choices(session, client.id, Channel.SMS)) or message.body
    else:
        text = message.body
    return HandOff(
        conversation_id=client.code,
        message_id=message.id,
        client_id=client.id,
        channel=message.channel,
        address=message.address,
        text=text,
        language=language_of(message.body, client.locale),
        risk_level=message.risk_level,
        crisis_replied=message.crisis_replied,
        check_in_asked=message.check_in_asked,
        answered_question=message.answered_question,
    )


def screen_pending(
    settings: Settings, *, engine: Engine | None = None, now: datetime | None = None
) -> int:
    """Finish messages stored but never screened (a failure or a crash after storing).

    The scheduler calls this every few seconds and each Rasa server at start.
    Each message is screened outside any transaction, then decided in a
    transaction of its own, so one that keeps failing does not hold up the
    rest. Every try is counted first (a try that crashed the process counts
    too); a message that still fails after :data:`SCREENING_ATTEMPTS` tries, or
    :data:`SCREENING_DEADLINE` after it arrived, is handed to a person
    (:func:`_give_up_screening`). Returns how many were finished here.
    """
    now = now or utcnow()
    with session_scope(engine) as session:
        pending = session.execute(
            select(Message.id, Message.body, Message.created_at)
            .where(
                Message.direction == Direction.INBOUND,
                Message.screened_at.is_(None),
                Message.created_at <= now - SCREENING_GRACE,
            )
            .order_by(Message.id)
            .limit(SCREENING_BATCH)
        ).all()
    finished = 0
    told: set[int] = set()
    for message_id, body, created_at in pending:
        attempts = _count_screening_attempt(message_id, engine)
        if attempts <= SCREENING_ATTEMPTS:
            if _screen_again(message_id, body, settings, engine):
                finished += 1
                continue
            if attempts < SCREENING_ATTEMPTS and created_at > now - SCREENING_DEADLINE:
                continue
        finished += _give_up_screening(message_id, attempts, settings, engine, told)
    if finished:
        logger.warning("screened %d messages left unscreened", finished)
    return finished


def _count_screening_attempt(message_id: int, engine: Engine | None) -> int:
    """Count one more try at screening the message, in its own transaction; the new count."""
    with session_scope(engine) as session:
        session.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(screening_attempts=Message.screening_attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return int(
            session.execute(
                select(Message.screening_attempts).where(Message.id == message_id)
            ).scalar_one()
        )


def _screen_again(message_id: int, body: str, settings: Settings, engine: Engine | None) -> bool:
    """One more try at :func:`process_stored`; False (logged, no words) if it failed again."""
    assessment = assess_safely(body)
    try:
        with session_scope(engine) as session:
            decision = process_stored(
                session, message_id, assessment, settings, utcnow(), handing_off=False
            )
    except Exception:
        logger.exception("screening message %s failed again", message_id)
        return False
    if decision.replies:
        # The local channel answers in its HTTP response, long gone by now.
        logger.warning("message %s screened late: its replies could not be given", message_id)
    return True


def _give_up_screening(
    message_id: int, attempts: int, settings: Settings, engine: Engine | None, told: set[int]
) -> int:
    """When in doubt, escalate: a message that cannot be screened goes to a person.

    It joins (or opens) the client's escalation as ``screening_failed`` at high
    level, so the on-call therapist is paged (the page carries no words), the
    client gets the crisis numbers (once per pass, however many of theirs
    failed; ``told`` holds who has), and the message is marked failed so it
    is not tried again. If even the escalation fails, the message is still
    marked and the client still gets the numbers. Returns 1 if this call took
    the message, 0 if someone else finished it meanwhile.
    """
    for escalating in (True, False):
        try:
            with session_scope(engine) as session:
                taken = _mark_unscreenable(session, message_id, utcnow())
                if taken is None:
                    return 0
                escalation_id = (
                    _escalate_unscreenable(session, taken, settings) if escalating else None
                )
                client_told = _send_numbers_once(session, taken, told)
        except Exception:
            logger.exception("handing unscreenable message %s to a person failed", message_id)
            continue
        if client_told is not None:
            told.add(client_told)
        logger.error(
            "message %s could not be screened after %d tries: %s", message_id, attempts,
            f"escalation {escalation_id} ({SCREENING_FAILED})" if escalation_id
            else "nobody could be paged about it",
        )  # fmt: skip
        return 1
    return 0


def _mark_unscreenable(session: Session, message_id: int, now: datetime) -> Message | None:
    """Claim the message as screened (failed) so that nothing tries it again; None if taken."""
    claimed = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.screened_at.is_(None))
        .values(screened_at=now, status=MessageStatus.FAILED, error=SCREENING_FAILED)
        .execution_options(synchronize_session=False)
    ).rowcount
    return session.get(Message, message_id) if claimed else None


def _escalate_unscreenable(session: Session, message: Message, settings: Settings) -> int | None:
    """The escalation a client's unscreenable message joined; None for a staff message."""
    client = session.get(Client, message.client_id) if message.client_id else None
    if client is None:
        return None
    return escalate_unscreened(session, client, message, settings, utcnow()).escalation_id


def _send_numbers_once(session: Session, message: Message, told: set[int]) -> int | None:
    """The crisis numbers, in the crisis lane, to a client not yet told; their id if queued."""
    client = session.get(Client, message.client_id) if message.client_id else None
    if client is None or client.id in told or message.channel not in OUTBOX_CHANNELS:
        return None
    if message.channel == Channel.SMS and client.opted_out_at is not None:
        return None
    queue_reply(
        session, client_id=client.id, channel=message.channel, address=message.address,
        text=with_numbers(PROCESSING_ERROR_REPLY, language_of(message.body, client.locale)),
        lane=Lane.CRISIS,
    )  # fmt: skip
    return client.id


def claim_handoffs(
    channel: str,
    *,
    busy: Collection[int] = (),
    engine: Engine | None = None,
    now: datetime | None = None,
) -> list[HandOff]:
    """The oldest message each client waits to have answered, claimed for this Rasa server.

    One message per client at a time: a client's next message is claimed only
    once no server holds one of theirs (answered, or its lease ran out), so no
    server answers a client's messages out of order, nor one that another is
    still about to answer. Clients in ``busy`` (this server is still answering
    them) are skipped too. A message is taken when no server holds it (never
    claimed, or given up by a server that stopped), or when the server that
    took it has not renewed its claim within :data:`HANDOFF_LEASE` (it died
    without stopping). Opted-out SMS clients' messages are
    closed, not answered.
    """
    now = now or utcnow()
    held = aliased(Message)
    oldest_per_client = (
        select(func.min(Message.id))
        .where(
            Message.channel == channel,
            *_waiting_for_handoff(now),
            Message.client_id.not_in(busy),
            ~exists().where(
                held.client_id == Message.client_id,
                held.channel == Message.channel,
                held.direction == Direction.INBOUND,
                held.status == MessageStatus.RECEIVED,
                held.handed_off_at >= now - HANDOFF_LEASE,
            ),
        )
        .group_by(Message.client_id)
    )
    with session_scope(engine) as session:
        query = (
            select(Message)
            .where(Message.id.in_(oldest_per_client))
            .order_by(Message.id)
            .limit(HANDOFF_BATCH)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=Message)
        claimed = []
        for message in session.execute(query).scalars().all():
            client = session.get(Client, message.client_id)
            assert client is not None
            opted_out = channel == Channel.SMS and client.opted_out_at is not None
            if opted_out or takeover.is_taken_over(session, client.id, now):
                message.status = MessageStatus.PROCESSED
                continue
            message.handed_off_at = now
            claimed.append(_hand_off(session, client, message))
    return claimed


def renew_handoff(
    message_id: int, *, engine: Engine | None = None, now: datetime | None = None
) -> None:
    """Renew this Rasa server's claim on a message it is still answering.

    A turn may take longer than :data:`HANDOFF_LEASE` (several slow actions):
    renewed, the claim does not run out and no other server answers the
    message again. Only an open message is renewed: one closed meanwhile stays closed.
    """
    with session_scope(engine) as session:
        session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.RECEIVED)
            .values(handed_off_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )


def release_handoff(message_id: int, *, engine: Engine | None = None) -> None:
    """Give up this Rasa server's claim on a message its assistant did not answer (it stops).

    The next server takes the message, and the client's later ones, at once rather than
    after :data:`HANDOFF_LEASE`. Only an open message is released: one closed meanwhile
    stays closed.
    """
    with session_scope(engine) as session:
        session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.RECEIVED)
            .values(handed_off_at=None)
            .execution_options(synchronize_session=False)
        )


def _waiting_for_handoff(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The conditions of a message for :func:`claim_handoffs`.

    A client's, screened, not yet answered, and held by no live server (never
    claimed, or the claim's lease ran out: that server died).
    """
    return (
        Message.direction == Direction.INBOUND,
        Message.status == MessageStatus.RECEIVED,
        Message.client_id.is_not(None),
        Message.screened_at.is_not(None),
        Message.created_at > now - HANDOFF_WINDOW,
        or_(Message.handed_off_at.is_(None), Message.handed_off_at < now - HANDOFF_LEASE),
    )


def finish_handoff(message_id: int, *, answered: bool, engine: Engine | None = None) -> None:
    """Close a hand-off: ``processed``, or ``failed`` (the assistant erred; for the care team)."""
    status = MessageStatus.PROCESSED if answered else MessageStatus.FAILED
    with session_scope(engine) as session:
        message_log.mark_status(session, message_id, status)
