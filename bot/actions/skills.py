"""Skills conversations: explain, browse, help in the moment, guided practice.

Thin: the library, the suggestions, the wording and the SUDS log are plain
Python in :mod:`bot.skills`. A practice is a Rasa form whose ``practice_step``
slot is asked once per step of the skill: the step being read is kept in
``practice_step_index``, so REPEAT asks the same step again, SKIP and NEXT move
on, and PAUSE leaves it for RESUME.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Final

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.clients import client_session
from bot.skills import Skill, coach, load_library, practice, suggest_skills
from bot.skills.text import words
from bot.storage.enums import Channel

logger = logging.getLogger(__name__)

#: Rasa's input channel names, as WiseMind's storage spells channels.
CHANNELS: Final = {"twilio_sms": Channel.SMS, "telegram": Channel.TELEGRAM, "local": Channel.LOCAL}
PRACTICE_SLOTS: Final = (
    "practice_skill",
    "practice_suds_before",
    "practice_step",
    "practice_suds_after",
    "practice_step_index",
    "practice_skipped",
    "practice_id",
)
#: Value of ``practice_step`` once every step has been read.
ALL_STEPS_DONE: Final = "done"
#: Words that mean "later" rather than "stop" when a form is interrupted.
PAUSE_WORDS: Final = frozenset({"pause", "later", "break", "wait", "hold", "brb", "not", "luego"})
UNKNOWN_SKILL: Final = "I don't know that skill yet. Text SKILLS to browse the four DBT modules."
#: When nothing in a message points to a situation, a general distress skill is offered.
GENERAL_DISTRESS: Final = "general_distress"


def channel_of(tracker: Tracker) -> str | None:
    """The channel the latest message came by, as stored (sms, telegram, local)."""
    return CHANNELS.get(tracker.get_latest_input_channel() or "")


def _latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def skill_in_message(tracker: Tracker) -> Skill | None:
    """The skill the latest message names: its ``skill`` entity, else the text."""
    library = load_library()
    for value in tracker.get_latest_entity_values("skill"):
        try:
            return library.get(str(value))
        except KeyError:
            continue
    return library.find(_latest_text(tracker))


def offer(skill: Skill) -> list[EventType]:
    """Remember the offer so that a plain "yes" starts this skill's practice."""
    return [SlotSet("skill_offered", True), SlotSet("offered_skill", skill.id)]


def is_pause(tracker: Tracker) -> bool:
    """Whether the client asked to come back later (PAUSE), rather than to stop (EXIT)."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return intent == "start_diary" or bool(set(words(_latest_text(tracker))) & PAUSE_WORDS)


class ActionExplainSkill(Action):
    """ "What is TIPP": what the skill is, its letters, when to use it, and an offer."""

    def name(self) -> str:
        return "action_explain_skill"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        skill = skill_in_message(tracker)
        if skill is None:
            dispatcher.utter_message(text=UNKNOWN_SKILL)
            return [SlotSet("skill_offered", None)]
        for text in coach.explain(skill):
            dispatcher.utter_message(text=text)
        return offer(skill)


class ActionBrowseSkills(Action):
    """ "Show me distress tolerance skills": one module's skills, or the four modules."""

    def name(self) -> str:
        return "action_browse_skills"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        library = load_library()
        module = library.find_module(_latest_text(tracker))
        if module is None:
            dispatcher.utter_message(text=coach.modules_overview(library))
        else:
            dispatcher.utter_message(text=coach.module_list(library, module))
        return [SlotSet("skill_offered", None)]


def suggest_for(text: str, dispatcher: CollectingDispatcher) -> list[EventType]:
    """Validation first, then the skill that fits and why, offered for practice."""
    library = load_library()
    tags = [found.tag for found in library.situations.recognise(text)]
    dispatcher.utter_message(text=coach.validation_for(tags))
    suggestions = suggest_skills(text, library, 1)
    if suggestions:
        dispatcher.utter_message(text=coach.suggestion_text(suggestions[0]))
        dispatcher.utter_message(text=coach.practice_offer(suggestions[0].skill))
        return offer(suggestions[0].skill)
    general = library.situations.get(GENERAL_DISTRESS)
    for choice in general.suggest if general else ():
        try:
            skill = library.get(choice.skill)
        except KeyError:
            continue
        dispatcher.utter_message(text=f"One skill that can help: {skill.name}. {choice.reason}")
        dispatcher.utter_message(text=coach.practice_offer(skill))
        return offer(skill)
    dispatcher.utter_message(text=coach.ASK_MORE)
    return [SlotSet("skill_offered", None)]


class ActionSuggestSkill(Action):
    """An emotional message: a validating reply and a fitting skill, with the reason."""

    def name(self) -> str:
        return "action_suggest_skill"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return suggest_for(_latest_text(tracker), dispatcher)


class ActionCoachFallback(Action):
    """A message the NLU could not place: a coach still answers what it can.

    A skill name gets its explanation, a feeling gets validation and a skill;
    only what is neither gets the fallback (or, when out of scope, the kind
    out-of-scope reply).
    """

    def name(self) -> str:
        return "action_coach_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = _latest_text(tracker)
        library = load_library()
        skill = library.find(text)
        if skill is not None:
            for line in coach.explain(skill):
                dispatcher.utter_message(text=line)
            return offer(skill)
        if library.situations.recognise(text):
            return suggest_for(text, dispatcher)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        dispatcher.utter_message(
            response="utter_out_of_scope" if intent == "out_of_scope" else "utter_default"
        )
        return []


class ActionDeclineOffer(Action):
    """A "no" to an offered practice is fine; the offer is withdrawn."""

    def name(self) -> str:
        return "action_decline_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(
            text="That's okay. I'm here whenever you want to practice. Text SKILLS to browse."
        )
        return [SlotSet("skill_offered", None), SlotSet("offered_skill", None)]


class ActionStartPractice(Action):
    """Starts a fresh practice of the named (or just offered) skill."""

    def name(self) -> str:
        return "action_start_practice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        skill = skill_in_message(tracker)
        skill_id = skill.id if skill else tracker.get_slot("offered_skill")
        events: list[EventType] = [SlotSet(slot, None) for slot in PRACTICE_SLOTS]
        events += [
            SlotSet("practice_skill", skill_id),
            SlotSet("skill_offered", None),
            SlotSet("offered_skill", None),
        ]
        if tracker.get_slot("paused_activity") == "practice":
            events.append(SlotSet("paused_activity", None))
        return events


def _practice_skill(tracker: Tracker) -> Skill:
    return load_library().get(str(tracker.get_slot("practice_skill")))


def _step_index(tracker: Tracker) -> int:
    return int(tracker.get_slot("practice_step_index") or 0)


class ValidateSkillPracticeForm(FormValidationAction):
    """Reads the skill, the SUDS ratings and each reply to a step; logs the practice."""

    def name(self) -> str:
        return "validate_skill_practice_form"

    async def validate_practice_skill(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        skill = load_library().find(str(value))
        if skill is None:
            dispatcher.utter_message(text=UNKNOWN_SKILL)
            return {"practice_skill": None}
        if tracker.get_slot("practice_step_index") is not None:
            # A paused practice resuming: the form re-validates its skill, and the
            # client already read the introduction and caution when it started.
            return {"practice_skill": skill.id}
        # Here, not in the rating question, so that it is said once per practice start
        # (the question is asked again after an unreadable rating) whether the skill was
        # named in the request, offered, or asked for by the form.
        for text in practice.practice_intro(skill):
            dispatcher.utter_message(text=text)
        return {"practice_skill": skill.id, "practice_step_index": 0}

    async def validate_practice_suds_before(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        reading = practice.read_suds(str(value))
        if reading.problem is not None:
            dispatcher.utter_message(text=practice.reask_suds(reading.problem))
            return {"practice_suds_before": None}
        if tracker.get_slot("practice_id") is not None:
            # Resuming a paused practice re-validates its rating: it is logged already.
            return {"practice_suds_before": reading.value}
        practice_id = None
        with client_session(tracker) as (session, client):
            if client is not None:
                practice_id = practice.start_practice(
                    session,
                    client,
                    skill_id=_practice_skill(tracker).id,
                    channel=channel_of(tracker),
                    distress_before=int(reading.value),  # type: ignore[arg-type]
                    now=datetime.now(timezone.utc),
                ).id
        return {
            "practice_suds_before": reading.value,
            "practice_id": practice_id,
            "practice_step_index": 0,
            "practice_skipped": 0,
        }

    async def validate_practice_step(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        command = practice.read_step_reply(str(value))
        index = _step_index(tracker)
        skipped = int(tracker.get_slot("practice_skipped") or 0)
        if command is practice.StepCommand.REPEAT:
            return {"practice_step": None}
        if command is practice.StepCommand.SKIP:
            skipped += 1
        index += 1
        _save_progress(tracker, practice.Progress(done=index - skipped, skipped=skipped))
        finished = index >= len(_practice_skill(tracker).steps)
        return {
            "practice_step": ALL_STEPS_DONE if finished else None,
            "practice_step_index": index,
            "practice_skipped": skipped,
        }

    async def validate_practice_suds_after(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        reading = practice.read_suds(str(value))
        if reading.problem is not None:
            dispatcher.utter_message(text=practice.reask_suds(reading.problem))
            return {"practice_suds_after": None}
        practice_id = tracker.get_slot("practice_id")
        if practice_id is not None:
            index = _step_index(tracker)
            skipped = int(tracker.get_slot("practice_skipped") or 0)
            with client_session(tracker) as (session, client):
                if client is not None:
                    practice.finish_practice(
                        session,
                        client,
                        int(practice_id),
                        distress_after=int(reading.value),  # type: ignore[arg-type]
                        progress=practice.Progress(done=index - skipped, skipped=skipped),
                        now=datetime.now(timezone.utc),
                    )
        return {"practice_suds_after": reading.value}


def _save_progress(tracker: Tracker, progress: practice.Progress) -> None:
    practice_id = tracker.get_slot("practice_id")
    if practice_id is None:
        return
    with client_session(tracker) as (session, client):
        if client is not None:
            practice.record_progress(session, client, int(practice_id), progress)


class ActionAskPracticeSkill(Action):
    """Which skill to practice, when none was named or offered."""

    def name(self) -> str:
        return "action_ask_practice_skill"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        examples = ", ".join(skill.name for skill in list(load_library())[:3])
        dispatcher.utter_message(
            text=f"Which skill would you like to practice? For example {examples}."
        )
        return []


class ActionAskPracticeSudsBefore(Action):
    """Asks the distress rating before the steps (the introduction came with the skill)."""

    def name(self) -> str:
        return "action_ask_practice_suds_before"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=practice.SUDS_QUESTION)
        return []


class ActionAskPracticeStep(Action):
    """Reads the current step (again, after REPEAT or RESUME)."""

    def name(self) -> str:
        return "action_ask_practice_step"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        steps = _practice_skill(tracker).steps
        index = min(_step_index(tracker), len(steps) - 1)
        dispatcher.utter_message(text=f"Step {index + 1} of {len(steps)}: {steps[index]}")
        return []


class ActionFinishPractice(Action):
    """The change in distress, said kindly, and the practice cleared."""

    def name(self) -> str:
        return "action_finish_practice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        before = tracker.get_slot("practice_suds_before")
        after = tracker.get_slot("practice_suds_after")
        if isinstance(before, int) and isinstance(after, int):
            dispatcher.utter_message(text=practice.distress_change(before, after))
        dispatcher.utter_message(text="I've saved this practice for your therapist.")
        return [SlotSet(slot, None) for slot in PRACTICE_SLOTS]


class ActionPausePractice(Action):
    """PAUSE keeps the practice where it is for RESUME; EXIT ends it. Both are saved."""

    def name(self) -> str:
        return "action_pause_practice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None)]
        if is_pause(tracker):
            dispatcher.utter_message(
                text="Okay, I've paused the practice. Text RESUME to pick it up where we stopped."
            )
            return [*events, SlotSet("paused_activity", "practice")]
        dispatcher.utter_message(
            text="Okay, we'll stop the practice here. What you did still counts. Text "
            "PRACTICE whenever you want to try again."
        )
        return [*events, *(SlotSet(slot, None) for slot in PRACTICE_SLOTS)]


class ActionMindfulnessExercise(Action):
    """A short mindfulness exercise: a different mindfulness skill's practice each day."""

    def name(self) -> str:
        return "action_mindfulness_exercise"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(
            text=coach.daily_mindfulness(load_library(), datetime.now(timezone.utc).date())
        )
        return []


class ActionResume(Action):
    """RESUME: the paused practice, chain analysis or diary card continues (see the rules)."""

    def name(self) -> str:
        return "action_resume"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.get_slot("paused_activity") is None:
            dispatcher.utter_message(response="utter_nothing_paused")
        else:
            dispatcher.utter_message(response="utter_resuming")
        return [SlotSet("paused_activity", None)]
