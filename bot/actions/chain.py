"""Chain analysis by text: a Rasa form, one link per question, saved as it goes."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import partial
from typing import Any, Final

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.clients import client_session
from bot.actions.skills import channel_of, is_pause
from bot.skills.chain import CHAIN_SLOTS, LINKS_BY_SLOT, save_chain
from bot.skills.library import EVERYDAY_WORDS
from bot.skills.text import words


def _save(tracker: Tracker, answers: dict[str, Any], complete: bool) -> int | None:
    """Write the answers so far; the chain's id (None without an enrolled client)."""
    with client_session(tracker) as (session, client):
        if client is None:
            return None
        chain_id = tracker.get_slot("chain_id")
        return save_chain(
            session,
            client,
            answers,
            chain_id=int(chain_id) if chain_id is not None else None,
            channel=channel_of(tracker),
            now=datetime.now(timezone.utc),
            complete=complete,
        ).id


def _answers(tracker: Tracker) -> dict[str, Any]:
    return {slot: tracker.get_slot(slot) for slot in CHAIN_SLOTS}


class ActionStartChain(Action):
    """A new chain analysis, or the paused one where it stopped."""

    def name(self) -> str:
        return "action_start_chain"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.get_slot("paused_activity") == "chain":
            dispatcher.utter_message(response="utter_resuming")
            return [SlotSet("paused_activity", None)]
        dispatcher.utter_message(response="utter_chain_start")
        return [SlotSet("chain_id", None), *(SlotSet(slot, None) for slot in CHAIN_SLOTS)]


class ValidateChainForm(FormValidationAction):
    """Every answer is kept as written and saved at once (a pause loses nothing).

    The ``validate_<slot>`` methods Rasa SDK looks up are made from
    :data:`~bot.skills.chain.CHAIN_LINKS`, one per link.
    """

    def name(self) -> str:
        return "validate_chain_form"

    def __getattr__(self, attribute: str) -> Any:
        slot = attribute.removeprefix("validate_")
        if attribute.startswith("validate_") and slot in LINKS_BY_SLOT:
            return partial(self._validate_link, slot)
        raise AttributeError(attribute)

    @staticmethod
    def _validate_link(
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        answer = str(value or "").strip()
        if not answer:
            return {slot: None}
        chain_id = _save(tracker, {**_answers(tracker), slot: answer}, complete=False)
        return {slot: answer, "chain_id": chain_id}


class ActionFinishChain(Action):
    """Marks the chain complete for the therapist and thanks the client."""

    def name(self) -> str:
        return "action_finish_chain"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        _save(tracker, _answers(tracker), complete=True)
        dispatcher.utter_message(
            text="Thank you. Looking at a chain like this takes courage. I've saved it for "
            "your therapist so you can go through it together. Be gentle with yourself today."
        )
        return [SlotSet("chain_id", None), *(SlotSet(slot, None) for slot in CHAIN_SLOTS)]


#: The question whose answers name a skill: "STOP before I got up" answers it.
SKILL_QUESTION_SLOT: Final = "chain_skills"


def _names_a_skill_as_an_answer(tracker: Tracker) -> bool:
    """Whether a message read as "stop" answers the skill question with a skill's name.

    The STOP skill shares its name with stopping: "STOP before I got up" is the
    answer to "where could a skill have broken the chain?", a bare "stop" or
    "pause" is still a pause.
    """
    if tracker.get_slot("requested_slot") != SKILL_QUESTION_SLOT:
        return False
    text = str(tracker.latest_message.get("text") or "")
    # Inside a sentence the NLU marks no everyday-word name; written in capitals it is one.
    named = any(True for _ in tracker.get_latest_entity_values("skill")) or any(
        word.isupper() and word.lower() in EVERYDAY_WORDS for word in text.split()
    )
    return named and len(words(text)) > 2 and not is_pause(tracker)


class ActionPauseChain(Action):
    """PAUSE keeps the answers (already saved) for RESUME; the chain waits."""

    def name(self) -> str:
        return "action_pause_chain"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if _names_a_skill_as_an_answer(tracker):
            answer = str(tracker.latest_message.get("text")).strip()
            chain_id = _save(tracker, {**_answers(tracker), SKILL_QUESTION_SLOT: answer}, False)
            return [
                SlotSet(SKILL_QUESTION_SLOT, answer),
                SlotSet("chain_id", chain_id),
                FollowupAction("chain_form"),
            ]
        dispatcher.utter_message(
            text="Okay, we'll pause here. Your answers are saved. Text RESUME when you're "
            "ready to continue."
        )
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("paused_activity", "chain"),
        ]
