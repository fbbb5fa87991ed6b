"""The skills actions, one at a time: a Tracker from a dict, a real database.

In the style of Rasa's financial-demo action tests (see tests/test_actions.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from sqlalchemy import select

from bot.actions.chain import ActionFinishChain, ActionPauseChain, ValidateChainForm
from bot.actions.homework import (
    ActionAskHomeworkDone,
    ActionBringUpHomework,
    ActionRecordHomework,
)
from bot.actions.session import ActionSessionStart
from bot.actions.skills import (
    ActionAskPracticeStep,
    ActionAskPracticeSudsBefore,
    ActionCoachFallback,
    ActionExplainSkill,
    ActionFinishPractice,
    ActionPausePractice,
    ActionStartPractice,
    ActionSuggestSkill,
    ValidateSkillPracticeForm,
)
from bot.skills import load_library, practice
from bot.skills.chain import CHAIN_SLOTS
from bot.skills.homework import assign_homework
from bot.storage import session_scope
from bot.storage.models import ChainAnalysis, Homework, SkillPractice
from tests.action_support import DEMO, run_action, tracker_after
from tests.test_actions import clinic  # noqa: F401 (the demo clinic fixture)

pytestmark = pytest.mark.usefixtures("clinic")

DOMAIN: dict[str, Any] = {
    "forms": {
        "skill_practice_form": {
            "required_slots": [
                "practice_skill",
                "practice_suds_before",
                "practice_step",
                "practice_suds_after",
            ]
        },
        "chain_form": {"required_slots": list(CHAIN_SLOTS)},
        "homework_form": {"required_slots": ["homework_done", "homework_report"]},
    },
    "slots": {},
}


def tracker(
    text: str = "",
    slots: dict[str, Any] | None = None,
    new_slots: dict[str, Any] | None = None,
    intent: str = "",
    entities: list[dict[str, Any]] | None = None,
    channel: str = "twilio_sms",
    active_loop: str | None = None,
) -> Tracker:
    """The demo client's tracker after a message (and the slots a form read from it)."""
    latest = {"text": text, "intent": {"name": intent}, "entities": entities or []}
    return tracker_after(
        latest,
        {"event": "user", "text": text, "parse_data": latest, "input_channel": channel},
        slots=slots,
        new_slots=new_slots,
        active_loop=active_loop,
    )


async def run(action: Any, state: Tracker) -> tuple[list[dict[str, Any]], list[str]]:
    return await run_action(action, state, DOMAIN)


async def test_what_is_tipp_explains_every_letter_and_offers_practice() -> None:
    state = tracker(
        "what is TIPP", intent="ask_skill", entities=[{"entity": "skill", "value": "tipp"}]
    )
    events, messages = await run(ActionExplainSkill(), state)
    text = "\n".join(messages)
    for letter in load_library().get("tipp").acronym:
        assert f"{letter.letter}: {letter.stands_for}" in text
    assert "walk you through TIPP" in messages[-1]
    assert SlotSet("skill_offered", True) in events
    assert SlotSet("offered_skill", "tipp") in events


async def test_a_skill_named_with_a_typo_is_still_explained() -> None:
    _, messages = await run(ActionExplainSkill(), tracker("dear mna?", intent="ask_skill"))
    assert messages[0].startswith("DEAR MAN")


async def test_about_to_explode_gets_validation_then_a_crisis_survival_skill() -> None:
    events, messages = await run(
        ActionSuggestSkill(), tracker("I'm about to explode at my mom", intent="share_feeling")
    )
    assert "makes sense" in messages[0]
    assert any(name in messages[1] for name in ("TIPP", "STOP"))
    assert SlotSet("skill_offered", True) in events


async def test_a_message_the_nlu_missed_that_names_a_skill_is_explained() -> None:
    _, messages = await run(ActionCoachFallback(), tracker("dear man", intent="nlu_fallback"))
    assert messages[0].startswith("DEAR MAN")


async def test_a_message_that_is_neither_gets_the_fallback() -> None:
    _, messages = await run(ActionCoachFallback(), tracker("purple", intent="nlu_fallback"))
    assert messages == ["utter_default"]


async def test_yes_to_an_offer_practices_the_offered_skill() -> None:
    state = tracker("yes", intent="affirm", slots={"offered_skill": "stop", "skill_offered": True})
    events, _ = await run(ActionStartPractice(), state)
    assert SlotSet("practice_skill", "stop") in events
    assert SlotSet("skill_offered", None) in events


async def _start_practice(text: str, slots: dict[str, Any]) -> list[str]:
    """What the client reads as a practice starts: the start, the form, its first question.

    Rasa runs ``action_start_practice``, then the form validates the skill it
    starts with (or the one the client names when asked), then asks the rating.
    """
    state = tracker(text, intent="practice_skill", slots=slots)
    events, started = await run(ActionStartPractice(), state)
    slots = {**slots, **{e["name"]: e["value"] for e in events if e.get("event") == "slot"}}
    skill = slots["practice_skill"] or text
    activated = tracker(
        text, slots=slots, new_slots={"practice_skill": skill}, active_loop="skill_practice_form"
    )
    events, validated = await run(ValidateSkillPracticeForm(), activated)
    slots = {**slots, **{e["name"]: e["value"] for e in events if e.get("event") == "slot"}}
    _, asked = await run(ActionAskPracticeSudsBefore(), tracker(slots=slots))
    return started + validated + asked


async def test_tipp_practice_opens_with_its_heart_and_eating_disorder_caution() -> None:
    messages = await _start_practice("walk me through tipp", {"paused_activity": "practice"})
    caution = "Before you start: " + load_library().get("tipp").when_not_to_use[0]
    assert messages[0].startswith("Let's practice TIPP together")
    assert messages[1:] == [caution, practice.SUDS_QUESTION]
    assert "heart condition" in caution and "eating disorder" in caution


async def test_yes_to_an_offered_skill_shows_its_caution_once_before_the_rating() -> None:
    messages = await _start_practice("yes", {"skill_offered": True, "offered_skill": "tipp"})
    caution = "Before you start: " + load_library().get("tipp").when_not_to_use[0]
    assert messages.count(caution) == 1
    assert messages.index(caution) < messages.index(practice.SUDS_QUESTION)


async def test_every_skill_named_when_the_form_asks_starts_with_its_first_caution() -> None:
    for skill in load_library():
        state = tracker(
            skill.name,
            slots={"requested_slot": "practice_skill"},
            new_slots={"practice_skill": skill.name},
            active_loop="skill_practice_form",
        )
        events, messages = await run(ValidateSkillPracticeForm(), state)
        assert messages == practice.practice_intro(skill)
        assert messages[1] == f"Before you start: {skill.when_not_to_use[0]}"
        assert SlotSet("practice_skill", skill.id) in events


async def test_resuming_a_paused_practice_does_not_repeat_the_caution() -> None:
    resumed = tracker(
        "resume",
        slots={"practice_skill": "tipp", "practice_step_index": 2, "practice_id": 1},
        new_slots={"practice_skill": "tipp"},
        active_loop="skill_practice_form",
    )
    events, messages = await run(ValidateSkillPracticeForm(), resumed)
    assert messages == []
    assert SlotSet("practice_skill", "tipp") in events


async def test_an_unreadable_rating_is_asked_again_without_the_caution() -> None:
    _, reasked = await _rate_before("idk")
    _, asked = await run(ActionAskPracticeSudsBefore(), tracker(slots={"practice_skill": "tipp"}))
    assert not any("Before you start" in text for text in reasked + asked)
    assert asked == [practice.SUDS_QUESTION]


async def _rate_before(rating: str) -> tuple[list[dict[str, Any]], list[str]]:
    state = tracker(
        rating,
        slots={"practice_skill": "tipp", "requested_slot": "practice_suds_before"},
        new_slots={"practice_suds_before": rating},
        active_loop="skill_practice_form",
    )
    return await run(ValidateSkillPracticeForm(), state)


async def test_suds_before_is_logged_with_the_skill_and_the_channel() -> None:
    events, _ = await _rate_before("about 70")
    assert SlotSet("practice_suds_before", 70) in events
    with session_scope() as session:
        (practice,) = session.execute(select(SkillPractice)).scalars().all()
    assert (practice.skill_id, practice.channel, practice.distress_before) == ("tipp", "sms", 70)


async def test_a_suds_rating_off_the_scale_is_reasked() -> None:
    events, messages = await _rate_before("150")
    assert SlotSet("practice_suds_before", None) in events
    assert messages == ["That's outside the scale. Please reply with a number from 0 to 100."]


async def _step(reply: str, index: int, skipped: int = 0) -> list[dict[str, Any]]:
    state = tracker(
        reply,
        slots={
            "practice_skill": "tipp",
            "practice_step_index": index,
            "practice_skipped": skipped,
            "requested_slot": "practice_step",
        },
        new_slots={"practice_step": reply},
        active_loop="skill_practice_form",
    )
    events, _ = await run(ValidateSkillPracticeForm(), state)
    return events


async def test_repeat_asks_the_same_step_again() -> None:
    events = await _step("can you repeat that", 1)
    assert SlotSet("practice_step", None) in events
    assert not [e for e in events if e.get("name") == "practice_step_index"]


async def test_next_and_skip_move_on_and_the_last_step_ends_the_steps() -> None:
    assert SlotSet("practice_step_index", 2) in await _step("ok next", 1)
    skipped = await _step("skip", 1)
    assert SlotSet("practice_skipped", 1) in skipped
    last = len(load_library().get("tipp").steps) - 1
    assert SlotSet("practice_step", "done") in await _step("done", last)


async def test_each_step_is_read_with_its_number() -> None:
    steps = load_library().get("tipp").steps
    state = tracker(slots={"practice_skill": "tipp", "practice_step_index": 1})
    _, messages = await run(ActionAskPracticeStep(), state)
    assert messages == [f"Step 2 of {len(steps)}: {steps[1]}"]


async def test_the_end_of_a_practice_reports_the_drop_in_distress() -> None:
    state = tracker(slots={"practice_suds_before": 80, "practice_suds_after": 30})
    events, messages = await run(ActionFinishPractice(), state)
    assert "from 80 to 30" in messages[0]
    assert SlotSet("practice_skill", None) in events


async def test_pause_keeps_the_practice_for_resume_and_exit_ends_it() -> None:
    slots = {"practice_skill": "tipp", "practice_step_index": 2}
    paused, messages = await run(ActionPausePractice(), tracker("pause", slots=slots))
    assert SlotSet("paused_activity", "practice") in paused
    assert ActiveLoop(None) in paused
    assert "RESUME" in messages[0]
    stopped, _ = await run(ActionPausePractice(), tracker("exit", slots=slots))
    assert SlotSet("practice_skill", None) in stopped
    assert SlotSet("paused_activity", "practice") not in stopped


async def test_each_chain_answer_is_saved_at_once_and_pause_keeps_them() -> None:
    state = tracker(
        "I threw my phone at the wall",
        new_slots={"chain_behavior": "I threw my phone at the wall"},
        active_loop="chain_form",
    )
    events, _ = await run(ValidateChainForm(), state)
    chain_id = next(e["value"] for e in events if e.get("name") == "chain_id")
    with session_scope() as session:
        stored = session.get(ChainAnalysis, chain_id)
        assert stored is not None
        assert stored.behavior == "I threw my phone at the wall"
        assert stored.completed_at is None
    paused, _ = await run(ActionPauseChain(), tracker("later"))
    assert SlotSet("paused_activity", "chain") in paused
    await run(
        ActionFinishChain(),
        tracker(slots={"chain_id": chain_id, "chain_behavior": "I threw my phone at the wall"}),
    )
    with session_scope() as session:
        stored = session.get(ChainAnalysis, chain_id)
        assert stored is not None and stored.completed_at is not None


async def test_due_homework_is_asked_about_and_the_report_stored() -> None:
    with session_scope() as session:
        homework = assign_homework(
            session,
            load_library(),
            client_code=DEMO,
            therapist_email="therapist@demo.clinic",
            due_at=datetime.now(timezone.utc) - timedelta(hours=2),
            skill="dear man",
        )
        homework_id = homework.id
    events, messages = await run(ActionAskHomeworkDone(), tracker("hi"))
    assert "Practice DEAR MAN" in messages[0]
    assert SlotSet("homework_id", homework_id) in events
    slots = {"homework_id": homework_id, "homework_done": True, "homework_report": "went ok"}
    _, messages = await run(ActionRecordHomework(), tracker("went ok", slots=slots))
    assert "noted it for your therapist" in messages[0]
    with session_scope() as session:
        stored = session.get(Homework, homework_id)
        assert stored is not None
        assert (stored.status, stored.client_report) == ("done", "went ok")


def _assign_dear_man(due_in: timedelta) -> int:
    """Homework for the demo client, due ``due_in`` from now (negative: already due)."""
    with session_scope() as session:
        homework = assign_homework(
            session,
            load_library(),
            client_code=DEMO,
            therapist_email="therapist@demo.clinic",
            due_at=datetime.now(timezone.utc) + due_in,
            skill="dear man",
        )
        return homework.id


async def test_a_session_starts_knowing_whether_the_client_has_homework_open() -> None:
    events, _ = await run(ActionSessionStart(), tracker())
    assert SlotSet("homework_open", None) in events
    _assign_dear_man(timedelta(days=7))
    events, _ = await run(ActionSessionStart(), tracker())
    assert SlotSet("homework_open", True) in events


async def test_due_homework_comes_up_after_an_ordinary_reply_once_a_day() -> None:
    homework_id = _assign_dear_man(-timedelta(hours=2))
    state = tracker("thanks", intent="thank", slots={"homework_open": True})
    events, messages = await run(ActionBringUpHomework(), state)
    assert messages == []  # the form asks the question
    assert SlotSet("homework_due", True) in events
    assert SlotSet("homework_id", homework_id) in events
    (brought_up,) = [e["value"] for e in events if e.get("name") == "homework_brought_up"]
    slots = {"homework_open": True, "homework_brought_up": brought_up}
    events, _ = await run(ActionBringUpHomework(), tracker("hi", intent="greet", slots=slots))
    assert SlotSet("homework_due", None) in events
    assert SlotSet("homework_open", True) in events


async def test_homework_let_be_yesterday_comes_up_again_today() -> None:
    homework_id = _assign_dear_man(-timedelta(days=3))
    yesterday = (datetime.now(timezone.utc) - timedelta(days=2)).date().isoformat()
    slots = {"homework_open": True, "homework_brought_up": {str(homework_id): yesterday}}
    events, _ = await run(ActionBringUpHomework(), tracker("hi", intent="greet", slots=slots))
    assert SlotSet("homework_due", True) in events


@pytest.mark.parametrize(
    ("slots", "active_loop"),
    [
        ({}, "skill_practice_form"),
        ({}, "diary_form"),
        ({"crisis_followup": True}, None),
        ({"skill_offered": True, "offered_skill": "tipp"}, None),
        ({"reminder_offer": "diary"}, None),
    ],
)
async def test_homework_never_interrupts_a_form_the_crisis_follow_up_or_an_offer(
    slots: dict[str, Any], active_loop: str | None
) -> None:
    _assign_dear_man(-timedelta(hours=2))
    state = tracker("thanks", slots={"homework_open": True, **slots}, active_loop=active_loop)
    events, messages = await run(ActionBringUpHomework(), state)
    assert events == [SlotSet("homework_due", None)]
    assert messages == []


async def test_homework_not_yet_due_stays_open_without_a_question() -> None:
    _assign_dear_man(timedelta(days=2))
    events, _ = await run(ActionBringUpHomework(), tracker("hi", slots={"homework_open": True}))
    assert SlotSet("homework_due", None) in events
    assert SlotSet("homework_open", True) in events


async def test_the_question_names_the_homework_chosen_for_it() -> None:
    _assign_dear_man(-timedelta(days=2))
    with session_scope() as session:
        newer = assign_homework(
            session,
            load_library(),
            client_code=DEMO,
            therapist_email="therapist@demo.clinic",
            due_at=datetime.now(timezone.utc) - timedelta(hours=1),
            skill="tipp",
        ).id
    events, messages = await run(ActionAskHomeworkDone(), tracker(slots={"homework_id": newer}))
    assert "Practice TIPP" in messages[0]
    assert SlotSet("homework_id", newer) in events
    _, messages = await run(ActionAskHomeworkDone(), tracker())
    assert "Practice DEAR MAN" in messages[0]  # none chosen: the oldest due


async def test_resuming_a_practice_does_not_log_it_twice() -> None:
    await _rate_before("60")
    resumed = tracker(
        "resume",
        slots={"practice_skill": "tipp", "practice_id": 1},
        new_slots={"practice_suds_before": 60},
        active_loop="skill_practice_form",
    )
    events, _ = await run(ValidateSkillPracticeForm(), resumed)
    assert SlotSet("practice_suds_before", 60) in events
    with session_scope() as session:
        assert len(session.execute(select(SkillPractice)).scalars().all()) == 1


async def test_stop_named_as_the_skill_that_could_have_helped_is_an_answer_not_a_pause() -> None:
    at_skill_question = {"requested_slot": "chain_skills", "chain_behavior": "slammed the door"}
    stop_skill = [{"entity": "skill", "value": "stop"}]
    events, messages = await run(
        ActionPauseChain(),
        # Inside a sentence the NLU marks no entity for STOP: the capitals say it.
        tracker("STOP before I got up", slots=at_skill_question, intent="cancel"),
    )
    assert SlotSet("chain_skills", "STOP before I got up") in events
    assert FollowupAction("chain_form") in events
    assert messages == []
    chain_id = next(e["value"] for e in events if e.get("name") == "chain_id")
    with session_scope() as session:
        stored = session.get(ChainAnalysis, chain_id)
        assert stored is not None and stored.skills == "STOP before I got up"
    paused, _ = await run(
        ActionPauseChain(),
        tracker("stop", slots=at_skill_question, intent="cancel", entities=stop_skill),
    )
    assert SlotSet("paused_activity", "chain") in paused
