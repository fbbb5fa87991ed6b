"""Start of every conversation session: who is texting, and have they consented."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.clients import client_session, first_name
from bot.actions.crisis import CHECK_IN_FORM, CHECK_IN_SLOT, FOLLOWUP_FORM, FOLLOWUP_SLOT
from bot.crisis_contacts import crisis_contacts
from bot.intake import ANSWERED_QUESTION
from bot.skills.homework import has_open_homework
from bot.storage.enums import SafetyQuestion

#: The slot Rasa sets to the metadata of the message that starts a session
#: (``rasa.shared.core.constants.SESSION_START_METADATA_SLOT``; the SDK has no constant).
SESSION_START_METADATA_SLOT = "session_started_metadata"
#: Slots describing the client, refreshed from the database every session.
_PROFILE_SLOTS = ("client_first_name", "crisis_line", "emergency_number", "homework_open")


class ActionSessionStart(Action):
    """Carries slots over, loads the client's profile, and gates on consent.

    A client who has not consented yet is put straight into ``consent_form``:
    whatever their first message says, they see what WiseMind is and is not,
    and the crisis numbers, before anything else happens.
    """

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        events += [
            SlotSet(name, value)
            for name, value in tracker.current_slot_values().items()
            if value is not None
            and name not in _PROFILE_SLOTS
            # One message's metadata, never read as a later session's.
            and name != SESSION_START_METADATA_SLOT
        ]
        with client_session(tracker) as (session, client):
            locale = client.locale if client else None
            contacts = crisis_contacts(locale)
            events += [
                SlotSet("client_first_name", first_name(client) if client else "there"),
                SlotSet("crisis_line", contacts.crisis_line),
                SlotSet("emergency_number", contacts.emergency_number),
                # Only a client with homework open has it looked for after their messages.
                SlotSet(
                    "homework_open", bool(client and has_open_homework(session, client)) or None
                ),
            ]
            if client is not None and client.consent_at is None:
                # requested_slot is set so the first message is read by the form: a
                # crisis message is then rejected by it and handled at once.
                events += [
                    SlotSet("consent", None),
                    ActiveLoop("consent_form"),
                    SlotSet("requested_slot", "consent"),
                ]
            elif _answers(tracker) == SafetyQuestion.CHECK_IN:
                # The core read the message that starts this session as the (late) answer to
                # "are you having thoughts of suicide?": the check-in reads it so too, not
                # as a new conversation (a "yes" then gets the follow-up, not the menu).
                events += [
                    SlotSet(CHECK_IN_SLOT, None),
                    ActiveLoop(CHECK_IN_FORM),
                    SlotSet("requested_slot", CHECK_IN_SLOT),
                ]
            elif tracker.get_slot(FOLLOWUP_SLOT):
                # They had not said they were safe when the last session ended: the
                # follow-up picks up again, and their first message is its answer.
                events += [
                    ActiveLoop(FOLLOWUP_FORM),
                    SlotSet("requested_slot", "crisis_safe_now"),
                ]
        events.append(ActionExecuted("action_listen"))
        return events


def _answers(tracker: Tracker) -> str | None:
    """The safety question the core read the session's first message as answering, if any.

    Rasa hands the message's metadata to the session start in a slot: the core
    has answered (and dropped) its pending question by then, so only it can say.
    """
    metadata = tracker.get_slot(SESSION_START_METADATA_SLOT) or {}
    answered = metadata.get(ANSWERED_QUESTION) if isinstance(metadata, dict) else None
    return str(answered) if answered else None
