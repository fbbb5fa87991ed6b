"""Reminders in the core: time zones and DST, quiet hours, the daily cap, who gets none,
grace after downtime, occurrences that are never doubled, text commands, check-ins, the lease.

Run on SQLite and on PostgreSQL (``db_session``) where the database takes part.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clinic import (
    add_client,
    add_therapist,
    new_enrolment_code,
    record_consent,
    redeem_enrolment_code,
)
from bot.message_log import record_inbound
from bot.reminders import commands, lease
from bot.reminders.checkins import checkins_of, record_answer
from bot.reminders.delivery import DAILY_CAP, begin_send, claim_due, requeue_stale, settle_handoffs
from bot.reminders.handoff import send_due_to_outbox
from bot.reminders.prompts import open_delivery
from bot.reminders.schedule import QuietHours, after_quiet_hours, daily_instants
from bot.reminders.store import add_reminder, materialise
from bot.storage.enums import Channel, DeliveryStatus, HomeworkStatus, ReminderKind, SkipReason
from bot.storage.models import (
    Client,
    Escalation,
    Homework,
    Message,
    ReminderDelivery,
    Therapist,
    random_code,
)

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
EVERY_DAY = frozenset(range(7))
NO_QUIET = QuietHours(time(0), time(0))


def _utc(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


# --- DST, pure ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "spring_day", "gap_time", "after_gap_utc"),
    [
        # New York jumps 02:00 -> 03:00 on 14 March 2027: 02:30 does not exist.
        (NEW_YORK, (2027, 3, 14), time(2, 30), datetime(2027, 3, 14, 7, 30, tzinfo=UTC)),
        # London jumps 01:00 -> 02:00 on 28 March 2027: 01:30 does not exist.
        (LONDON, (2027, 3, 28), time(1, 30), datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
    ],
)
def test_a_reminder_in_the_skipped_hour_still_comes_once_on_spring_forward_day(
    zone: ZoneInfo, spring_day: tuple[int, int, int], gap_time: time, after_gap_utc: datetime
) -> None:
    start = datetime(*spring_day, tzinfo=UTC) - timedelta(days=1)
    instants = list(daily_instants(gap_time, EVERY_DAY, zone, start, start + timedelta(days=3)))
    on_the_day = [i for i in instants if i.astimezone(zone).date() == start.date() + timedelta(1)]
    assert on_the_day == [after_gap_utc]
    # Wall-clock: an hour after the nominal time, i.e. just after the jump.
    assert len(instants) == 3


@pytest.mark.parametrize(
    ("zone", "fall_day", "repeated_time", "first_utc"),
    [
        # New York repeats 01:00-02:00 on 1 November 2026.
        (NEW_YORK, (2026, 11, 1), time(1, 30), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        # London repeats 01:00-02:00 on 25 October 2026.
        (LONDON, (2026, 10, 25), time(1, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_a_reminder_in_the_repeated_hour_comes_once_on_fall_back_day(
    zone: ZoneInfo, fall_day: tuple[int, int, int], repeated_time: time, first_utc: datetime
) -> None:
    day_start = datetime(*fall_day, tzinfo=zone).astimezone(UTC)
    instants = list(
        daily_instants(repeated_time, EVERY_DAY, zone, day_start, day_start + timedelta(hours=25))
    )
    assert instants == [first_utc]


@pytest.mark.parametrize("zone", [NEW_YORK, LONDON])
def test_a_nine_am_reminder_stays_at_nine_local_across_both_changes(zone: ZoneInfo) -> None:
    start = datetime(2026, 10, 20, tzinfo=UTC)
    instants = list(daily_instants(time(9), EVERY_DAY, zone, start, start + timedelta(days=160)))
    assert len(instants) == 160
    assert {i.astimezone(zone).time() for i in instants} == {time(9)}
    assert len({i.astimezone(zone).date() for i in instants}) == 160


def test_quiet_hours_move_a_late_reminder_to_the_next_morning() -> None:
    quiet = QuietHours(time(22), time(8))
    late = _utc(NEW_YORK, 2026, 12, 1, 23, 15)
    early = _utc(NEW_YORK, 2026, 12, 2, 6, 0)
    fine = _utc(NEW_YORK, 2026, 12, 2, 9, 0)
    assert after_quiet_hours(late, NEW_YORK, quiet) == _utc(NEW_YORK, 2026, 12, 2, 8, 0)
    assert after_quiet_hours(early, NEW_YORK, quiet) == _utc(NEW_YORK, 2026, 12, 2, 8, 0)
    assert after_quiet_hours(fine, NEW_YORK, quiet) == fine
    assert after_quiet_hours(late, NEW_YORK, NO_QUIET) == late


# --- the database ---------------------------------------------------------------

NOW = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York


def _therapist(session: Session) -> Therapist:
    therapist, _ = add_therapist(session, email="t@clinic.test", name="Robin Park")
    return therapist


def _client(
    session: Session,
    name: str = "Casey Client",
    *,
    sms: str | None = "+15550001111",
    timezone_name: str = "America/New_York",
) -> Client:
    therapist = session.execute(select(Therapist)).scalars().first() or _therapist(session)
    client, _ = add_client(
        session,
        name=name,
        therapist_email=therapist.email,
        timezone=timezone_name,
        sms_number=sms,
    )
    record_consent(session, client, "test")
    return client


def _open_crisis(session: Session, client: Client) -> Escalation:
    escalation = Escalation(client_id=client.id, code=random_code(6), level="high")
    session.add(escalation)
    session.flush()
    return escalation


def _deliveries(session: Session, client: Client) -> list[ReminderDelivery]:
    return list(
        session.execute(
            select(ReminderDelivery)
            .join(ReminderDelivery.reminder)
            .where(ReminderDelivery.reminder.has(client_id=client.id))
            .order_by(ReminderDelivery.due_at)
        ).scalars()
    )


def _one_off(session: Session, client: Client, kind: str = ReminderKind.DIARY, **kw: object):  # type: ignore[no-untyped-def]
    return add_reminder(session, client, kind, NOW, one_off_at=NOW, **kw)  # type: ignore[arg-type]


def test_occurrences_are_rows_made_ahead_and_never_doubled(db_session: Session) -> None:
    client = _client(db_session)
    add_reminder(db_session, client, ReminderKind.DIARY, NOW, local_time=time(20))
    made_again = materialise(db_session, NOW + timedelta(minutes=5)).occurrences
    rows = _deliveries(db_session, client)
    assert made_again == 0
    assert [r.due_at for r in rows] == [
        _utc(NEW_YORK, 2026, 12, 2, 20, 0),
        _utc(NEW_YORK, 2026, 12, 3, 20, 0),
    ]
    # A day later the next one is made, the earlier ones are not made again.
    assert materialise(db_session, NOW + timedelta(days=1, minutes=1)).occurrences == 1
    assert len(_deliveries(db_session, client)) == 3


def test_occurrences_are_made_a_batch_of_reminders_at_a_time(db_session: Session) -> None:
    for number in range(3):
        client = _client(db_session, f"Client {number}", sms=f"+1555000{number:04d}")
        add_reminder(db_session, client, ReminderKind.DIARY, NOW, local_time=time(20))
    a_day_later = NOW + timedelta(days=1, minutes=1)
    assert materialise(db_session, a_day_later, limit=2) == (2, 2)
    assert materialise(db_session, a_day_later, limit=2) == (1, 1)
    assert materialise(db_session, a_day_later, limit=2) == (0, 0)


def test_a_reminder_set_during_quiet_hours_is_due_when_they_end(db_session: Session) -> None:
    client = _client(db_session)
    add_reminder(db_session, client, ReminderKind.DIARY, NOW, local_time=time(23, 30))
    first = _deliveries(db_session, client)[0]
    assert first.due_at == _utc(NEW_YORK, 2026, 12, 3, 8, 0)


def test_session_reminders_go_24_hours_and_1_hour_before(db_session: Session) -> None:
    client = _client(db_session)
    appointment = _utc(NEW_YORK, 2026, 12, 3, 15, 0)
    add_reminder(db_session, client, ReminderKind.SESSION, NOW, one_off_at=appointment)
    assert [d.due_at for d in _deliveries(db_session, client)] == [
        appointment - timedelta(hours=24),
        appointment - timedelta(hours=1),
    ]


def test_a_due_reminder_is_claimed_once_and_sent_once(db_session: Session) -> None:
    client = _client(db_session)
    _one_off(db_session, client)
    claims, skipped = claim_due(db_session, NOW)
    assert (len(claims), skipped) == (1, 0)
    assert (claims[0].channel, claims[0].address) == (Channel.SMS, "+15550001111")
    assert claim_due(db_session, NOW) == ([], 0)
    assert begin_send(db_session, claims[0].delivery_id, NOW) is True
    # A repeated hand-off (retry, restart, second scheduler) cannot send it again.
    assert begin_send(db_session, claims[0].delivery_id, NOW) is False
    assert open_delivery(db_session, claims[0].delivery_id, NOW) is None


def test_a_claim_left_by_a_dead_scheduler_is_sent_exactly_once_after_restart(
    db_session: Session,
) -> None:
    client = _client(db_session)
    _one_off(db_session, client)
    (claim,), _ = claim_due(db_session, NOW)  # the scheduler dies here
    assert requeue_stale(db_session, NOW + timedelta(seconds=5)) == 0
    assert requeue_stale(db_session, NOW + timedelta(minutes=1)) == 1
    assert send_due_to_outbox(db_session, NOW + timedelta(minutes=1)) == (1, 0)
    assert send_due_to_outbox(db_session, NOW + timedelta(minutes=2)) == (0, 0)
    # The dead scheduler's hand-off, had it reached Rasa after all, says nothing more.
    assert begin_send(db_session, claim.delivery_id, NOW + timedelta(minutes=2)) is False
    queued = db_session.execute(
        select(func.count(Message.id)).where(Message.client_id == client.id)
    ).scalar_one()
    assert queued == 1


def test_the_outbox_hand_off_queues_each_kind_in_its_own_words_once(db_session: Session) -> None:
    client = _client(db_session)
    client.quiet_start = client.quiet_end = time(0)
    therapist = db_session.execute(select(Therapist)).scalars().one()
    _one_off(db_session, client)
    _one_off(
        db_session, client, ReminderKind.CHECKIN, text="How was group?", created_by=therapist.id
    )
    assert send_due_to_outbox(db_session, NOW) == (2, 0)
    bodies = db_session.execute(
        select(Message.body, Message.buttons).where(Message.client_id == client.id)
    ).all()
    assert sorted(body.split(" ")[0] for body, _ in bodies) == ["Robin", "Time"]
    assert {d.status for d in _deliveries(db_session, client)} == {DeliveryStatus.SENT}


def test_after_downtime_a_recent_reminder_goes_late_and_an_old_one_is_skipped(
    db_session: Session,
) -> None:
    client = _client(db_session)
    client.quiet_start = client.quiet_end = time(0)  # no quiet hours: only grace decides
    before_downtime = NOW - timedelta(hours=5)
    for hours_late in (1, 2, 4):
        add_reminder(
            db_session,
            client,
            ReminderKind.DIARY,
            before_downtime,
            one_off_at=NOW - timedelta(hours=hours_late),
        )
    claims, skipped = claim_due(db_session, NOW)  # the scheduler is back
    assert len(claims) == 2 and skipped == 1
    expired = [d for d in _deliveries(db_session, client) if d.status == DeliveryStatus.SKIPPED]
    assert [(d.due_at, d.skip_reason) for d in expired] == [
        (NOW - timedelta(hours=4), SkipReason.EXPIRED)
    ]


def test_rasa_down_leaves_the_reminder_pending_for_a_retry_within_its_grace(
    db_session: Session,
) -> None:
    client = _client(db_session)
    _one_off(db_session, client)
    (claim,), _ = claim_due(db_session, NOW)
    assert settle_handoffs(db_session, [claim.delivery_id], NOW) == [claim.delivery_id]
    row = db_session.get(ReminderDelivery, claim.delivery_id)
    assert row is not None and row.status == DeliveryStatus.PENDING
    assert row is not None and row.next_attempt_at is not None and row.next_attempt_at > NOW
    assert claim_due(db_session, NOW) == ([], 0)
    (retry,), _ = claim_due(db_session, row.next_attempt_at)
    assert retry.delivery_id == claim.delivery_id
    # Still failing when the grace window is over: recorded as skipped, not retried forever.
    settle_handoffs(db_session, [retry.delivery_id], NOW + timedelta(hours=3))
    db_session.refresh(row)
    assert (row.status, row.skip_reason) == (DeliveryStatus.SKIPPED, SkipReason.EXPIRED)


def test_no_more_than_the_daily_cap_of_reminders_reach_a_client(db_session: Session) -> None:
    client = _client(db_session)
    for _ in range(DAILY_CAP + 1):
        add_reminder(db_session, client, ReminderKind.PRACTICE, NOW, one_off_at=NOW)
    claims, skipped = claim_due(db_session, NOW)
    assert (len(claims), skipped) == (DAILY_CAP, 1)
    capped = [d for d in _deliveries(db_session, client) if d.status == DeliveryStatus.SKIPPED]
    assert [d.skip_reason for d in capped] == [SkipReason.DAILY_CAP]


def test_an_opted_out_client_gets_no_reminders(db_session: Session) -> None:
    client = _client(db_session)
    client.opted_out_at = NOW - timedelta(days=1)
    _one_off(db_session, client)
    assert claim_due(db_session, NOW) == ([], 1)
    assert _deliveries(db_session, client)[0].skip_reason == SkipReason.OPTED_OUT


def test_a_client_who_has_not_agreed_to_the_terms_gets_no_reminders(db_session: Session) -> None:
    """Their first words from the bot are the consent introduction, when they write."""
    client = _client(db_session)
    client.consent_at = None
    _one_off(db_session, client)
    assert claim_due(db_session, NOW) == ([], 1)
    assert _deliveries(db_session, client)[0].skip_reason == SkipReason.NO_CONSENT


def test_a_client_in_an_open_crisis_gets_no_reminders_until_it_is_resolved(
    db_session: Session,
) -> None:
    client = _client(db_session)
    escalation = _open_crisis(db_session, client)
    _one_off(db_session, client)
    assert claim_due(db_session, NOW) == ([], 1)
    assert _deliveries(db_session, client)[0].skip_reason == SkipReason.CRISIS
    escalation.status = "resolved"
    add_reminder(db_session, client, ReminderKind.DIARY, NOW, one_off_at=NOW + timedelta(minutes=1))
    claims, _ = claim_due(db_session, NOW + timedelta(minutes=1))
    assert len(claims) == 1


def test_a_crisis_after_the_claim_still_stops_the_reminder(db_session: Session) -> None:
    client = _client(db_session)
    _one_off(db_session, client)
    (claim,), _ = claim_due(db_session, NOW)
    _open_crisis(db_session, client)
    assert open_delivery(db_session, claim.delivery_id, NOW) is None
    assert _deliveries(db_session, client)[0].skip_reason == SkipReason.CRISIS


def _wrote(session: Session, client: Client, number: str, at: datetime) -> None:
    message = record_inbound(
        session, client_id=client.id, channel=Channel.SMS, address=number, body="hello",
        provider_id=f"SM-{number}",
    )  # fmt: skip
    assert message is not None
    message.created_at = at
    session.flush()


def test_reengagement_waits_for_days_without_contact_and_skips_who_never_wrote(
    db_session: Session,
) -> None:
    quiet = _client(db_session, "Quiet Client", sms="+15550002222")
    chatty = _client(db_session, "Chatty Client", sms="+15550003333")
    silent = _client(db_session, "Never Wrote", sms="+15550004444")
    _wrote(db_session, quiet, "+15550002222", NOW - timedelta(days=4))
    _wrote(db_session, chatty, "+15550003333", NOW - timedelta(days=1))
    for client in (quiet, chatty, silent):
        add_reminder(db_session, client, ReminderKind.REENGAGE, NOW, one_off_at=NOW, after_days=3)
    claims, skipped = claim_due(db_session, NOW + timedelta(minutes=1))
    assert [c.client_id for c in claims] == [quiet.id] and skipped == 2
    reasons = {
        client.id: _deliveries(db_session, client)[0].skip_reason for client in (chatty, silent)
    }
    assert reasons == {chatty.id: SkipReason.RECENT_CONTACT, silent.id: SkipReason.NEVER_WROTE}


def test_homework_reminders_stop_once_it_is_done(db_session: Session) -> None:
    client = _client(db_session)
    therapist = db_session.execute(select(Therapist)).scalars().one()
    homework = Homework(
        client_id=client.id, assigned_by=therapist.id, title="Practice TIPP",
        due_at=NOW + timedelta(days=2), status=HomeworkStatus.ASSIGNED,
    )  # fmt: skip
    db_session.add(homework)
    db_session.flush()
    add_reminder(db_session, client, ReminderKind.HOMEWORK, NOW, one_off_at=NOW, homework=homework)
    homework.status = HomeworkStatus.DONE
    assert claim_due(db_session, NOW) == ([], 1)


def test_reminders_go_to_the_channel_the_client_last_wrote_from(db_session: Session) -> None:
    client = _client(db_session)
    code = new_enrolment_code(db_session, client)
    redeem_enrolment_code(db_session, code.code, channel=Channel.TELEGRAM, address="424242")
    record_inbound(
        db_session, client_id=client.id, channel=Channel.TELEGRAM, address="424242",
        body="hi", provider_id="tg-1",
    )  # fmt: skip
    _one_off(db_session, client)
    (claim,), _ = claim_due(db_session, NOW)
    assert (claim.channel, claim.address) == (Channel.TELEGRAM, "424242")


# --- text commands ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("remind me at 9pm", commands.SetTime(ReminderKind.DIARY, time(21))),
        ("Remind me at 8:30 am for my diary", commands.SetTime(ReminderKind.DIARY, time(8, 30))),
        (
            "remind me to practise skills at 18:00",
            commands.SetTime(ReminderKind.PRACTICE, time(18)),
        ),
        ("what reminders do I have", commands.ListReminders()),
        ("what reminders do I have?", commands.ListReminders()),
        ("no reminders on weekends", commands.WeekendsOff()),
        ("stop diary reminders", commands.Stop(ReminderKind.DIARY)),
        ("stop all reminders", commands.Stop(None)),
        ("snooze 1 hour", commands.Snooze(timedelta(hours=1))),
        ("snooze 20 min", commands.Snooze(timedelta(minutes=20))),
        ("snooze", commands.Snooze(timedelta(hours=1))),
        ("quiet hours 11pm to 7am", commands.SetQuietHours(time(23), time(7))),
        ("Quiet hours from 22:30 to 07:15", commands.SetQuietHours(time(22, 30), time(7, 15))),
        ("quiet hours 11 to 7", commands.SetQuietHours(time(23), time(7))),
        ("no messages before 9am", commands.SetQuietHours(None, time(9))),
        ("dont text me before 9", commands.SetQuietHours(None, time(9))),
        ("no texts after 10pm", commands.SetQuietHours(time(22), None)),
        ("no messages between midnight and 6am", commands.SetQuietHours(time(0), time(6))),
        ("change my quiet hours", commands.ShowQuietHours()),
        ("turn off quiet hours", commands.SetQuietHours(time(0), time(0))),
        # Not quiet hours: the weekend and stopping keep their meaning.
        ("dont message me on weekends", commands.WeekendsOff()),
        ("stop reminders on saturday and sunday", commands.WeekendsOff()),
        ("only remind me on weekdays", commands.WeekendsOff()),
        ("the weather is nice", None),
    ],
)
def test_client_reminder_commands_are_read_from_plain_text(
    text: str, command: commands.Command | None
) -> None:
    assert commands.parse(text) == command


@pytest.mark.parametrize(
    ("text", "intent", "command"),
    [
        ("push it back 20 mins", "snooze_reminder", commands.Snooze(timedelta(minutes=20))),
        ("ping me again in an hr", "snooze_reminder", commands.Snooze(timedelta(hours=1))),
        ("postpone 2h", "snooze_reminder", commands.Snooze(timedelta(hours=2))),
        ("bug me again in half an hour", "snooze_reminder", commands.Snooze(timedelta(minutes=30))),
        ("20 more mins", "snooze_reminder", commands.Snooze(timedelta(minutes=20))),
        ("try me again in 90 min", "snooze_reminder", commands.Snooze(timedelta(minutes=90))),
        ("en media hora", "snooze_reminder", commands.Snooze(timedelta(minutes=30))),
        (
            "remind me again in 10 minutes",
            "snooze_reminder",
            commands.Snooze(timedelta(minutes=10)),
        ),
        ("delete the practice reminder", "stop_reminders", commands.Stop(ReminderKind.PRACTICE)),
        ("quit sending me reminders", "stop_reminders", commands.Stop(None)),
        ("when will you text me", "list_reminders", commands.ListReminders()),
        ("only mon-fri", "reminders_weekends_off", commands.WeekendsOff()),
        (
            "text me at 9pm for my card",
            "set_reminder",
            commands.SetTime(ReminderKind.DIARY, time(21)),
        ),
        # The words still win over the intent, and an intent alone sets no time.
        ("snooze 20 min", "stop_reminders", commands.Snooze(timedelta(minutes=20))),
        ("text me every night", "set_reminder", None),
        # A misread message changes no reminder.
        ("nothing feels good anymore", "stop_reminders", None),
        ("add my dentist appt at 3", "set_reminder", None),
        ("no thanks", "reminders_weekends_off", None),
        ("push it back 20 mins", None, None),
    ],
)
def test_a_reminder_request_the_words_leave_unclear_is_read_by_its_intent(
    text: str, intent: str | None, command: commands.Command | None
) -> None:
    assert commands.parse(text, intent) == command


def test_a_client_sets_lists_limits_and_stops_reminders_by_text(db_session: Session) -> None:
    client = _client(db_session)

    def say(text: str, at: datetime = NOW) -> str:
        command = commands.parse(text)
        assert command is not None
        return commands.apply(db_session, client, command, at)

    assert "every day at 9:00 PM" in say("remind me at 9pm")
    assert "every day at 8:00 PM" in say("remind me at 8pm")
    listing = say("what reminders do I have")
    assert "diary card: every day at 8:00 PM" in listing
    assert "10:00 PM to 8:00 AM" in listing
    assert "Saturdays and Sundays" in say("no reminders on weekends")
    due = [d.due_at.astimezone(NEW_YORK) for d in _deliveries(db_session, client)]
    assert due and all(d.weekday() < 5 and d.time() == time(20) for d in due)
    assert "weekdays at 8:00 PM" in say("what reminders do I have")
    assert "no more diary card reminders" in say("stop diary reminders")
    pending = [d for d in _deliveries(db_session, client) if d.status == DeliveryStatus.PENDING]
    assert pending == []
    assert "no reminders set" in say("what reminders do I have")


def test_a_reminder_time_in_quiet_hours_says_when_it_will_really_come(
    db_session: Session,
) -> None:
    client = _client(db_session)
    reply = commands.apply(db_session, client, commands.SetTime(ReminderKind.DIARY, time(23)), NOW)
    assert "quiet hours" in reply and "8:00 AM" in reply


def test_quiet_hours_changed_by_text_move_reminders_and_are_said_in_the_clients_time(
    db_session: Session,
) -> None:
    client = _client(db_session)  # New York, default quiet hours 10 PM to 8 AM
    add_reminder(db_session, client, ReminderKind.DIARY, NOW, local_time=time(22, 30))

    def say(text: str) -> str:
        command = commands.parse(text)
        assert command is not None
        return commands.apply(db_session, client, command, NOW)

    def due_times() -> set[time]:
        pending = [d for d in _deliveries(db_session, client) if d.status == "pending"]
        return {d.due_at.astimezone(NEW_YORK).time() for d in pending}

    assert due_times() == {time(8)}
    reply = say("quiet hours 11pm to 7am")
    assert "11:00 PM to 7:00 AM (New York time)" in reply and "wait until 7:00 AM" in reply
    assert due_times() == {time(22, 30)}
    assert "11:00 PM to 9:00 AM" in say("no messages before 9am")
    assert "10:00 PM to 9:00 AM" in say("no messages after 10pm")
    assert due_times() == {time(9)}
    assert "10:00 PM to 9:00 AM (New York time)" in say("change my quiet hours")
    assert "no quiet hours" in say("turn off quiet hours")
    assert due_times() == {time(22, 30)}
    # None set: "after 10pm" means until the usual morning, not until midnight.
    assert "10:00 PM to 8:00 AM" in say("no messages after 10pm")


def test_snooze_sends_the_last_reminder_again_later(db_session: Session) -> None:
    client = _client(db_session)
    _one_off(db_session, client)
    (claim,), _ = claim_due(db_session, NOW)
    assert begin_send(db_session, claim.delivery_id, NOW)
    reply = commands.apply(db_session, client, commands.Snooze(timedelta(hours=1)), NOW)
    assert "10:00 AM" in reply
    assert claim_due(db_session, NOW + timedelta(minutes=59)) == ([], 0)
    (again,), _ = claim_due(db_session, NOW + timedelta(hours=1))
    assert again.reminder_id == claim.reminder_id


# --- check-ins and the lease -----------------------------------------------------------


def test_a_checkin_answer_is_stored_against_the_question(db_session: Session) -> None:
    client = _client(db_session)
    therapist = db_session.execute(select(Therapist)).scalars().one()
    add_reminder(
        db_session, client, ReminderKind.CHECKIN, NOW, one_off_at=NOW,
        text="How did the talk with your mom go?", created_by=therapist.id,
    )  # fmt: skip
    (claim,), _ = claim_due(db_session, NOW)
    prompt = open_delivery(db_session, claim.delivery_id, NOW)
    assert prompt is not None
    assert prompt.text.startswith("Robin asked me to check in: How did the talk with your mom go?")
    assert record_answer(db_session, claim.delivery_id, client.id, "better than I feared", NOW)
    (record,) = checkins_of(db_session, client)
    assert record.question == "How did the talk with your mom go?"
    assert [(answer, status) for _, status, answer, _ in record.asked] == [
        ("better than I feared", DeliveryStatus.SENT)
    ]
    other = _client(db_session, "Other Client", sms="+15550009999")
    assert not record_answer(db_session, claim.delivery_id, other.id, "not mine", NOW)


def test_only_one_scheduler_holds_the_reminder_lease_until_it_lapses(db_session: Session) -> None:
    name = lease.REMINDERS_LEASE
    assert lease.acquire(db_session, name, "first")
    assert not lease.acquire(db_session, name, "second")
    # Renewed, this time for no time at all: it has lapsed by the next look.
    assert lease.acquire(db_session, name, "first", ttl=0)
    assert lease.acquire(db_session, name, "second")
    assert not lease.acquire(db_session, name, "first")
    lease.release(db_session, name, "second")
    assert lease.acquire(db_session, name, "first")
