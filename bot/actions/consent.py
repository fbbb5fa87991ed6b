"""First contact: what WiseMind is and is not, and the client's consent."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.clients import client_session
from bot.answers import read_yes_no
from bot.clinic import record_consent
from bot.crisis_contacts import crisis_contacts
from bot.settings import process_settings

#: Bumped whenever the wording of INTRODUCTION changes, so consent can be re-asked.
CONSENT_VERSION = "2026-12-v2"

INTRODUCTION = (
    "Hi, I'm WiseMind, the DBT skills coach from {clinic}. Between sessions I can help "
    "you fill in your diary card and practice your skills. Your care team can read "
    "what you send me.\n"
    "I'm an automated coach, NOT an emergency service. If you are in danger, call "
    "{emergency}. To talk to someone now, call or text {crisis_line}.\n"
    "Do you agree to use WiseMind on these terms? Reply YES or NO."
)
REASK = "Please reply YES to agree to use WiseMind, or NO if you'd rather not."


class ActionAskConsent(Action):
    """Asks for consent: the full introduction once, then a short re-ask."""

    def name(self) -> str:
        return "action_ask_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.get_slot("consent_ask_silently"):
            # They just said no, or just got crisis help: wait for them, do not nag.
            return [SlotSet("consent_ask_silently", None)]
        if tracker.get_slot("consent_introduced"):
            dispatcher.utter_message(text=REASK)
            return []
        contacts = crisis_contacts()
        dispatcher.utter_message(
            text=INTRODUCTION.format(
                clinic=process_settings().clinic_name,
                emergency=tracker.get_slot("emergency_number") or contacts.emergency_number,
                crisis_line=tracker.get_slot("crisis_line") or contacts.crisis_line,
            )
        )
        return [SlotSet("consent_introduced", True)]


class ValidateConsentForm(FormValidationAction):
    """Only an explicit yes is consent; a no is respected and not asked again."""

    def name(self) -> str:
        return "validate_consent_form"

    async def validate_consent(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        if not tracker.get_slot("consent_introduced"):
            # The reply came before the introduction was shown: never take it as consent.
            return {"consent": None}
        answer = read_yes_no(str(value)).value
        if answer is True:
            return {"consent": True}
        if answer is False:
            dispatcher.utter_message(response="utter_consent_declined")
            return {"consent": None, "consent_ask_silently": True}
        return {"consent": None}


class ActionRecordConsent(Action):
    """Stores the client's consent with the version of the terms they saw."""

    def name(self) -> str:
        return "action_record_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        with client_session(tracker) as (session, client):
            if client is not None:
                record_consent(session, client, CONSENT_VERSION)
        dispatcher.utter_message(response="utter_consent_given")
        return [SlotSet("consent_introduced", None)]
