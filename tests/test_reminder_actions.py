"""Reminder actions (a Tracker from a dict, a real database) and the therapists' commands."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.homework import (
    ActionHomeworkReminderDone,
    ActionRecordHomework,
    ValidateHomeworkForm,
)
from bot.actions.reminders import (
    ActionDeliverReminder,
    ActionReminderCommand,
    ActionSnoozeReminder,
    ActionSubmitCheckin,
)
from bot.clinic import client_by_code
from bot.demo import seed_demo
from bot.reminders.delivery import claim_due
from bot.reminders.store import add_reminder
from bot.skills import load_library
from bot.skills.homework import assign_homework
from bot.storage import create_engine_for, session_scope
from bot.storage.enums import DeliveryStatus, HomeworkStatus, ReminderKind
from bot.storage.migrate import upgrade
from bot.storage.models import Homework, ReminderDelivery, utcnow
from tests.test_cli import cli_env, wisemind

DEMO = "DEMO0001"
__all__ = ["cli_env"]  # the fixture, used by name below


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The demo clinic in a fresh SQLite database that the actions use."""
    monkeypatch.setenv("WISEMIND_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("WISEMIND_DATABASE_URL", f"sqlite:///{tmp_path / 'actions.db'}")
    upgrade()
    with session_scope() as session:
        seed_demo(session)
    yield


def _tracker(
    text: str = "",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
) -> Tracker:
    return Tracker(
        sender_id=DEMO,
        slots=slots or {},
        latest_message={"text": text, "intent": {"name": "x"}, "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def _run(action: Any, state: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, state, {})
    return events, dispatcher.messages


def _claimed(kind: str = ReminderKind.DIARY, **options: Any) -> int:
    """A reminder due now, claimed by the scheduler for delivery.

    Tests run at any hour: the demo client's quiet hours (10 PM to 8 AM) would
    hold a reminder due now until the morning, so here they have none.
    """
    now = utcnow()
    with session_scope() as session:
        client = client_by_code(session, DEMO)
        assert client is not None
        client.quiet_start = client.quiet_end = time(0)
        add_reminder(session, client, kind, now, one_off_at=now, **options)
        (claim,), _ = claim_due(session, now)
        return claim.delivery_id


def _trigger(delivery_id: int) -> Tracker:
    return _tracker(entities=[{"entity": "delivery_id", "value": delivery_id}])


async def test_a_diary_reminder_asks_with_yes_and_later_and_sets_what_yes_starts(
    clinic: None,
) -> None:
    delivery_id = _claimed()
    events, messages = await _run(ActionDeliverReminder(), _trigger(delivery_id))
    (message,) = messages
    assert "diary card" in message["text"]
    assert [b["title"] for b in message["buttons"]] == ["Yes", "Later"]
    assert SlotSet("reminder_offer", "diary") in events
    with session_scope() as session:
        delivery = session.get(ReminderDelivery, delivery_id)
        assert delivery is not None and delivery.status == DeliveryStatus.SENT


async def test_a_repeated_trigger_of_the_same_reminder_says_nothing(clinic: None) -> None:
    delivery_id = _claimed()
    events, _ = await _run(ActionDeliverReminder(), _trigger(delivery_id))
    assert SlotSet("reminder_offer", "diary") in events
    again = _trigger(delivery_id)
    again.slots["reminder_offer"] = "diary"
    events, messages = await _run(ActionDeliverReminder(), again)
    assert messages == []
    # What the first one offered still stands: a "yes" now still starts the card.
    assert events == [SlotSet("reminder_offer", "diary")]


async def test_later_snoozes_the_reminder_for_an_hour(clinic: None) -> None:
    delivery_id = _claimed()
    await _run(ActionDeliverReminder(), _trigger(delivery_id))
    _, messages = await _run(ActionSnoozeReminder(), _tracker("later"))
    assert messages[0]["text"].startswith("Okay, I'll remind you again at")
    with session_scope() as session:
        pending = session.query(ReminderDelivery).filter_by(status=DeliveryStatus.PENDING).all()
        assert len(pending) == 1
        assert pending[0].due_at - utcnow() > timedelta(minutes=58)


async def test_push_it_back_snoozes_the_reminder_for_the_time_asked(clinic: None) -> None:
    delivery_id = _claimed()
    await _run(ActionDeliverReminder(), _trigger(delivery_id))
    asked = _tracker("push it back 20 mins")
    asked.latest_message["intent"] = {"name": "snooze_reminder"}
    _, messages = await _run(ActionReminderCommand(), asked)
    assert messages[0]["text"].startswith("Okay, I'll remind you again at")
    with session_scope() as session:
        pending = session.query(ReminderDelivery).filter_by(status=DeliveryStatus.PENDING).all()
        assert len(pending) == 1
        assert timedelta(minutes=18) < pending[0].due_at - utcnow() <= timedelta(minutes=20)


async def test_a_client_sets_and_lists_reminders_by_text(clinic: None) -> None:
    _, messages = await _run(ActionReminderCommand(), _tracker("remind me at 9pm"))
    assert "every day at 9:00 PM" in messages[0]["text"]
    _, messages = await _run(ActionReminderCommand(), _tracker("what reminders do I have"))
    assert "diary card: every day at 9:00 PM" in messages[0]["text"]
    _, messages = await _run(ActionReminderCommand(), _tracker("reminders blah"))
    assert "remind me at 9pm" in messages[0]["text"]


async def test_the_answer_to_a_checkin_is_kept_for_the_therapist(clinic: None) -> None:
    delivery_id = _claimed(ReminderKind.CHECKIN, text="How was the week?")
    events, messages = await _run(ActionDeliverReminder(), _trigger(delivery_id))
    assert "How was the week?" in messages[0]["text"]
    assert SlotSet("reminder_offer", "checkin") in events
    slots = {"checkin_answer": "hard but ok", "reminder_delivery_id": delivery_id}
    _, messages = await _run(ActionSubmitCheckin(), _tracker(slots=slots))
    assert "kept your answer" in messages[0]["text"]
    with session_scope() as session:
        delivery = session.get(ReminderDelivery, delivery_id)
        assert delivery is not None and delivery.answer == "hard but ok"


def _homework_reminder() -> tuple[int, int]:
    """DEAR MAN homework due tomorrow, and its reminder claimed now: (homework, occurrence)."""
    with session_scope() as session:
        homework = assign_homework(
            session, load_library(), client_code=DEMO, therapist_email="therapist@demo.clinic",
            due_at=utcnow() + timedelta(days=1), skill="dear man",
        )  # fmt: skip
        homework_id = homework.id
    return homework_id, _claimed(ReminderKind.HOMEWORK, homework=homework)


async def test_a_yes_to_a_homework_reminder_asks_how_it_went_and_records_it_done(
    clinic: None,
) -> None:
    homework_id, delivery_id = _homework_reminder()
    events, messages = await _run(ActionDeliverReminder(), _trigger(delivery_id))
    assert "Practice DEAR MAN" in messages[0]["text"] and "Done it already?" in messages[0]["text"]
    assert SlotSet("reminder_offer", "homework") in events

    slots = {"reminder_offer": "homework", "reminder_delivery_id": delivery_id}
    events, messages = await _run(ActionHomeworkReminderDone(), _tracker("yes", slots=slots))
    assert "well done" in messages[0]["text"]
    assert SlotSet("homework_id", homework_id) in events
    assert SlotSet("homework_done", True) in events
    assert SlotSet("reminder_offer", None) in events
    # The homework form takes the "yes" as its answer and asks only how it went.
    validated = await ValidateHomeworkForm().validate_homework_done(
        True, CollectingDispatcher(), _tracker("yes"), {}
    )
    assert validated == {"homework_done": True}

    report = {"homework_id": homework_id, "homework_done": True, "homework_report": "it helped"}
    _, messages = await _run(ActionRecordHomework(), _tracker("it helped", slots=report))
    assert "noted it for your therapist" in messages[0]["text"]
    with session_scope() as session:
        stored = session.get(Homework, homework_id)
        assert stored is not None
        assert (stored.status, stored.client_report) == (HomeworkStatus.DONE, "it helped")


async def test_a_yes_to_a_reminder_of_homework_already_reported_records_nothing_more(
    clinic: None,
) -> None:
    homework_id, delivery_id = _homework_reminder()
    with session_scope() as session:
        homework = session.get(Homework, homework_id)
        assert homework is not None
        homework.status = HomeworkStatus.DONE
    slots = {"reminder_offer": "homework", "reminder_delivery_id": delivery_id}
    events, messages = await _run(ActionHomeworkReminderDone(), _tracker("yes", slots=slots))
    assert "already noted" in messages[0]["text"]
    assert events == [SlotSet("reminder_offer", None)]


async def test_quiet_hours_asked_without_times_are_shown_with_how_to_change_them(
    clinic: None,
) -> None:
    asked = _tracker("can you do the quiet thing")
    asked.latest_message["intent"] = {"name": "set_quiet_hours"}
    _, messages = await _run(ActionReminderCommand(), asked)
    assert "10:00 PM to 8:00 AM (New York time)" in messages[0]["text"]
    assert "quiet hours 11pm to 7am" in messages[0]["text"]


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_therapists_add_list_and_remove_reminders_and_checkins(cli_env: dict[str, str]) -> None:
    _ok(wisemind(cli_env, "demo", "seed"))
    added = _ok(
        wisemind(cli_env, "reminders", "add", "--client", "demo0001", "--kind", "diary",
                 "--at", "20:00", "--days", "weekdays", "--therapist", "therapist@demo.clinic")
    )  # fmt: skip
    reminder_id = added.split("reminder ")[1].split()[0]
    _ok(
        wisemind(cli_env, "reminders", "add", "--client", "DEMO0001", "--kind", "session",
                 "--on", "2030-01-07 15:00")
    )  # fmt: skip
    listing = _ok(wisemind(cli_env, "reminders", "list", "--client", "DEMO0001"))
    assert "diary card: weekdays at 8:00 PM" in listing
    assert "therapy session: Mon 7 Jan at 3:00 PM" in listing
    _ok(wisemind(cli_env, "reminders", "remove", reminder_id))
    tomorrow = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)).date()
    assert "diary" not in _ok(wisemind(cli_env, "reminders", "list", "--client", "DEMO0001"))
    _ok(
        wisemind(cli_env, "checkin", "add", "--client", "DEMO0001", "--therapist",
                 "therapist@demo.clinic", "--question", "How did DEAR MAN go?", "--on",
                 f"{tomorrow} 18:00")
    )  # fmt: skip
    checkins = _ok(wisemind(cli_env, "checkin", "list", "--client", "DEMO0001"))
    assert "How did DEAR MAN go?" in checkins
    assert f"{tomorrow} 18:00 pending: no answer yet" in checkins


def test_a_therapist_sets_a_clients_quiet_hours(cli_env: dict[str, str]) -> None:
    _ok(wisemind(cli_env, "demo", "seed"))
    _ok(wisemind(cli_env, "reminders", "add", "--client", "DEMO0001", "--kind", "diary",
                 "--at", "22:30"))  # fmt: skip
    said = _ok(wisemind(cli_env, "reminders", "quiet", "demo0001", "23:00", "07:30"))
    assert said.strip() == (
        "Quiet hours for DEMO0001: 23:00 to 07:30 (America/New_York); 1 reminder(s) rescheduled."
    )
    engine = create_engine_for(cli_env["WISEMIND_DATABASE_URL"])
    with session_scope(engine) as session:
        client = client_by_code(session, DEMO)
        assert client is not None
        assert (client.quiet_start, client.quiet_end) == (time(23), time(7, 30))
        # 10:30 PM is no longer quiet: the next diary reminder comes then, not at 7:30 AM.
        due = session.query(ReminderDelivery).filter_by(status=DeliveryStatus.PENDING).all()
        zone = ZoneInfo(client.timezone)
        assert due and {d.due_at.astimezone(zone).time() for d in due} == {time(22, 30)}
    engine.dispose()
    bad = wisemind(cli_env, "reminders", "quiet", "DEMO0001", "11pm", "7am")
    assert bad.returncode == 2 and "Expected a time like 09:00" in bad.stderr


def test_a_wrong_reminder_command_gets_a_one_line_error(cli_env: dict[str, str]) -> None:
    _ok(wisemind(cli_env, "demo", "seed"))
    result = wisemind(
        cli_env, "reminders", "add", "--client", "DEMO0001", "--kind", "reengage", "--at", "18:00"
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "number of days" in result.stderr
