"""The diary card form: validation of every answer, saving, and pausing."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import diary
from bot.actions.clients import client_session
from bot.actions.crisis import FOLLOWUP_SLOT, AskSafetyQuestion, after_crisis_help, help_now
from bot.answers import Problem
from bot.crisis_contacts import crisis_contacts
from bot.safety.followup import (
    DIARY_URGE,
    SELF_HARM_NEEDS_CARE,
    UNCLEAR,
    YES,
    answer_evidence,
    read_care_needed,
)
from bot.storage.enums import SafetyQuestion
from bot.storage.models import utcnow

logger = logging.getLogger(__name__)


def _clear_card() -> list[EventType]:
    return [
        *(SlotSet(slot, None) for slot in (*diary.FORM_SLOTS, diary.CARD_DAY_SLOT)),
        SlotSet("paused_activity", None),
    ]


class ValidateDiaryForm(FormValidationAction):
    """Reads every diary answer with :func:`bot.diary.read_item`.

    Every item is validated the same way, by its scale in ``DIARY_ITEMS``, so
    the ``validate_<slot>`` methods Rasa SDK looks up are made from that table
    rather than written out twelve times.
    """

    def name(self) -> str:
        return "validate_diary_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Validates the answers; when the card (re)starts, notes or says the day it is about.

        Rasa calls this at every turn of the form, its activation included (then
        no form is active yet): a new card takes the client's today, a paused
        card picked up on another day says which day it is for.
        """
        events = await super().run(dispatcher, tracker, domain)
        if tracker.active_loop.get("name") == self.form_name():
            return events
        started_on = tracker.get_slot(diary.CARD_DAY_SLOT)
        with client_session(tracker) as (_, client):
            if client is None:
                return events
            today = diary.local_date(client, utcnow())
        notice = diary.resumed_day_notice(started_on, today)
        if notice is not None:
            dispatcher.utter_message(text=notice)
        if started_on is None:
            events.append(SlotSet(diary.CARD_DAY_SLOT, today.isoformat()))
        return events

    def __getattr__(self, attribute: str) -> Any:
        slot = attribute.removeprefix("validate_")
        if attribute.startswith("validate_") and slot in diary.ITEMS_BY_SLOT:
            return partial(self._validate_item, diary.ITEMS_BY_SLOT[slot])
        raise AttributeError(attribute)

    @staticmethod
    def _validate_item(
        item: diary.DiaryItem,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        reading = diary.read_item(item, str(value))
        if reading.problem is not None:
            dispatcher.utter_message(text=diary.reask(item, reading.problem))
            return {item.slot: None}
        if diary.needs_safety_protocol({item.slot: reading.value}):
            return {item.slot: reading.value, "diary_safety_stop": True}
        return {item.slot: reading.value}

    async def validate_diary_self_harm_care(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Hurt, or not safe now ("i'm not safe" included), stops the card for the safety protocol.

        Read as the core reads it (:func:`read_care_needed`): only a clear no carries on.
        """
        if value is None:
            return {diary.SELF_HARM_CARE_SLOT: None}
        answer = read_care_needed(str(value))
        if answer == UNCLEAR:
            dispatcher.utter_message(text=diary.reask(diary.CARE_QUESTION, Problem.MISSING))
            return {diary.SELF_HARM_CARE_SLOT: None}
        if answer == YES:
            return {diary.SELF_HARM_CARE_SLOT: True, "diary_safety_stop": True}
        dispatcher.utter_message(text=diary.CARE_NOT_NEEDED_MESSAGE)
        return {diary.SELF_HARM_CARE_SLOT: False}

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """No more questions once an answer calls for the safety protocol.

        The caring question about injuries is asked only after "yes, I self-harmed".
        """
        if tracker.get_slot("diary_safety_stop"):
            return []
        if tracker.get_slot("diary_self_harm") is not True:
            return [slot for slot in domain_slots if slot != diary.SELF_HARM_CARE_SLOT]
        return domain_slots


class ActionAskDiaryUrgeSuicide(AskSafetyQuestion):
    """Urge to commit suicide, 0-5: a 4 or 5 pages the on-call therapist."""

    question = SafetyQuestion.URGE_SUICIDE
    response = "utter_ask_diary_urge_suicide"

    def name(self) -> str:
        return "action_ask_diary_urge_suicide"


class ActionAskDiaryUrgeSelfHarm(AskSafetyQuestion):
    """Urge to self-harm, 0-5: a 4 or 5 pages the on-call therapist."""

    question = SafetyQuestion.URGE_SELF_HARM
    response = "utter_ask_diary_urge_self_harm"

    def name(self) -> str:
        return "action_ask_diary_urge_self_harm"


class ActionAskDiarySelfHarm(AskSafetyQuestion):
    """Did you self-harm today: a yes flags the therapist (moderate)."""

    question = SafetyQuestion.SELF_HARM_TODAY
    response = "utter_ask_diary_self_harm"

    def name(self) -> str:
        return "action_ask_diary_self_harm"


class ActionAskDiarySelfHarmCare(AskSafetyQuestion):
    """After a self-harm yes: hurt or not safe now pages the on-call therapist."""

    question = SafetyQuestion.SELF_HARM_CARE
    response = "utter_ask_diary_self_harm_care"

    def name(self) -> str:
        return "action_ask_diary_self_harm_care"


class ActionAskDiarySkillsUsed(Action):
    """Asks about skills with Linehan's 0–7 scale spelled out."""

    def name(self) -> str:
        return "action_ask_diary_skills_used"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(
            text=f"How much did you use your DBT skills today, 0 to 7?\n{diary.SKILLS_SCALE_LEGEND}"
        )
        return []


class ActionSubmitDiary(Action):
    """Saves the completed card under the day it is about and reads it back."""

    def name(self) -> str:
        return "action_submit_diary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        values = {slot: tracker.get_slot(slot) for slot in diary.DIARY_SLOTS}
        with client_session(tracker) as (session, client):
            if client is None:
                logger.error("diary card for a conversation with no enrolled client")
                dispatcher.utter_message(
                    text="I couldn't save this card because I can't find your enrollment. "
                    "Please let your therapist know."
                )
                return _clear_card()
            day = diary.card_day(client, tracker.get_slot(diary.CARD_DAY_SLOT), utcnow())
            replaced = diary.has_entry(session, client, day)
            entry = diary.save_entry(session, client, values, day)
            if tracker.get_slot("diary_safety_stop"):
                # An urge of 4-5, or a self-harm injury: the card stops, the protocol starts.
                if diary.needs_safety_protocol(values):
                    dispatcher.utter_message(text=diary.SAFETY_STOP_MESSAGE)
                    category, evidence = DIARY_URGE, diary.urge_evidence(values)
                else:
                    emergency = crisis_contacts(client.locale).emergency_number
                    dispatcher.utter_message(
                        text=diary.CARE_STOP_MESSAGE.format(emergency=emergency)
                    )
                    category = SELF_HARM_NEEDS_CARE
                    evidence = answer_evidence(SafetyQuestion.SELF_HARM_CARE, "yes")
                help_now(dispatcher, tracker, session, client, category=category, evidence=evidence)
                return after_crisis_help(client)
            entry_date = entry.entry_date
        dispatcher.utter_message(text=diary.summary(values, entry_date, replaced=replaced))
        dispatcher.utter_message(text="Thank you for filling it in. That's real work. 💙")
        return [*_clear_card(), SlotSet(FOLLOWUP_SLOT, None)]


class ActionCancelDiary(Action):
    """PAUSE stops the card part-way and keeps the answers: DIARY or RESUME goes on."""

    def name(self) -> str:
        return "action_cancel_diary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_diary_cancelled")
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("paused_activity", "diary"),
        ]
