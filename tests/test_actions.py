"""Custom actions, one at a time: a Tracker built from a dict, a real database.

In the style of Rasa's financial-demo action tests: fast, and each reads as
one promise an action keeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from bot.actions.consent import ActionAskConsent, ActionRecordConsent, ValidateConsentForm
from bot.actions.diary import ActionCancelDiary, ActionSubmitDiary, ValidateDiaryForm
from bot.actions.session import ActionSessionStart
from bot.clinic import add_client, client_by_code
from bot.demo import seed_demo
from bot.diary import CARD_DAY_SLOT, DIARY_SLOTS
from bot.storage import session_scope
from bot.storage.migrate import upgrade
from bot.storage.models import DiaryEntry
from tests.action_support import DEMO

DOMAIN: dict[str, Any] = {
    "forms": {
        "diary_form": {"required_slots": list(DIARY_SLOTS)},
        "consent_form": {"required_slots": ["consent"]},
    },
    "slots": {},
}
FULL_CARD = {
    "diary_urge_suicide": 1, "diary_urge_self_harm": 0, "diary_urge_use": 2,
    "diary_self_harm": False, "diary_substance_use": True,
    "diary_sadness": 3, "diary_anger": 0, "diary_fear": 1, "diary_shame": 2, "diary_joy": 4,
    "diary_skills_used": 7, "diary_note": "",
}  # fmt: skip


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The demo clinic in a fresh SQLite database that the actions use."""
    monkeypatch.setenv("WISEMIND_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("WISEMIND_DATABASE_URL", f"sqlite:///{tmp_path / 'actions.db'}")
    upgrade()
    with session_scope() as session:
        seed_demo(session)
    yield


def tracker(
    sender: str = DEMO,
    slots: dict[str, Any] | None = None,
    new_slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    text: str = "",
) -> Tracker:
    """A tracker whose latest user message set ``new_slots`` (as Rasa's form would)."""
    events: list[dict[str, Any]] = [{"event": "user", "text": text, "parse_data": {}}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (new_slots or {}).items()]
    return Tracker(
        sender_id=sender,
        slots={**(slots or {}), **(new_slots or {})},
        latest_message={"text": text, "intent": {"name": "inform_rating"}},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


async def _run(action: Any, state: Tracker) -> tuple[list[dict[str, Any]], list[str]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, state, DOMAIN)
    texts = [m.get("text") or m.get("response") or "" for m in dispatcher.messages]
    return events, texts


async def test_diary_answer_in_words_is_stored_as_a_number(clinic: None) -> None:
    state = tracker(new_slots={"diary_urge_suicide": "three"}, active_loop="diary_form")
    events, messages = await _run(ValidateDiaryForm(), state)
    assert SlotSet("diary_urge_suicide", 3) in events
    assert messages == []


async def test_out_of_range_diary_answer_is_cleared_and_reasked(clinic: None) -> None:
    state = tracker(new_slots={"diary_anger": "8"}, active_loop="diary_form")
    events, messages = await _run(ValidateDiaryForm(), state)
    assert SlotSet("diary_anger", None) in events
    assert messages == ["That's outside the scale. Please reply with a number from 0 to 5."]


async def test_yes_no_diary_item_reads_yes_and_no(clinic: None) -> None:
    state = tracker(new_slots={"diary_self_harm": "nope", "diary_substance_use": "yeah"})
    events, _ = await _run(ValidateDiaryForm(), state)
    assert SlotSet("diary_self_harm", False) in events
    assert SlotSet("diary_substance_use", True) in events


@pytest.mark.parametrize("answer", ["i'm not safe", "no estoy a salvo", "bleeding a lot", "yes"])
async def test_not_safe_or_bleeding_to_are_you_hurt_stops_the_card_for_the_safety_protocol(
    clinic: None, answer: str
) -> None:
    """Answered in the question's own words ("not safe"), or with an injury and no yes."""
    dispatcher = CollectingDispatcher()
    slots = await ValidateDiaryForm().validate_diary_self_harm_care(
        answer, dispatcher, tracker(text=answer), DOMAIN
    )
    assert slots == {"diary_self_harm_care": True, "diary_safety_stop": True}
    assert dispatcher.messages == []


@pytest.mark.parametrize(("answer", "carries_on"), [("no", True), ("no, i'm safe", True),
                                                    ("hmm", False)])  # fmt: skip
async def test_only_a_clear_no_to_are_you_hurt_carries_on_with_the_card(
    clinic: None, answer: str, carries_on: bool
) -> None:
    """A clear no is told "I'm glad"; an answer with neither yes nor no is asked again."""
    dispatcher = CollectingDispatcher()
    slots = await ValidateDiaryForm().validate_diary_self_harm_care(
        answer, dispatcher, tracker(text=answer), DOMAIN
    )
    assert slots == {"diary_self_harm_care": False if carries_on else None}
    (said,) = [message["text"] for message in dispatcher.messages]
    assert ("I'm glad" in said) is carries_on


async def test_submitted_card_is_saved_under_the_clients_local_date(clinic: None) -> None:
    events, messages = await _run(ActionSubmitDiary(), tracker(slots=FULL_CARD))
    with session_scope() as session:
        client = client_by_code(session, DEMO)
        assert client is not None
        entries = session.execute(select(DiaryEntry).where(DiaryEntry.client_id == client.id))
        (entry,) = entries.scalars().all()
    assert (entry.urge_suicide, entry.urge_use, entry.substance_use) == (1, 2, True)
    assert entry.skills_used == 7
    assert entry.note is None
    assert isinstance(entry.entry_date, date)
    assert "Saved your diary card" in messages[0]
    assert all(SlotSet(slot, None) in events for slot in DIARY_SLOTS)


async def test_a_second_card_the_same_day_replaces_the_first(clinic: None) -> None:
    await _run(ActionSubmitDiary(), tracker(slots=FULL_CARD))
    await _run(ActionSubmitDiary(), tracker(slots={**FULL_CARD, "diary_joy": 1}))
    with session_scope() as session:
        joys = session.execute(select(DiaryEntry.joy)).scalars().all()
    assert joys == [1]


def _demo_today() -> date:
    """The demo client's date now, in their time zone (America/New_York)."""
    return datetime.now(ZoneInfo("America/New_York")).date()


async def test_a_new_card_is_about_the_day_it_is_started(clinic: None) -> None:
    events, messages = await _run(ValidateDiaryForm(), tracker(text="diary"))
    assert SlotSet(CARD_DAY_SLOT, _demo_today().isoformat()) in events
    assert messages == []


async def test_a_card_picked_up_the_next_day_says_which_day_it_is_for(clinic: None) -> None:
    yesterday = _demo_today() - timedelta(days=1)
    slots = {"diary_urge_suicide": 0, CARD_DAY_SLOT: yesterday.isoformat()}
    events, messages = await _run(ValidateDiaryForm(), tracker(slots=slots, text="resume"))
    assert messages == [f"This card is for {yesterday:%a %d %b}, the day you started it. "
                        "Answer for that day."]  # fmt: skip
    assert not [e for e in events if e.get("name") == CARD_DAY_SLOT]
    mid_card = tracker(
        slots=slots, new_slots={"diary_urge_self_harm": "1"}, active_loop="diary_form"
    )
    _, messages = await _run(ValidateDiaryForm(), mid_card)
    assert messages == []


async def test_a_card_paused_one_day_and_finished_the_next_is_saved_under_its_first_day(
    clinic: None,
) -> None:
    yesterday = _demo_today() - timedelta(days=1)
    slots = {**FULL_CARD, CARD_DAY_SLOT: yesterday.isoformat()}
    events, messages = await _run(ActionSubmitDiary(), tracker(slots=slots))
    with session_scope() as session:
        (entry_date,) = session.execute(select(DiaryEntry.entry_date)).scalars().all()
    assert entry_date == yesterday
    assert f"Saved your diary card for {yesterday:%a %d %b}." in messages[0]
    assert SlotSet(CARD_DAY_SLOT, None) in events


async def test_card_from_an_unknown_conversation_is_not_saved(clinic: None) -> None:
    _, messages = await _run(ActionSubmitDiary(), tracker(sender="NOSUCH99", slots=FULL_CARD))
    with session_scope() as session:
        assert session.execute(select(DiaryEntry)).first() is None
    assert "can't find your enrollment" in messages[0]


async def test_pausing_the_diary_keeps_every_answer_for_resume(clinic: None) -> None:
    events, messages = await _run(ActionCancelDiary(), tracker(slots={"diary_urge_suicide": 2}))
    assert ActiveLoop(None) in events
    assert SlotSet("paused_activity", "diary") in events
    assert not [e for e in events if e.get("name") == "diary_urge_suicide"]
    assert messages == ["utter_diary_cancelled"]


async def test_a_second_card_the_same_day_says_it_replaces_the_first(clinic: None) -> None:
    _, first = await _run(ActionSubmitDiary(), tracker(slots=FULL_CARD))
    _, second = await _run(ActionSubmitDiary(), tracker(slots=FULL_CARD))
    assert "replaces" not in first[0]
    assert "It replaces the card you sent earlier that day." in second[0]


async def test_the_read_back_includes_the_note(clinic: None) -> None:
    card = {**FULL_CARD, "diary_note": "used opposite action at work"}
    _, messages = await _run(ActionSubmitDiary(), tracker(slots=card))
    assert "Note: used opposite action at work" in messages[0]


async def test_session_start_puts_a_client_without_consent_into_the_consent_form(
    clinic: None,
) -> None:
    with session_scope() as session:
        client, _ = add_client(
            session, name="Robin Example", therapist_email="therapist@demo.clinic",
            timezone="America/Chicago",
        )  # fmt: skip
        code = client.code
    events, _ = await _run(ActionSessionStart(), tracker(sender=code))
    assert ActiveLoop("consent_form") in events
    assert SlotSet("client_first_name", "Robin") in events
    assert events[-1]["event"] == "action"


async def test_session_start_for_a_consented_client_starts_no_form(clinic: None) -> None:
    events, _ = await _run(ActionSessionStart(), tracker(sender=DEMO))
    assert not [e for e in events if e["event"] == "active_loop"]
    assert SlotSet("crisis_line", "988") in events


async def test_consent_is_only_taken_after_the_introduction_was_shown(clinic: None) -> None:
    before = tracker(new_slots={"consent": "yes"}, active_loop="consent_form")
    events, _ = await _run(ValidateConsentForm(), before)
    assert SlotSet("consent", None) in events
    after = tracker(
        slots={"consent_introduced": True}, new_slots={"consent": "yes"},
        active_loop="consent_form",
    )  # fmt: skip
    events, _ = await _run(ValidateConsentForm(), after)
    assert SlotSet("consent", True) in events


async def test_introduction_names_the_crisis_numbers(clinic: None) -> None:
    _, messages = await _run(ActionAskConsent(), tracker(slots={"crisis_line": "988"}))
    assert "NOT an emergency service" in messages[0]
    assert "988" in messages[0]


async def test_recorded_consent_is_stored_with_its_version(clinic: None) -> None:
    with session_scope() as session:
        client, _ = add_client(
            session, name="Kai", therapist_email="therapist@demo.clinic", timezone="UTC"
        )
        code = client.code
    await _run(ActionRecordConsent(), tracker(sender=code, slots={"consent": True}))
    with session_scope() as session:
        stored = client_by_code(session, code)
        assert stored is not None
        assert stored.consent_at is not None
        assert stored.consent_version
