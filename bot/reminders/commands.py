"""Clients changing their own reminders by text.

:func:`parse` reads what a client wrote ("remind me at 9pm", "no reminders on
weekends", "snooze 1 hour", "quiet hours 11pm to 7am", "no messages before
9am") into a :class:`Command`; :func:`apply` carries it out and returns the
reply. The Rasa action in between only passes text along.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reminders.schedule import QuietHours, format_days, parse_days
from bot.reminders.store import (
    add_occurrence,
    add_reminder,
    change_quiet_hours,
    client_reminders,
    deactivate,
    quiet_hours,
    reschedule,
)
from bot.storage.enums import (
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    DeliveryStatus,
    ReminderKind,
)
from bot.storage.models import Client, Reminder, ReminderDelivery

#: How to change quiet hours, said when a client asks about them.
QUIET_HOURS_HELP = (
    "To change them, text e.g. 'quiet hours 11pm to 7am', 'no messages before 9am' "
    "or 'no messages after 10pm'."
)
#: "snooze" with no duration, and "later" after a reminder.
DEFAULT_SNOOZE = timedelta(hours=1)
MAX_SNOOZE = timedelta(hours=12)
#: Only a reminder sent this recently can be snoozed.
SNOOZE_WINDOW = timedelta(hours=6)
WEEKEND = frozenset({5, 6})

#: Words clients use for each kind.
KIND_WORDS = {
    ReminderKind.DIARY: ("diary", "card", "diary card", "check in", "check-in"),
    ReminderKind.PRACTICE: ("practice", "practise", "skill", "skills"),
    ReminderKind.HOMEWORK: ("homework",),
    ReminderKind.SESSION: ("session", "appointment", "therapy"),
    ReminderKind.REENGAGE: (),
    ReminderKind.CHECKIN: ("question", "questions"),
}
KIND_NAMES = {
    ReminderKind.DIARY: "diary card",
    ReminderKind.PRACTICE: "skills practice",
    ReminderKind.HOMEWORK: "homework",
    ReminderKind.SESSION: "therapy session",
    ReminderKind.REENGAGE: "check-in after a quiet spell",
    ReminderKind.CHECKIN: "question from your therapist",
}

_TIME = re.compile(
    r"\b(?:at\s+)?(?P<hour>[01]?\d|2[0-3])(?:[:.h](?P<minute>[0-5]\d))?\s*"
    r"(?P<meridiem>a\.?m\.?|p\.?m\.?)?(?=\s|$|[.!?,])",
    re.IGNORECASE,
)
#: "20 min", "an hr", "2h", "half an hour", "20 more mins", "90 minutos", "media hora".
_DURATION = re.compile(
    r"(?P<amount>\d+|an?|one|two|three|half an?|una|media)\s*(?:more\s+)?"
    r"(?P<unit>h(?:ou)?rs?|hr?s?|horas?|min(?:ute)?s?|minutos?|m)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "una": 1}
_HALF = ("half", "media")

#: A clock time in a quiet-hours command: "11pm", "7:30 am", "23:00", "7", "midnight".
_QUIET_CLOCK = (
    r"(?:(?P<{0}_hour>[01]?\d|2[0-3])(?:[:.h](?P<{0}_minute>[0-5]\d))?\s*"
    r"(?P<{0}_meridiem>a\.?m\.?|p\.?m\.?)?|(?P<{0}_word>midnight|noon))(?![\w:])"
)
_QUIET_RANGE = re.compile(
    r"(?:\b(?:from|between)\s+)?(?<![\w:])"
    + _QUIET_CLOCK.format("start")
    + r"\s*(?:to|until|till|til|and|-|–)\s*"
    + _QUIET_CLOCK.format("end")
)
_QUIET_BEFORE = re.compile(r"\b(?:before|until|till)\s+" + _QUIET_CLOCK.format("end"))
_QUIET_AFTER = re.compile(r"\b(?:after|past)\s+" + _QUIET_CLOCK.format("start"))
#: "no messages before 9am": a refusal, and a word for being contacted.
_NO_CONTACT = re.compile(
    r"\b(no|not|don'?t|do not|never|stop)\b.*"
    r"\b(messages?|texts?|texting|msgs?|remind\w*|notifications?|contact|ping|anything)\b"
    r"|\bnothing\b"
)
#: Words that put a message about changing reminders beyond doubt (see _command_of_intent).
_REMINDER_WORDS = re.compile(
    r"remind|recordatorio|recu[eé]rda|unsubscribe|opt out|\b(texts?|texting|messages?|msgs?|"
    r"ping|notifications?)\b"
)
_WEEKEND_WORDS = re.compile(
    r"\b(weekends?|wknds?|sat(urday)?s?|sun(day)?s?|weekdays?|mon|fri(day)?|fin de semana|finde)\b"
)
_QUIET_OFF = re.compile(r"\b(no|off|remove|cancel|turn off|disable|without)\b")


@dataclass(frozen=True)
class SetTime:
    kind: str
    at: time


@dataclass(frozen=True)
class ListReminders:
    pass


@dataclass(frozen=True)
class WeekendsOff:
    pass


@dataclass(frozen=True)
class Stop:
    #: None stops every reminder.
    kind: str | None


@dataclass(frozen=True)
class Snooze:
    duration: timedelta


@dataclass(frozen=True)
class SetQuietHours:
    """New quiet hours; a side left None keeps its current time. ``start == end``: none."""

    start: time | None
    end: time | None


@dataclass(frozen=True)
class ShowQuietHours:
    """Quiet hours asked about with no times ("change my quiet hours"): say them and how."""


Command = SetTime | ListReminders | WeekendsOff | Stop | Snooze | SetQuietHours | ShowQuietHours


def parse(text: str, intent: str | None = None) -> Command | None:
    """The reminder command in ``text``, or None when it names none clearly.

    The words decide when they name a command; otherwise the NLU's ``intent``
    does, so that "push it back 20 mins", "delete my reminder" or "when will
    you text me" are carried out rather than answered with the command help.
    """
    words = " ".join(text.lower().split())
    return _command_in_words(words) or _command_of_intent(intent, words)


def _command_of_intent(intent: str | None, words: str) -> Command | None:
    """The command a reminder intent asks for, with what details the words give.

    Commands that change reminders also need the words to speak of reminders
    (or of the weekend), so that a message the NLU misread ("nothing feels
    good anymore" as stop_reminders) changes nothing; asking and snoozing are
    harmless and need no more than the intent.
    """
    if intent == "snooze_reminder":
        return Snooze(_duration(words) or DEFAULT_SNOOZE)
    if intent == "list_reminders":
        return ListReminders()
    if intent == "set_quiet_hours":
        return ShowQuietHours()
    if intent == "reminders_weekends_off" and _WEEKEND_WORDS.search(words):
        return WeekendsOff()
    if not _REMINDER_WORDS.search(words):
        return None
    if intent == "stop_reminders":
        return Stop(_kind(words))
    at = _clock(words)
    if intent == "set_reminder" and at is not None:
        return SetTime(_kind(words) or ReminderKind.DIARY, at)
    return None


def _command_in_words(words: str) -> Command | None:
    quiet = _quiet_hours_command(words)
    if quiet is not None:
        return quiet
    if re.search(r"\bsnooze\b|\blater\b", words):
        return Snooze(_duration(words) or DEFAULT_SNOOZE)
    weekend = re.search(r"\bweekends?\b|\bsat(urday)?s?\b.*\bsun(day)?s?\b", words)
    if (
        weekend
        and re.search(r"\b(no|not|don'?t|do not|never|stop|without|off|skip|alone)\b", words)
    ) or re.search(r"\bweekdays?\b.*\bonly\b|\bonly\b.*\bweekdays?\b", words):
        return WeekendsOff()
    if re.search(r"\b(stop|cancel|turn off|no more|don'?t|disable|pause)\b", words):
        return Stop(_kind(words))
    at = _clock(words)
    asks = re.search(r"\b(what|which|list|show|any)\b", words) or words.startswith("my ")
    if "remind" in words and asks and at is None:
        return ListReminders()
    if at is not None and "remind" in words:
        return SetTime(_kind(words) or ReminderKind.DIARY, at)
    return None


def apply(session: Session, client: Client, command: Command, now: datetime) -> str:
    """Carry out ``command`` for ``client``; the reply to send them."""
    if isinstance(command, SetTime):
        return _set_time(session, client, command, now)
    if isinstance(command, ListReminders):
        return describe(session, client)
    if isinstance(command, WeekendsOff):
        return _weekends_off(session, client, now)
    if isinstance(command, Stop):
        return _stop(session, client, command.kind, now)
    if isinstance(command, SetQuietHours):
        return _set_quiet_hours(session, client, command, now)
    if isinstance(command, ShowQuietHours):
        return f"{_quiet_text(quiet_hours(client), client)} {QUIET_HOURS_HELP}"
    return snooze(session, client, command.duration, now)


def describe(session: Session, client: Client) -> str:
    """The client's reminders in plain words, with their quiet hours."""
    reminders = client_reminders(session, client.id)
    quiet_text = _quiet_text(quiet_hours(client), client)
    if not reminders:
        return (
            "You have no reminders set. Text e.g. 'remind me at 9pm' for a daily diary "
            f"card reminder. {quiet_text}"
        )
    lines = [f"• {describe_one(r, client)}" for r in reminders]
    return (
        "Your reminders:\n"
        + "\n".join(lines)
        + f"\n{quiet_text}\n"
        + "Text 'stop diary reminders' or 'no reminders on weekends' to change them."
    )


def snooze(session: Session, client: Client, duration: timedelta, now: datetime) -> str:
    """Send the client's latest reminder again after ``duration``."""
    duration = min(duration, MAX_SNOOZE)
    latest = session.execute(
        select(ReminderDelivery)
        .join(Reminder, Reminder.id == ReminderDelivery.reminder_id)
        .where(
            Reminder.client_id == client.id,
            ReminderDelivery.status == DeliveryStatus.SENT,
            ReminderDelivery.sent_at >= now - SNOOZE_WINDOW,
        )
        .order_by(ReminderDelivery.sent_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is None:
        return (
            "There's no reminder to snooze right now. Text 'what reminders do I have' to see them."
        )
    due = now + duration
    add_occurrence(session, latest.reminder, due)
    local = due.astimezone(ZoneInfo(client.timezone)).time()
    return f"Okay, I'll remind you again at {_clock_text(local)}."


def _set_time(session: Session, client: Client, command: SetTime, now: datetime) -> str:
    if command.kind in (ReminderKind.SESSION, ReminderKind.HOMEWORK, ReminderKind.CHECKIN):
        return (
            f"Your {KIND_NAMES[command.kind]} reminders are set by your therapist; "
            "ask them to change the time."
        )
    existing = [
        r
        for r in client_reminders(session, client.id)
        if r.kind == command.kind and r.local_time is not None and r.homework_id is None
    ]
    if existing:
        for reminder in existing:
            reminder.local_time = command.at
        reschedule(session, existing, now)
    else:
        add_reminder(session, client, command.kind, now, local_time=command.at)
    reply = (
        f"Done: I'll remind you about your {KIND_NAMES[command.kind]} "
        f"every day at {_clock_text(command.at)}."
    )
    quiet = quiet_hours(client)
    if quiet.contains(command.at):
        reply += (
            f" That's in your quiet hours, so it will come at {_clock_text(quiet.end)} instead."
        )
    return reply


def _weekends_off(session: Session, client: Client, now: datetime) -> str:
    recurring = [r for r in client_reminders(session, client.id) if r.local_time is not None]
    if not recurring:
        return "You have no daily reminders, so there's nothing to send on weekends anyway."
    changed = []
    for reminder in recurring:
        days = parse_days(reminder.days) - WEEKEND
        if days and days != parse_days(reminder.days):
            reminder.days = format_days(days)
            changed.append(reminder)
    reschedule(session, changed, now)
    return "Okay, no reminders on Saturdays and Sundays."


def _stop(session: Session, client: Client, kind: str | None, now: datetime) -> str:
    reminders = [r for r in client_reminders(session, client.id) if kind in (None, r.kind)]
    stopped = deactivate(session, reminders, now)
    what = f"{KIND_NAMES[kind]} reminders" if kind else "reminders"
    if not stopped:
        return f"You have no {what} to stop."
    return f"Okay, no more {what}. Text 'remind me at 9pm' any time to start again."


def _set_quiet_hours(
    session: Session, client: Client, command: SetQuietHours, now: datetime
) -> str:
    current = quiet_hours(client)
    if current.start == current.end:
        # "no messages after 10pm" with none set: until the usual morning, not midnight.
        current = QuietHours(DEFAULT_QUIET_START, DEFAULT_QUIET_END)
    quiet = QuietHours(
        command.start if command.start is not None else current.start,
        command.end if command.end is not None else current.end,
    )
    change_quiet_hours(session, client, quiet, now)
    if quiet.start == quiet.end:
        return "Okay, no quiet hours: reminders come at the times they're set for."
    return (
        f"Done: {_quiet_text(quiet, client)} Reminders due then wait until "
        f"{_clock_text(quiet.end)}."
    )


def _quiet_text(quiet: QuietHours, client: Client) -> str:
    """The quiet hours in the client's own time, naming their time zone's place."""
    if quiet.start == quiet.end:
        return "You have no quiet hours set."
    place = client.timezone.rsplit("/", 1)[-1].replace("_", " ")
    return (
        f"Quiet hours: {_clock_text(quiet.start)} to {_clock_text(quiet.end)} "
        f"({place} time), nothing is sent then."
    )


def _quiet_hours_command(words: str) -> Command | None:
    """Quiet hours asked for in ``words``, or None when they are not about quiet hours."""
    about_quiet = re.search(r"\bquiet\b|\bdo not disturb\b|\bdnd\b", words) is not None
    refuses_contact = _NO_CONTACT.search(words) is not None
    if not (about_quiet or refuses_contact):
        return None
    span = _QUIET_RANGE.search(words)
    if span is not None and (about_quiet or re.search(r"\bbetween\b", words)):
        # Bare hours in a span are the night's: "11 to 7" is 11 PM to 7 AM.
        return SetQuietHours(_quiet_clock(span, "start", "pm"), _quiet_clock(span, "end", "am"))
    before = _QUIET_BEFORE.search(words)
    after = _QUIET_AFTER.search(words)
    if before is not None or after is not None:
        return SetQuietHours(
            _quiet_clock(after, "start", "pm") if after else None,
            _quiet_clock(before, "end", "am") if before else None,
        )
    if about_quiet and _QUIET_OFF.search(words) and "change" not in words:
        return SetQuietHours(time(0), time(0))
    return ShowQuietHours() if about_quiet else None


def _quiet_clock(match: re.Match[str], side: str, bare_meridiem: str) -> time | None:
    """The clock time of ``side`` in ``match``; a bare 1-12 hour takes ``bare_meridiem``."""
    word = match[f"{side}_word"]
    if word:
        return time(12) if word == "noon" else time(0)
    hour = int(match[f"{side}_hour"])
    minute = int(match[f"{side}_minute"] or 0)
    meridiem = (match[f"{side}_meridiem"] or "").replace(".", "")
    if not meridiem and 1 <= hour <= 12 and match[f"{side}_minute"] is None:
        meridiem = bare_meridiem
    if not meridiem:
        return time(hour, minute)
    if not 1 <= hour <= 12:
        return None
    hour %= 12
    return time(hour + 12 if meridiem == "pm" else hour, minute)


def describe_one(reminder: Reminder, client: Client) -> str:
    name = KIND_NAMES[reminder.kind]
    if reminder.kind == ReminderKind.CHECKIN:
        name = "a question from your therapist"
    return f"{name}: {describe_when(reminder, client)}"


def describe_when(reminder: Reminder, client: Client) -> str:
    """When a reminder goes out, in the client's time: "weekdays at 9:00 PM", "Tue 1 Dec at…"."""
    if reminder.local_time is not None:
        days = parse_days(reminder.days)
        when = (
            "every day"
            if len(days) == 7
            else "weekdays"
            if days == frozenset(range(5))
            else ", ".join(d.capitalize() for d in reminder.days.split(","))
        )
        return f"{when} at {_clock_text(reminder.local_time)}"
    assert reminder.one_off_at is not None
    local = reminder.one_off_at.astimezone(ZoneInfo(client.timezone))
    return f"{local:%a} {local.day} {local:%b} at {_clock_text(local.time())}"


def _clock(words: str) -> time | None:
    match = _TIME.search(_without_durations(words))
    if match is None:
        return None
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    meridiem = (match["meridiem"] or "").replace(".", "")
    if meridiem and not 1 <= hour <= 12:
        return None
    if meridiem == "pm" and hour != 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    if not meridiem and match["minute"] is None and "at" not in words.split():
        return None
    return time(hour, minute)


def _duration(words: str) -> timedelta | None:
    match = _DURATION.search(words)
    if match is None:
        return None
    amount_text = match["amount"]
    if amount_text.startswith(_HALF):
        return timedelta(minutes=30)
    amount = int(amount_text) if amount_text.isdigit() else _NUMBER_WORDS[amount_text]
    unit = match["unit"].lower()
    return timedelta(minutes=amount) if unit.startswith("m") else timedelta(hours=amount)


def _without_durations(words: str) -> str:
    return _DURATION.sub(" ", words)


def _kind(words: str) -> str | None:
    for kind, names in KIND_WORDS.items():
        if any(re.search(rf"\b{re.escape(name)}\b", words) for name in names):
            return kind
    return None


def _clock_text(clock: time) -> str:
    hour = clock.hour % 12 or 12
    suffix = "AM" if clock.hour < 12 else "PM"
    return f"{hour}:{clock.minute:02d} {suffix}"
