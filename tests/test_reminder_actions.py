"""Reminder actions (a Tracker from a dict, a real database) and the therapists' commands."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

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
from bot.storage import session_scope
from bot.storage.enums import DeliveryStatus, ReminderKind
from bot.storage.migrate import upgrade
from bot.storage.models import ReminderDelivery, utcnow
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
    now = utcnow()
    with session_scope() as session:
        client = client_by_code(session, DEMO)
        assert client is not None
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


def test_a_wrong_reminder_command_gets_a_one_line_error(cli_env: dict[str, str]) -> None:
    _ok(wisemind(cli_env, "demo", "seed"))
    result = wisemind(
        cli_env, "reminders", "add", "--client", "DEMO0001", "--kind", "reengage", "--at", "18:00"
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "number of days" in result.stderr
