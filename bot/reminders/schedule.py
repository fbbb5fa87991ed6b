"""When a reminder is due: local clock times in the client's time zone, as UTC instants.

Pure functions, no database. Daylight-saving changes follow PEP 495 with
``zoneinfo``: a local time that does not exist (the hour skipped at
spring-forward) maps to the same wall-clock time on the new offset, i.e.
an hour later than it would have been, so the reminder is not skipped; a
local time that exists twice (the hour repeated at fall-back) is taken once,
at its first occurrence (``fold=0``), so the reminder is not doubled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.storage.enums import ReminderDays

#: Session reminders go out this long before the appointment.
SESSION_LEADS = (timedelta(hours=24), timedelta(hours=1))


@dataclass(frozen=True)
class QuietHours:
    """Local times between which nothing is sent; ``start == end`` means none.

    A span whose end is earlier than its start runs past midnight (22:00-08:00).
    """

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """``clock`` on ``day`` in ``zone`` as a UTC instant (see the module docstring for DST)."""
    return datetime.combine(day, clock.replace(tzinfo=None), tzinfo=zone).astimezone(timezone.utc)


def parse_days(days: str) -> frozenset[int]:
    """``daily`` or ``mon,thu`` as weekday numbers (0 = Monday)."""
    if days == ReminderDays.DAILY:
        return frozenset(range(7))
    return frozenset(ReminderDays.WEEKDAYS.index(day) for day in days.split(",") if day)


def format_days(weekdays: frozenset[int]) -> str:
    """The inverse of :func:`parse_days`."""
    if len(weekdays) == len(ReminderDays.WEEKDAYS):
        return ReminderDays.DAILY
    return ",".join(ReminderDays.WEEKDAYS[day] for day in sorted(weekdays))


def daily_instants(
    clock: time, weekdays: frozenset[int], zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[datetime]:
    """Every ``clock`` local time on ``weekdays`` falling in ``[start, end)``, in order."""
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        if day.weekday() in weekdays:
            instant = local_instant(day, clock, zone)
            if start <= instant < end:
                yield instant
        day += timedelta(days=1)


def after_quiet_hours(instant: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """``instant``, or the end of the quiet hours it falls in (the client's local time)."""
    local = instant.astimezone(zone)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return instant
    end_day = local.date()
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) >= quiet.start:
        end_day += timedelta(days=1)
    return local_instant(end_day, quiet.end, zone)
