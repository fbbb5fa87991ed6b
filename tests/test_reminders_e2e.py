"""Reminders through the real Rasa server: scheduler processes, ``trigger_intent``, the outbox.

The session's ``wisemind run`` leaves reminders to these tests' own
``wisemind scheduler`` processes (``WISEMIND_REMINDERS_ENABLED=false`` for
its own), so that one can be killed with SIGKILL mid-hand-off and another
started in its place, on the same database, against the same Rasa server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import time as dt_time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clinic import client_by_code
from bot.reminders.store import add_reminder
from bot.skills import load_library
from bot.skills.homework import assign_homework
from bot.storage import session_scope
from bot.storage.enums import DeliveryStatus, HomeworkStatus, ReminderKind
from bot.storage.models import Homework, Reminder, ReminderDelivery, Therapist, utcnow
from tests.servers import (
    CLINIC_THERAPIST,
    QUIET_SECONDS,
    ChatClient,
    Phone,
    RunningWiseMind,
    enrol_client,
    new_phone,
    poll_until,
    reminder_scheduler,
)
from tests.standins import TelegramStandin, TwilioStandin

#: A killed scheduler's lease lapses, then its claim goes stale (bot.reminders): well within this.
TAKEOVER_TIMEOUT = 90.0


@contextmanager
def hung_rasa() -> Iterator[int]:
    """A port that accepts connections and never answers: Rasa stuck mid-request."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


def _reminder_for(
    server: RunningWiseMind,
    code: str,
    kind: str = ReminderKind.DIARY,
    text: str | None = None,
    homework_id: int | None = None,
) -> int:
    """A one-off reminder due now; returns its occurrence's id."""
    now = utcnow()
    with session_scope(server.engine) as session:
        client = client_by_code(session, code)
        assert client is not None
        # Tests run at any hour: quiet hours would move the reminder to the morning.
        client.quiet_start = client.quiet_end = client.quiet_start.replace(hour=0, minute=0)
        therapist = session.execute(select(Therapist)).scalars().first()
        homework = session.get(Homework, homework_id) if homework_id is not None else None
        reminder = add_reminder(
            session, client, kind, now, one_off_at=now, text=text,
            created_by=therapist.id if therapist else None, homework=homework,
        )  # fmt: skip
        return session.execute(
            select(ReminderDelivery.id).where(ReminderDelivery.reminder_id == reminder.id)
        ).scalar_one()


def _delivery(server: RunningWiseMind, delivery_id: int) -> ReminderDelivery:
    with session_scope(server.engine) as session:
        delivery = session.get(ReminderDelivery, delivery_id)
        assert delivery is not None
        return delivery


def _wait(condition: Callable[[], bool], timeout: float = TAKEOVER_TIMEOUT) -> bool:
    return bool(poll_until(condition, bool, timeout))


def _sms_phone(server: RunningWiseMind, twilio: TwilioStandin) -> Phone:
    phone = Phone(server, twilio, new_phone())
    phone.code = enrol_client(server, consented=True, sms_number=phone.number)
    return phone


def test_a_scheduler_killed_mid_hand_off_is_replaced_and_the_reminder_is_sent_exactly_once(
    wisemind: RunningWiseMind,
    providers: tuple[TwilioStandin, TelegramStandin],
    tmp_path: Path,
) -> None:
    twilio, _ = providers
    phone = _sms_phone(wisemind, twilio)
    delivery_id = _reminder_for(wisemind, phone.code)
    with (
        hung_rasa() as port,
        reminder_scheduler(wisemind, tmp_path / "first.log", rasa_port=port) as first,
    ):
        claimed = _wait(lambda: _delivery(wisemind, delivery_id).status == DeliveryStatus.SENDING)
        assert claimed, (tmp_path / "first.log").read_text()[-3000:]
        os.kill(first.pid, signal.SIGKILL)  # between due and sent
        first.wait()
    assert _delivery(wisemind, delivery_id).status == DeliveryStatus.SENDING

    with reminder_scheduler(wisemind, tmp_path / "second.log"):
        # The dead scheduler's lease lapses, then its claim goes stale and is retried.
        sent = poll_until(lambda: twilio.messages_to(phone.number), bool, TAKEOVER_TIMEOUT)
        assert sent, (tmp_path / "second.log").read_text()[-3000:]
        assert "diary card" in sent[0].body
        time.sleep(QUIET_SECONDS)
        assert len(phone.sent_bodies()) == 1
        delivery = _delivery(wisemind, delivery_id)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)

        # The reminder's "yes" continues into the diary card, in the same conversation.
        assert "Urge to commit suicide" in phone.reply_to("yes")


def test_a_repeated_trigger_for_a_sent_reminder_sends_nothing_more(
    wisemind: RunningWiseMind,
    providers: tuple[TwilioStandin, TelegramStandin],
    tmp_path: Path,
) -> None:
    twilio, _ = providers
    phone = _sms_phone(wisemind, twilio)
    delivery_id = _reminder_for(wisemind, phone.code, ReminderKind.PRACTICE, text="TIPP")
    with reminder_scheduler(wisemind, tmp_path / "scheduler.log"):
        assert "practice TIPP" in phone.replies(1)[0].body
        # What a scheduler that died after Rasa answered, but before recording it, would redo.
        status = _trigger(wisemind, phone.code, delivery_id)
        assert status == 200
        time.sleep(QUIET_SECONDS)
        assert len(phone.sent_bodies()) == 1
        assert "well done" in phone.reply_to("yes").lower()


def test_a_checkin_question_goes_out_and_the_answer_is_kept_for_the_therapist(
    wisemind: RunningWiseMind,
    providers: tuple[TwilioStandin, TelegramStandin],
    tmp_path: Path,
) -> None:
    twilio, _ = providers
    phone = _sms_phone(wisemind, twilio)
    question = "How did the conversation with your mom go?"
    delivery_id = _reminder_for(wisemind, phone.code, ReminderKind.CHECKIN, text=question)
    with reminder_scheduler(wisemind, tmp_path / "scheduler.log"):
        assert question in phone.replies(1)[0].body
        assert "kept your answer" in phone.reply_to("better than I expected honestly")
    assert _delivery(wisemind, delivery_id).answer == "better than I expected honestly"


def test_a_yes_to_a_homework_reminder_leads_into_the_report_and_marks_it_done(
    wisemind: RunningWiseMind,
    providers: tuple[TwilioStandin, TelegramStandin],
    tmp_path: Path,
) -> None:
    twilio, _ = providers
    phone = _sms_phone(wisemind, twilio)
    with session_scope(wisemind.engine) as session:
        homework_id = assign_homework(
            session, load_library(), client_code=phone.code, therapist_email=CLINIC_THERAPIST,
            due_at=utcnow() + timedelta(days=2), skill="dear man",
        ).id  # fmt: skip
    _reminder_for(wisemind, phone.code, ReminderKind.HOMEWORK, homework_id=homework_id)
    with reminder_scheduler(wisemind, tmp_path / "scheduler.log"):
        assert "Practice DEAR MAN" in phone.replies(1)[0].body
        asked = phone.reply_to("yes")
        assert "well done" in asked and "How did it go" in asked
        report = "used it to ask my boss for a day off"
        assert "noted it for your therapist" in phone.reply_to(report)
    with session_scope(wisemind.engine) as session:
        homework = session.get(Homework, homework_id)
        assert homework is not None
        assert (homework.status, homework.client_report) == (HomeworkStatus.DONE, report)


def test_a_client_sets_quiet_hours_by_text_and_hears_them_in_their_own_time(
    client: ChatClient,
) -> None:
    set_hours = client.say_joined("quiet hours 11pm to 7am")
    assert "11:00 PM to 7:00 AM (New York time)" in set_hours
    assert "11:00 PM to 9:00 AM (New York time)" in client.say_joined("no messages before 9am")
    shown = client.say_joined("change my quiet hours")
    assert "11:00 PM to 9:00 AM" in shown and "quiet hours 11pm to 7am" in shown
    with session_scope(client.server.engine) as session:
        found = client_by_code(session, client.code)
        assert found is not None
        assert (found.quiet_start, found.quiet_end) == (dt_time(23), dt_time(9))


def test_a_telegram_client_gets_the_reminder_on_telegram(
    wisemind: RunningWiseMind,
    providers: tuple[TwilioStandin, TelegramStandin],
    tmp_path: Path,
) -> None:
    _, telegram = providers
    chat_id = str(900_000 + int(time.time()) % 99_999)
    code = enrol_client(wisemind, consented=True, telegram_chat_id=chat_id)
    _reminder_for(wisemind, code)
    with reminder_scheduler(wisemind, tmp_path / "scheduler.log"):
        sent = poll_until(lambda: telegram.messages_to(int(chat_id)), bool)
    assert sent and "diary card" in sent[0].text


def test_a_client_changes_their_reminders_by_text(client: ChatClient) -> None:
    assert "every day at 9:00 PM" in client.say_joined("remind me at 9pm")
    listing = client.say_joined("what reminders do I have")
    assert "diary card: every day at 9:00 PM" in listing
    assert "Saturdays and Sundays" in client.say_joined("no reminders on weekends")
    assert "weekdays at 9:00 PM" in client.say_joined("what reminders do I have")
    assert "no reminder to snooze" in client.say_joined("snooze 1 hour")
    assert "no more diary card reminders" in client.say_joined("stop diary reminders")
    with session_scope(client.server.engine) as session:
        found = client_by_code(session, client.code)
        assert found is not None
        reminders = session.execute(
            select(Reminder).where(Reminder.client_id == found.id)
        ).scalars()
        assert [(r.kind, r.active, r.days) for r in reminders] == [
            ("diary", False, "mon,tue,wed,thu,fri")
        ]


def _trigger(server: RunningWiseMind, code: str, delivery_id: int) -> int:
    request = urllib.request.Request(
        f"{server.rasa_url}/conversations/{code}/trigger_intent"
        f"?output_channel=twilio_sms&token={server.api_token}",
        data=json.dumps(
            {"name": "EXTERNAL_reminder", "entities": {"delivery_id": delivery_id}}
        ).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(response.status)
