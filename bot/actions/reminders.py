"""Reminder actions: saying a reminder the scheduler triggered, and clients' reminder commands.

Thin: :mod:`bot.reminders` decides everything; these pass the conversation's
client and text to it and say what it returns.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.clients import client_session
from bot.reminders import commands
from bot.reminders.checkins import record_answer
from bot.reminders.prompts import open_delivery
from bot.storage.models import utcnow

#: Said when a reminder command could not be read.
COMMAND_HELP = (
    "I can change your reminders. Try: 'remind me at 9pm', 'what reminders do I have', "
    "'no reminders on weekends', 'stop diary reminders', 'snooze 1 hour' or "
    "'quiet hours 11pm to 7am'."
)
CHECKIN_THANKS = "Thank you. I've kept your answer for your therapist. 💙"


def _entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


class ActionDeliverReminder(Action):
    """Says the reminder occurrence the scheduler triggered, once.

    :func:`bot.reminders.prompts.open_delivery` marks it sent before anything
    is said, so a repeated trigger says nothing; the ``reminder_offer`` slot
    tells the rules what a "yes" continues into.
    """

    def name(self) -> str:
        return "action_deliver_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        delivery_id = _entity(tracker, "delivery_id")
        if delivery_id is None:
            return []
        with client_session(tracker) as (session, client):
            if client is None:
                return []
            prompt = open_delivery(session, int(delivery_id), utcnow())
        if prompt is None:
            # Already said (a repeated trigger): whatever it offered still stands.
            return [SlotSet("reminder_offer", tracker.get_slot("reminder_offer"))]
        buttons = [{"title": title, "payload": payload} for title, payload in prompt.buttons]
        dispatcher.utter_message(text=prompt.text, buttons=buttons)
        return [
            SlotSet("reminder_offer", prompt.offer),
            SlotSet("reminder_delivery_id", prompt.delivery_id),
        ]


class ActionReminderCommand(Action):
    """'remind me at 9pm', 'what reminders do I have', 'quiet hours 11pm to 7am'…"""

    def name(self) -> str:
        return "action_reminder_command"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        command = commands.parse(tracker.latest_message.get("text") or "", intent)
        if command is None:
            dispatcher.utter_message(text=COMMAND_HELP)
            return []
        with client_session(tracker) as (session, client):
            if client is None:
                return []
            reply = commands.apply(session, client, command, utcnow())
        dispatcher.utter_message(text=reply)
        return []


class ActionSnoozeReminder(Action):
    """'Later' after a reminder: the same reminder again in an hour."""

    def name(self) -> str:
        return "action_snooze_reminder"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        with client_session(tracker) as (session, client):
            if client is None:
                return []
            reply = commands.snooze(session, client, commands.DEFAULT_SNOOZE, utcnow())
        dispatcher.utter_message(text=reply)
        return [SlotSet("reminder_offer", None)]


class ActionReminderAnswered(Action):
    """A yes or no answered the reminder: a later "yes" no longer refers to it."""

    def name(self) -> str:
        return "action_reminder_answered"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return [SlotSet("reminder_offer", None)]


class ActionAskCheckinAnswer(Action):
    """The check-in form's question was the reminder itself: nothing more to say."""

    def name(self) -> str:
        return "action_ask_checkin_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return []


class ActionSubmitCheckin(Action):
    """Keeps the client's answer against the check-in it answers, for the therapist."""

    def name(self) -> str:
        return "action_submit_checkin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answer = tracker.get_slot("checkin_answer")
        delivery_id = tracker.get_slot("reminder_delivery_id")
        with client_session(tracker) as (session, client):
            if client is not None and answer and delivery_id is not None:
                record_answer(session, int(delivery_id), client.id, str(answer), utcnow())
        dispatcher.utter_message(text=CHECKIN_THANKS)
        return [
            SlotSet("checkin_answer", None),
            SlotSet("reminder_offer", None),
            SlotSet("reminder_delivery_id", None),
        ]
