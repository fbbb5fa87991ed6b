"""The closed vocabularies and scales of WiseMind's database, in one place.

Values are plain strings (what the database stores and returns), grouped in
namespaces so that code reads ``MessageStatus.SENT`` rather than ``"sent"``.
Each namespace's ``ALL`` tuple feeds the database ``CHECK`` constraints in
:mod:`bot.storage.models`; adding a value therefore needs a migration too.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Final


class Role:
    """What a staff account may do: therapists see their caseload, admins see all."""

    THERAPIST: Final = "therapist"
    ADMIN: Final = "admin"
    ALL: Final = (THERAPIST, ADMIN)


class Channel:
    """Where a message travels; ``local`` is the terminal chat of ``wisemind chat``."""

    SMS: Final = "sms"
    TELEGRAM: Final = "telegram"
    LOCAL: Final = "local"
    ALL: Final = (SMS, TELEGRAM, LOCAL)
    #: Channels a therapist can be paged on.
    PAGING: Final = (SMS, TELEGRAM)


class Locale:
    """Languages the bot speaks to clients."""

    EN: Final = "en"
    ES: Final = "es"
    ALL: Final = (EN, ES)


class Direction:
    INBOUND: Final = "inbound"
    OUTBOUND: Final = "outbound"
    ALL: Final = (INBOUND, OUTBOUND)


class MessageStatus:
    """The life of a message: inbound ``received → processed``; outbound
    ``queued → sending → sent → delivered``, or ``failed`` (retried) and finally
    ``undeliverable`` (given up)."""

    RECEIVED: Final = "received"
    PROCESSED: Final = "processed"
    QUEUED: Final = "queued"
    SENDING: Final = "sending"
    SENT: Final = "sent"
    DELIVERED: Final = "delivered"
    FAILED: Final = "failed"
    UNDELIVERABLE: Final = "undeliverable"
    ALL: Final = (RECEIVED, PROCESSED, QUEUED, SENDING, SENT, DELIVERED, FAILED, UNDELIVERABLE)


class HomeworkStatus:
    ASSIGNED: Final = "assigned"
    DONE: Final = "done"
    MISSED: Final = "missed"
    CANCELLED: Final = "cancelled"
    ALL: Final = (ASSIGNED, DONE, MISSED, CANCELLED)


class ReminderKind:
    """What a reminder is about; it decides the wording and what a "yes" starts."""

    DIARY: Final = "diary"
    PRACTICE: Final = "practice"
    HOMEWORK: Final = "homework"
    #: The next therapy session, reminded 24 h and 1 h before it.
    SESSION: Final = "session"
    #: A nudge after some days without any message from the client.
    REENGAGE: Final = "reengage"
    #: A therapist's own question; the client's answer is kept for them.
    CHECKIN: Final = "checkin"
    ALL: Final = (DIARY, PRACTICE, HOMEWORK, SESSION, REENGAGE, CHECKIN)


class ReminderDays:
    """How ``reminders.days`` is spelled: ``daily`` or a comma list such as ``mon,thu``."""

    DAILY: Final = "daily"
    WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DeliveryStatus:
    """One occurrence of a reminder: ``pending`` (due, or retried after a failure),
    ``sending`` (claimed by the scheduler, handed to Rasa), then ``sent`` or
    ``skipped`` (with ``skip_reason``)."""

    PENDING: Final = "pending"
    SENDING: Final = "sending"
    SENT: Final = "sent"
    SKIPPED: Final = "skipped"
    ALL: Final = (PENDING, SENDING, SENT, SKIPPED)


class SkipReason:
    """Why an occurrence was not sent (``reminder_deliveries.skip_reason``)."""

    #: Older than its kind's grace window when the scheduler got to it (downtime).
    EXPIRED: Final = "expired"
    OPTED_OUT: Final = "opted_out"
    #: The client has not agreed to the terms yet: the bot's first words to them are the
    #: consent introduction, when they write, never a nudge.
    NO_CONSENT: Final = "no_consent"
    #: An open or acknowledged crisis escalation: not the moment for a nudge.
    CRISIS: Final = "crisis"
    DAILY_CAP: Final = "daily_cap"
    #: The client wrote recently, so a re-engagement nudge is not needed.
    RECENT_CONTACT: Final = "recent_contact"
    #: A re-engagement nudge for a client who has never written: nothing to come back to.
    NEVER_WROTE: Final = "never_wrote"
    #: The homework is done or cancelled, the reminder was stopped, or the client left.
    NOT_NEEDED: Final = "not_needed"
    #: No SMS or Telegram address to reach the client on.
    NO_CHANNEL: Final = "no_channel"
    ALL: Final = (
        EXPIRED,
        OPTED_OUT,
        CRISIS,
        DAILY_CAP,
        RECENT_CONTACT,
        NEVER_WROTE,
        NOT_NEEDED,
        NO_CHANNEL,
    )


class EscalationLevel:
    """Risk levels that open an escalation (the detector's ``none`` never does)."""

    MODERATE: Final = "moderate"
    HIGH: Final = "high"
    IMMINENT: Final = "imminent"
    ALL: Final = (MODERATE, HIGH, IMMINENT)


class EscalationStatus:
    OPEN: Final = "open"
    ACKNOWLEDGED: Final = "acknowledged"
    RESOLVED: Final = "resolved"
    ALL: Final = (OPEN, ACKNOWLEDGED, RESOLVED)


class OncallRole:
    PRIMARY: Final = "primary"
    BACKUP: Final = "backup"
    ALL: Final = (PRIMARY, BACKUP)


class PageTier:
    """Who a page goes to: the chain (acknowledger, primary, backup, crisis line) and admins.

    ``acknowledger`` is the therapist who acknowledged, paged beside the chain
    when new risk arrives soon after (or while they are on call); ``admin``
    pages tell the clinic's admins that nobody could be reached or nobody
    answered. Admin pages are notices, outside the chain.
    """

    PRIMARY: Final = "primary"
    BACKUP: Final = "backup"
    CRISIS_LINE: Final = "crisis_line"
    ACKNOWLEDGER: Final = "acknowledger"
    ADMIN: Final = "admin"
    ALL: Final = (PRIMARY, BACKUP, CRISIS_LINE, ACKNOWLEDGER, ADMIN)


class EscalationEventKind:
    """The steps of an escalation's timeline (``escalation_events.kind``)."""

    OPENED: Final = "opened"
    RISK_ADDED: Final = "risk_added"
    PAGED: Final = "paged"
    UNREACHABLE: Final = "unreachable"
    CHAIN_EXHAUSTED: Final = "chain_exhausted"
    ADMINS_ALERTED: Final = "admins_alerted"
    ACKNOWLEDGED: Final = "acknowledged"
    REOPENED: Final = "reopened"
    RESOLVED: Final = "resolved"
    #: A live page to someone whose account was deactivated: the chain moves on.
    PAGE_WITHDRAWN: Final = "page_withdrawn"
    #: Every page of a round was refused: the client, told a person was alerted, is told not.
    CLIENT_TOLD_NOT_REACHED: Final = "client_told_not_reached"


class TakeoverEnd:
    """Why a therapist's take-over of a conversation ended."""

    HANDED_BACK: Final = "handed_back"
    TIMED_OUT: Final = "timed_out"
    ALL: Final = (HANDED_BACK, TIMED_OUT)


class Lane:
    """Outbox lanes: crisis replies and pages never wait behind ordinary messages."""

    CRISIS: Final = "crisis"
    NORMAL: Final = "normal"
    ALL: Final = (CRISIS, NORMAL)


class PageStatus:
    PENDING: Final = "pending"
    SENT: Final = "sent"
    FAILED: Final = "failed"
    ACKNOWLEDGED: Final = "acknowledged"
    SUPERSEDED: Final = "superseded"
    ALL: Final = (PENDING, SENT, FAILED, ACKNOWLEDGED, SUPERSEDED)


# Scales (inclusive maxima; every scale starts at 0).
#: Diary-card urges (suicide, self-harm, use): the day's highest, 0–5.
URGE_MAX: Final = 5
#: Diary-card emotions (sadness, anger, fear, shame, joy), 0–5.
EMOTION_MAX: Final = 5
#: Linehan's skills-use scale, 0 (not thought about or used) to 7 (used them, helped).
SKILLS_MAX: Final = 7
#: Distress rated before and after a skill practice, 0–100.
DISTRESS_MAX: Final = 100

# Codes people read and type: no 0/O, 1/I/L look-alikes.
CODE_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: A client's code: their Rasa conversation id and how pages name them.
CLIENT_CODE_LENGTH: Final = 8
ENROLMENT_CODE_LENGTH: Final = 8
#: The code a therapist replies with to acknowledge a page (``ACK <code>``).
ESCALATION_CODE_LENGTH: Final = 6
ENROLMENT_CODE_LIFETIME: Final = timedelta(days=14)

#: Default quiet hours (client's local time) during which no reminder is sent.
DEFAULT_QUIET_START: Final = time(22, 0)
DEFAULT_QUIET_END: Final = time(8, 0)

# Column sizes that code validates against before the database does.
EMAIL_MAX_LENGTH: Final = 254
NAME_MAX_LENGTH: Final = 200
#: Phone number, Telegram chat id or conversation id.
ADDRESS_MAX_LENGTH: Final = 64
PROVIDER_ID_MAX_LENGTH: Final = 64
#: ``messages.error`` holds a short code (``twilio-30003``), never message content.
ERROR_CODE_MAX_LENGTH: Final = 64
CONSENT_VERSION_MAX_LENGTH: Final = 32
SKILL_ID_MAX_LENGTH: Final = 64
AUDIT_ACTION_MAX_LENGTH: Final = 64
#: ``audit_log.detail`` is a short note (what was viewed), never message content.
AUDIT_DETAIL_MAX_LENGTH: Final = 500


class SafetyQuestion:
    """Questions whose answer can call for a person (see :mod:`bot.safety.followup`)."""

    #: "Are you having thoughts of suicide or of hurting yourself?"
    CHECK_IN: Final = "check_in"
    #: The diary card's urge to commit suicide, and urge to self-harm, 0–5.
    URGE_SUICIDE: Final = "urge_suicide"
    URGE_SELF_HARM: Final = "urge_self_harm"
    #: The diary card's "did you self-harm today?"
    SELF_HARM_TODAY: Final = "self_harm_today"
    #: After a disclosed self-harm act: "are you hurt, or not safe right now?"
    SELF_HARM_CARE: Final = "self_harm_care"
    #: The follow-up after crisis help: "are you safe right now?"
    SAFE_NOW: Final = "safe_now"
    ALL: Final = (CHECK_IN, URGE_SUICIDE, URGE_SELF_HARM, SELF_HARM_TODAY, SELF_HARM_CARE, SAFE_NOW)
