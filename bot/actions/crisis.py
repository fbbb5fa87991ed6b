"""The crisis actions: help at once, a direct question for moderate risk, and after.

A high-risk message was already escalated (and the on-call therapist paged)
when it arrived (:mod:`bot.intake`), and the channel sent the crisis reply
then; :class:`ActionCrisisProtocol` ends whatever form was running, and sends
the reply itself only for a message that did not come that way. A "yes" to
the check-in and a diary-card urge of 4 or 5 are escalated here, through the
same :func:`bot.escalation.record_risk`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot import crisis_messages
from bot.actions.clients import client_session
from bot.answers import read_yes_no
from bot.diary import DIARY_SLOTS
from bot.escalation import PAGING_LEVELS, active_escalation, record_risk
from bot.intake import CRISIS_REPLIED
from bot.settings import load_settings
from bot.storage.enums import EscalationLevel
from bot.storage.models import Client

#: Escalation categories for risk the client confirmed rather than the detector found.
CHECK_IN_AFFIRMED = "check_in_affirmed"
DIARY_URGE = "diary_urge"
#: Check-in answers, as stored in the ``suicidal_thoughts`` slot.
YES, NO, UNCLEAR = "yes", "no", "unclear"


def _language(tracker: Tracker, client: Client | None) -> str:
    return crisis_messages.language_of(
        tracker.latest_message.get("text") or "", client.locale if client else None
    )


def _already_replied(tracker: Tracker) -> bool:
    """Whether the channel sent the crisis reply when the message arrived (bot.intake)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return bool((event.get("metadata") or {}).get(CRISIS_REPLIED))
    return False


def _alerted(session: Session, client: Client | None) -> bool:
    """Whether a person has been paged about this client's open escalation."""
    if client is None:
        return False
    escalation = active_escalation(session, client.id)
    return bool(escalation and escalation.level in PAGING_LEVELS and escalation.pages)


def after_crisis(client: Client | None) -> list[EventType]:
    """End whatever form was running (a crisis is no time for the diary card).

    A client who has not consented yet is taken back to the consent question,
    which waits silently for their next message (see ``data/rules/crisis.yml``).
    """
    events: list[EventType] = [SlotSet(slot, None) for slot in DIARY_SLOTS]
    events += [SlotSet("diary_safety_stop", None), SlotSet("suicidal_thoughts", None)]
    events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    if client is not None and client.consent_at is None:
        events.append(SlotSet("consent_ask_silently", True))
    return events


def send_protocol(
    dispatcher: CollectingDispatcher, session: Session, client: Client | None, language: str
) -> None:
    for text in crisis_messages.protocol_messages(language, _alerted(session, client)):
        dispatcher.utter_message(text=text)


def escalate(session: Session, client: Client, *, level: str, category: str, evidence: str) -> None:
    """Open or join the client's escalation for risk found in the conversation."""
    record_risk(
        session,
        client,
        level=level,
        categories=[category],
        evidence=evidence,
        now=datetime.now(timezone.utc),
        settings=load_settings(),
    )


class ActionCrisisProtocol(Action):
    """Crisis numbers, a grounding step, and that a person has been alerted."""

    def name(self) -> str:
        return "action_crisis_protocol"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        with client_session(tracker) as (session, client):
            if not _already_replied(tracker):
                send_protocol(dispatcher, session, client, _language(tracker, client))
            return after_crisis(client)


class ActionAskSuicidalThoughts(Action):
    """The check-in: a caring, direct question about suicidal thoughts."""

    def name(self) -> str:
        return "action_ask_suicidal_thoughts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        with client_session(tracker) as (_, client):
            language = _language(tracker, client)
        dispatcher.utter_message(text=crisis_messages.check_in_message(language))
        return []


class ValidateCrisisCheckInForm(FormValidationAction):
    """Any answer completes the check-in; only a clear "no" is taken as no."""

    def name(self) -> str:
        return "validate_crisis_check_in_form"

    async def validate_suicidal_thoughts(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        answer = read_yes_no(str(value)).value
        return {"suicidal_thoughts": {True: YES, False: NO}.get(answer, UNCLEAR)}  # type: ignore[arg-type]


class ActionCrisisCheckInAnswer(Action):
    """Yes, or an unclear answer, escalates as high risk; no offers a coping skill.

    When in doubt, escalate: a person checking on someone who was fine costs
    little; missing someone who was not could cost everything.
    """

    def name(self) -> str:
        return "action_crisis_check_in_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answer = tracker.get_slot("suicidal_thoughts")
        with client_session(tracker) as (session, client):
            language = _language(tracker, client)
            if answer == NO:
                dispatcher.utter_message(text=crisis_messages.check_in_no_message(language))
            else:
                if client is not None:
                    escalate(
                        session,
                        client,
                        level=EscalationLevel.HIGH,
                        category=CHECK_IN_AFFIRMED,
                        evidence=(
                            f"Answer to 'are you having thoughts of suicide or of hurting "
                            f"yourself?': {tracker.latest_message.get('text') or ''}"
                        ),
                    )
                send_protocol(dispatcher, session, client, language)
            return after_crisis(client)
