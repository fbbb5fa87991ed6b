"""The crisis actions one at a time: the follow-up, the safety questions, no double pages.

Trackers built from dicts, a real (SQLite) database, as in ``tests/test_actions.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from sqlalchemy import select

from bot.actions.crisis import (
    ActionAskCrisisSafeNow,
    ActionAskSuicidalThoughts,
    ActionCrisisCheckInAnswer,
    ActionCrisisFollowupClose,
    ActionCrisisProtocol,
    ValidateCrisisFollowupForm,
    escalate,
)
from bot.actions.diary import ActionAskDiaryUrgeSuicide, ActionSubmitDiary, ValidateDiaryForm
from bot.actions.session import SESSION_START_METADATA_SLOT, ActionSessionStart
from bot.clinic import client_by_code, therapist_by_email
from bot.diary import DIARY_SLOTS, SELF_HARM_CARE_SLOT
from bot.intake import ANSWERED_QUESTION, CHECK_IN_ASKED, CRISIS_REPLIED
from bot.settings import process_settings
from bot.storage import session_scope
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Escalation, Message, OncallShift, Page, PendingSafetyQuestion
from tests.action_support import run_action, tracker_after
from tests.conftest import demo_staff_as_real_rota
from tests.test_actions import DEMO, DOMAIN, FULL_CARD, clinic  # noqa: F401

FOLLOWUP_DOMAIN: dict[str, Any] = {
    **DOMAIN,
    "forms": {
        **DOMAIN["forms"],
        "diary_form": {"required_slots": [*DIARY_SLOTS[:4], SELF_HARM_CARE_SLOT, *DIARY_SLOTS[4:]]},
        "crisis_followup_form": {"required_slots": ["crisis_safe_now", "crisis_support"]},
    },
}


def conversation(
    text: str = "",
    *,
    slots: dict[str, Any] | None = None,
    new_slots: dict[str, Any] | None = None,
    crisis_replied: bool = False,
    check_in_asked: bool = False,
    crisis_categories: tuple[str, ...] = (),
    active_loop: str | None = None,
    loop_before: str | None = None,
) -> Tracker:
    """The demo client's conversation after ``text``, as Rasa hands it to an action.

    ``new_slots`` were set from ``text`` (by a form's slot mapping), for validation;
    ``loop_before`` was the form running when ``text`` came.
    """
    metadata = {"message_id": 1, CRISIS_REPLIED: crisis_replied, CHECK_IN_ASKED: check_in_asked}
    latest = {
        "text": text,
        "intent": {"name": "affirm"},
        "crisis": {"level": "moderate", "categories": list(crisis_categories), "evidence": []},
    }
    before = [{"event": "active_loop", "name": loop_before}] if loop_before else []
    return tracker_after(
        latest,
        {"event": "user", "text": text, "parse_data": latest, "metadata": metadata},
        slots=slots,
        new_slots=new_slots,
        active_loop=active_loop,
        events_before=before,
    )


async def _run(action: Any, state: Tracker) -> tuple[list[dict[str, Any]], list[str]]:
    return await run_action(action, state, FOLLOWUP_DOMAIN)


def _pending_kind() -> str | None:
    with session_scope() as session:
        pending = session.execute(select(PendingSafetyQuestion)).scalar_one_or_none()
        return pending.kind if pending else None


def _escalations() -> list[tuple[str, list[str]]]:
    with session_scope() as session:
        rows = session.execute(select(Escalation.level, Escalation.categories)).all()
        return [(level, json.loads(categories)) for level, categories in rows]


async def test_asking_the_check_in_records_it_so_the_answer_pages_without_rasa(
    clinic: None,  # noqa: F811
) -> None:
    _, messages = await _run(ActionAskSuicidalThoughts(), conversation("whats the point"))
    assert "thoughts of suicide" in messages[0]
    assert _pending_kind() == "check_in"


async def test_the_check_in_the_core_already_asked_is_not_asked_a_second_time(
    clinic: None,  # noqa: F811
) -> None:
    state = conversation("everyone would be better off without me", check_in_asked=True)
    assert await _run(ActionAskSuicidalThoughts(), state) == ([], [])
    assert _pending_kind() is None  # the core recorded its own question; none is added


async def test_asking_a_diary_urge_records_it_so_the_answer_pages_without_rasa(
    clinic: None,  # noqa: F811
) -> None:
    await _run(ActionAskDiaryUrgeSuicide(), conversation("diary"))
    assert _pending_kind() == "urge_suicide"


async def test_a_disclosed_self_harm_act_gets_asked_about_injuries_and_safety(
    clinic: None,  # noqa: F811
) -> None:
    state = conversation("i cut myself last night", crisis_categories=("recent_self_harm",))
    _, (message,) = await _run(ActionAskSuicidalThoughts(), state)
    assert "hurt" in message and "911" in message
    assert "thoughts of suicide or of hurting yourself" in message


async def test_a_check_in_yes_the_core_already_escalated_is_not_paged_or_answered_twice(
    clinic: None,  # noqa: F811
) -> None:
    state = conversation("yes", slots={"suicidal_thoughts": "yes"}, crisis_replied=True)
    events, messages = await _run(ActionCrisisCheckInAnswer(), state)
    assert messages == []
    assert _escalations() == []
    assert SlotSet("crisis_followup", True) in events


async def test_a_check_in_yes_the_core_did_not_see_is_escalated_and_answered(
    clinic: None,  # noqa: F811
) -> None:
    state = conversation("yes", slots={"suicidal_thoughts": "yes"})
    events, messages = await _run(ActionCrisisCheckInAnswer(), state)
    assert any("988" in text for text in messages)
    assert _escalations() == [("high", ["check_in_affirmed"])]
    assert SlotSet("crisis_followup", True) in events


@pytest.mark.parametrize("who", ["only an admin", "nobody: the page could not be delivered"])
async def test_crisis_help_says_a_person_was_alerted_only_when_a_page_reached_someone_on_call(
    clinic: None,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    who: str,
) -> None:
    sms = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "token",
           "TWILIO_FROM": "+15005550000", "PUBLIC_URL": "https://coach.test"}  # fmt: skip
    for name, value in sms.items():
        monkeypatch.setenv(f"WISEMIND_{name}", value)
    process_settings.cache_clear()  # the action server starts with SMS configured
    with session_scope() as session:
        demo_staff_as_real_rota(session)
        if who == "only an admin":
            admin = therapist_by_email(session, "admin@demo.clinic")
            assert admin is not None
            admin.sms_number = "+15005550020"
            for shift in session.execute(select(OncallShift)).scalars():
                session.delete(shift)
    with session_scope() as session:
        client = client_by_code(session, DEMO)
        assert client is not None
        escalate(session, client, level="high", category="plan", evidence="earlier message")
        if who != "only an admin":
            (page,) = session.execute(select(Page)).scalars()
            message = session.get(Message, page.message_id)
            assert message is not None
            message.status = "undeliverable"  # the provider refused it for good
    _, messages = await _run(ActionCrisisProtocol(), conversation("i want to die"))
    assert any("988" in text for text in messages)
    assert not any("alerted a person" in text for text in messages)
    assert any("couldn't reach your care team" in text for text in messages)


async def test_a_check_in_no_offers_a_skill_and_no_follow_up(clinic: None) -> None:  # noqa: F811
    events, messages = await _run(
        ActionCrisisCheckInAnswer(), conversation("no", slots={"suicidal_thoughts": "no"})
    )
    assert "TIPP" in messages[0]
    assert SlotSet("crisis_followup", True) not in events


async def test_crisis_help_starts_the_follow_up(clinic: None) -> None:  # noqa: F811
    events, _ = await _run(
        ActionCrisisProtocol(), conversation("i want to die", crisis_replied=True)
    )
    assert SlotSet("crisis_followup", True) in events
    assert ActiveLoop(None) in events


async def test_the_follow_up_asks_whether_they_are_safe_and_records_the_question(
    clinic: None,  # noqa: F811
) -> None:
    _, (first,) = await _run(ActionAskCrisisSafeNow(), conversation("i want to die"))
    assert "staying right here with you. Are you safe right now?" in first
    assert _pending_kind() == "safe_now"
    _, (again,) = await _run(
        ActionAskCrisisSafeNow(), conversation("ok", loop_before="crisis_followup_form")
    )
    assert "make sure you're okay" in again and "988" in again


async def test_ok_or_hi_after_crisis_help_is_not_taken_as_safe(clinic: None) -> None:  # noqa: F811
    for text in ("ok", "hi", "thanks"):
        state = conversation(
            text, new_slots={"crisis_safe_now": text}, active_loop="crisis_followup_form"
        )
        events, messages = await _run(ValidateCrisisFollowupForm(), state)
        assert SlotSet("crisis_safe_now", None) in events, text
        assert messages == []


async def test_not_safe_gets_crisis_help_and_a_page_and_the_follow_up_goes_on(
    clinic: None,  # noqa: F811
) -> None:
    state = conversation(
        "no", new_slots={"crisis_safe_now": "no"}, active_loop="crisis_followup_form"
    )  # fmt: skip
    events, messages = await _run(ValidateCrisisFollowupForm(), state)
    assert any("988" in text for text in messages)
    assert SlotSet("crisis_unsafe", True) in events
    assert SlotSet("crisis_safe_now", None) in events
    assert _escalations() == [("high", ["not_safe"])]


async def test_after_not_safe_the_follow_up_asks_where_they_are_and_who_is_with_them(
    clinic: None,  # noqa: F811
) -> None:
    state = conversation("no", slots={"crisis_unsafe": True}, active_loop="crisis_followup_form")
    required = await ValidateCrisisFollowupForm().required_slots(
        ["crisis_safe_now", "crisis_support"],
        None,
        state,
        FOLLOWUP_DOMAIN,  # type: ignore[arg-type]
    )
    assert required == ["crisis_support", "crisis_safe_now"]


async def test_safe_closes_gently_with_the_numbers_and_a_skill(clinic: None) -> None:  # noqa: F811
    events, (message,) = await _run(ActionCrisisFollowupClose(), conversation("yes"))
    assert "glad you're safe" in message and "988" in message and "Self-soothe" in message
    assert SlotSet("crisis_followup", None) in events


async def test_a_new_session_before_they_said_they_were_safe_resumes_the_follow_up(
    clinic: None,  # noqa: F811
) -> None:
    events, _ = await _run(ActionSessionStart(), conversation(slots={"crisis_followup": True}))
    assert ActiveLoop("crisis_followup_form") in events
    assert SlotSet("requested_slot", "crisis_safe_now") in events


async def test_a_new_session_started_by_a_late_answer_to_the_check_in_reads_it_as_that_answer(
    clinic: None,  # noqa: F811
) -> None:
    """An hour after "are you having thoughts of suicide?" she answers "yes": Rasa starts a
    new session, and the core says (in the message's metadata) that the "yes" answers the
    check-in. The check-in form is restored so the "yes" is read in context, not as a new
    conversation's "yes" (the menu); a session started by any other message is not."""
    late_yes = {"message_id": 2, CRISIS_REPLIED: True, ANSWERED_QUESTION: SafetyQuestion.CHECK_IN}
    events, _ = await _run(
        ActionSessionStart(),
        conversation(slots={"crisis_followup": True, SESSION_START_METADATA_SLOT: late_yes}),
    )
    assert ActiveLoop("crisis_check_in_form") in events
    assert SlotSet("requested_slot", "suicidal_thoughts") in events
    assert ActiveLoop("crisis_followup_form") not in events  # the check-in's answer comes first
    assert not any(event.get("name") == SESSION_START_METADATA_SLOT for event in events)

    greeting = {"message_id": 3, CRISIS_REPLIED: False, ANSWERED_QUESTION: None}
    events, _ = await _run(
        ActionSessionStart(), conversation(slots={SESSION_START_METADATA_SLOT: greeting})
    )
    assert not any(event.get("event") == "active_loop" for event in events)


async def test_the_injury_question_is_asked_only_after_a_self_harm_yes(clinic: None) -> None:  # noqa: F811
    slots = list(FOLLOWUP_DOMAIN["forms"]["diary_form"]["required_slots"])
    for self_harm, asked in ((True, True), (False, False)):
        state = conversation(slots={"diary_self_harm": self_harm}, active_loop="diary_form")
        required = await ValidateDiaryForm().required_slots(slots, None, state, FOLLOWUP_DOMAIN)  # type: ignore[arg-type]
        assert (SELF_HARM_CARE_SLOT in required) is asked


async def test_hurt_or_not_safe_after_self_harm_stops_the_card_and_pages(
    clinic: None,  # noqa: F811
) -> None:
    state = conversation(
        "yes",
        slots={"diary_self_harm": True},
        new_slots={SELF_HARM_CARE_SLOT: "yes"},
        active_loop="diary_form",
    )
    events, _ = await _run(ValidateDiaryForm(), state)
    assert SlotSet("diary_safety_stop", True) in events
    card = {**FULL_CARD, "diary_self_harm": True, SELF_HARM_CARE_SLOT: True}
    events, messages = await _run(
        ActionSubmitDiary(), conversation("yes", slots={**card, "diary_safety_stop": True})
    )
    assert "If you are hurt, please get care now" in messages[0]
    assert any("988" in text for text in messages)
    assert _escalations() == [("high", ["self_harm_needs_care"])]
    assert SlotSet("crisis_followup", True) in events


async def test_the_follow_up_starting_right_after_crisis_help_reads_no_answer_yet(
    clinic: None,  # noqa: F811
) -> None:
    # Crisis help clears the follow-up's slots in the same turn the form starts in.
    state = conversation(
        "yes", new_slots={"crisis_safe_now": None, "crisis_support": None},
        crisis_replied=True, active_loop="crisis_followup_form",
    )  # fmt: skip
    events, messages = await _run(ValidateCrisisFollowupForm(), state)
    assert SlotSet("crisis_unsafe", True) not in events
    assert messages == []
    assert _escalations() == []
