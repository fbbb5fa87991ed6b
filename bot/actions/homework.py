"""Homework at the next contact: did the client do it, and how did it go.

Whether a client has any homework open is read once per conversation session
(``homework_open``, set by ``action_session_start``). Only while it is true do
the rules follow an ordinary reply (a greeting, thanks, the menu, a skills
list...) with ``action_bring_up_homework``, which looks for homework now due
and, when the client is free to answer, sets ``homework_due`` so that the
rules start ``homework_form``. A client with no homework pays nothing.
"""

from __future__ import annotations

from typing import Any, Final

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.clients import client_session
from bot.actions.crisis import FOLLOWUP_SLOT
from bot.answers import read_yes_no
from bot.diary import NO_NOTE_WORDS
from bot.reminders.prompts import reminded_homework
from bot.skills.homework import (
    client_homework,
    due_homework,
    has_open_homework,
    homework_question,
    homework_to_bring_up,
    mark_brought_up,
    report_homework,
)
from bot.storage.models import utcnow

_HOMEWORK_SLOTS = ("homework_done", "homework_report", "homework_id", "homework_due")
#: Set when something else waits for the client's next answer ("yes" to a skill offered,
#: to a reminder): a homework question now would take that answer.
PENDING_OFFER_SLOTS: Final = ("skill_offered", "reminder_offer", FOLLOWUP_SLOT)

#: The homework question put off (PAUSE): it stays for the therapist and for another day.
LATER_REPLY: Final = "Okay, we can talk about it another time. Text HOMEWORK when you're ready."
HOMEWORK_DONE_PRAISE = "Great, well done for doing it 💪"
HOMEWORK_ALREADY_REPORTED = "Thanks! That homework is already noted for your therapist."


def _close() -> list[EventType]:
    """The question is over (answered, or paused until the next contact)."""
    return [ActiveLoop(None), SlotSet("requested_slot", None)] + [
        SlotSet(slot, None) for slot in _HOMEWORK_SLOTS
    ]


def _due_id(tracker: Tracker) -> int | None:
    with client_session(tracker) as (session, client):
        if client is None:
            return None
        homework = due_homework(session, client, utcnow())
        return homework.id if homework else None


def free_to_ask(tracker: Tracker) -> bool:
    """Whether a question about homework would interrupt nothing.

    Not in a form (a practice, the diary card, a chain analysis, the crisis
    follow-up), not while the crisis follow-up waits for "I'm safe", and not
    while an offer waits for its "yes".
    """
    if tracker.active_loop.get("name"):
        return False
    return not any(tracker.get_slot(slot) for slot in PENDING_OFFER_SLOTS)


class ActionBringUpHomework(Action):
    """After an ordinary reply: homework that is due is asked about, once a day."""

    def name(self) -> str:
        return "action_bring_up_homework"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if not free_to_ask(tracker):
            return [SlotSet("homework_due", None)]
        brought_up = tracker.get_slot("homework_brought_up") or {}
        with client_session(tracker) as (session, client):
            if client is None:
                return [SlotSet("homework_due", None), SlotSet("homework_open", None)]
            now = utcnow()
            homework = homework_to_bring_up(session, client, now, brought_up)
            if homework is None:
                still_open = has_open_homework(session, client) or None
                return [SlotSet("homework_due", None), SlotSet("homework_open", still_open)]
            return [
                SlotSet("homework_due", True),
                SlotSet("homework_id", homework.id),
                SlotSet("homework_brought_up", mark_brought_up(brought_up, homework, client, now)),
            ]


class ValidateHomeworkForm(FormValidationAction):
    """Asks only when homework is due and unreported; reads yes/no and the report."""

    def name(self) -> str:
        return "validate_homework_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if tracker.get_slot("homework_id") is None and _due_id(tracker) is None:
            return []
        return domain_slots

    async def validate_homework_done(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        if isinstance(value, bool):
            # Already answered: a "yes" to the homework reminder set it before the form.
            return {"homework_done": value}
        answer = read_yes_no(str(value)).value
        if not isinstance(answer, bool):
            dispatcher.utter_message(text="Please reply yes or no: did you do the homework?")
            return {"homework_done": None}
        return {"homework_done": answer}

    async def validate_homework_report(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        report = str(value or "").strip()
        if report.lower().strip(" .!") in NO_NOTE_WORDS:
            report = ""
        return {"homework_report": report}


class ActionAskHomeworkDone(Action):
    """Brings up the homework chosen for this question (or the oldest due)."""

    def name(self) -> str:
        return "action_ask_homework_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        chosen = tracker.get_slot("homework_id")
        with client_session(tracker) as (session, client):
            if client is None:
                return []
            homework = (
                client_homework(session, client, int(chosen))
                if chosen is not None
                else due_homework(session, client, utcnow())
            )
            if homework is None:
                return []
            dispatcher.utter_message(text=homework_question(homework))
            return [SlotSet("homework_id", homework.id)]


class ActionRecordHomework(Action):
    """Stores the client's report for the therapist; silent when nothing was due."""

    def name(self) -> str:
        return "action_record_homework"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        done = tracker.get_slot("homework_done")
        homework_id = tracker.get_slot("homework_id")
        if not isinstance(done, bool) or homework_id is None:
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            if homework_id is not None:
                dispatcher.utter_message(text=LATER_REPLY)
            elif intent == "ask_homework":
                dispatcher.utter_message(text="You have no homework waiting right now.")
            return _close()
        still_open = None
        with client_session(tracker) as (session, client):
            if client is not None:
                report_homework(
                    session,
                    client,
                    int(homework_id),
                    done=done,
                    report=tracker.get_slot("homework_report") or None,
                    now=utcnow(),
                )
                still_open = has_open_homework(session, client) or None
        dispatcher.utter_message(
            text="Thank you, I've noted it for your therapist."
            if done
            else "Thanks for being honest. I've let your therapist know, so you can look at "
            "what got in the way together."
        )
        return [*_close(), SlotSet("homework_open", still_open)]


class ActionHomeworkReminderDone(Action):
    """A "yes" to "Reminder: <homework>. Done it already?": it is done; the form asks how it went.

    Fills the homework form's answer to "did you do it" and which homework it
    is, so the form goes straight to the report and
    :class:`ActionRecordHomework` stores it as done for the therapist.
    """

    def name(self) -> str:
        return "action_homework_reminder_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answered: list[EventType] = [SlotSet("reminder_offer", None)]
        delivery_id = tracker.get_slot("reminder_delivery_id")
        with client_session(tracker) as (session, client):
            homework = (
                reminded_homework(session, int(delivery_id), client.id)
                if client is not None and delivery_id is not None
                else None
            )
            if homework is None:
                dispatcher.utter_message(text=HOMEWORK_ALREADY_REPORTED)
                return answered
            dispatcher.utter_message(text=HOMEWORK_DONE_PRAISE)
            return answered + [SlotSet("homework_id", homework.id), SlotSet("homework_done", True)]
