"""The crisis actions: help at once, a direct question for moderate risk, and after.

A high-risk message was already escalated (and the on-call therapist paged)
when it arrived (:mod:`bot.intake`), and the channel sent the crisis reply
then; :class:`ActionCrisisProtocol` ends whatever form was running, and sends
the reply itself only for a message that did not come that way. Risky answers
to the bot's own safety questions (a check-in "yes", a diary urge of 4-5, "not
safe") are escalated at arrival too (:mod:`bot.safety.followup`): the actions
here escalate only an answer the core did not (the message's metadata says).

After crisis help the conversation stays with the client, as a crisis
counsellor would (``crisis_followup_form``): are you safe right now, are you
somewhere safe, is someone with you; the numbers at hand in every re-ask; no
menu until they say they are safe.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot import crisis_messages
from bot.actions.clients import client_session
from bot.diary import FORM_SLOTS
from bot.escalation import active_escalation, person_alerted, record_risk
from bot.intake import CHECK_IN_ASKED, CRISIS_REPLIED
from bot.nlu.crisis_classifier import ASSESSMENT_KEY
from bot.safety.followup import (
    CHECK_IN_AFFIRMED,
    NO,
    NOT_SAFE,
    YES,
    answer_evidence,
    check_in_question,
    read_check_in,
    read_safe_now,
    record_question,
)
from bot.settings import process_settings
from bot.storage.enums import EscalationLevel, SafetyQuestion
from bot.storage.models import Client

#: The slot that keeps the follow-up going until the client says they are safe.
FOLLOWUP_SLOT = "crisis_followup"
#: The follow-up's own slots, cleared whenever it starts or closes.
FOLLOWUP_FORM_SLOTS = ("crisis_safe_now", "crisis_support", "crisis_unsafe")
FOLLOWUP_FORM = "crisis_followup_form"
#: The check-in ("are you having thoughts of suicide?") and the slot its answer fills.
CHECK_IN_FORM = "crisis_check_in_form"
CHECK_IN_SLOT = "suicidal_thoughts"


def _language(tracker: Tracker, client: Client | None) -> str:
    return crisis_messages.language_of(
        tracker.latest_message.get("text") or "", client.locale if client else None
    )


def _intake_said(tracker: Tracker, key: str) -> bool:
    """Whether the core marked the latest message with ``key`` in its metadata."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return bool((event.get("metadata") or {}).get(key))
    return False


def already_replied(tracker: Tracker) -> bool:
    """Whether the core escalated the latest message and the channel sent the crisis reply."""
    return _intake_said(tracker, CRISIS_REPLIED)


def after_crisis(client: Client | None) -> list[EventType]:
    """End whatever form was running (a crisis is no time for the diary card).

    A client who has not consented yet is taken back to the consent question,
    which waits silently for their next message (see ``data/rules/crisis.yml``).
    """
    events: list[EventType] = [SlotSet(slot, None) for slot in FORM_SLOTS]
    events += [SlotSet(slot, None) for slot in FOLLOWUP_FORM_SLOTS]
    events += [SlotSet("diary_safety_stop", None), SlotSet(CHECK_IN_SLOT, None)]
    events += [SlotSet(FOLLOWUP_SLOT, None), ActiveLoop(None), SlotSet("requested_slot", None)]
    if client is not None and client.consent_at is None:
        events.append(SlotSet("consent_ask_silently", True))
    return events


def after_crisis_help(client: Client | None) -> list[EventType]:
    """:func:`after_crisis`, then the follow-up for a client who has consented.

    Before consent, the consent question comes back instead (it carries the
    crisis numbers too).
    """
    events = after_crisis(client)
    if client is not None and client.consent_at is not None:
        events.append(SlotSet(FOLLOWUP_SLOT, True))
    return events


def send_protocol(
    dispatcher: CollectingDispatcher, session: Session, client: Client | None, language: str
) -> None:
    """The crisis reply; "a person was alerted" only when :func:`person_alerted` says so."""
    escalation = active_escalation(session, client.id) if client is not None else None
    alerted = person_alerted(session, escalation, process_settings())
    for text in crisis_messages.protocol_messages(language, alerted):
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
        settings=process_settings(),
    )


def help_now(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    session: Session,
    client: Client | None,
    *,
    category: str,
    evidence: str,
) -> None:
    """Escalate a risky answer and send crisis help, unless the core already did both."""
    if already_replied(tracker):
        return
    if client is not None:
        escalate(session, client, level=EscalationLevel.HIGH, category=category, evidence=evidence)
    send_protocol(dispatcher, session, client, _language(tracker, client))


def _followup_was_asking(tracker: Tracker) -> bool:
    """Whether the client's latest message came while the follow-up was already running.

    Then "are you safe?" is asked again (they answered something else); else
    it is asked for the first time, right after the crisis help.
    """
    after_user_message = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            after_user_message = True
        elif after_user_message and event.get("event") == "active_loop":
            return bool(event.get("name") == FOLLOWUP_FORM)
    return False


def ask_safety_question(tracker: Tracker, kind: str) -> None:
    """Record that the client is being asked ``kind``, so the core screens the answer."""
    with client_session(tracker) as (session, client):
        if client is not None:
            record_question(session, client, kind, datetime.now(timezone.utc))


class AskSafetyQuestion(Action, ABC):
    """Asks a domain response whose answer can call for a person, recording it first."""

    @property
    @abstractmethod
    def question(self) -> str:
        """The :class:`~bot.storage.enums.SafetyQuestion` this action asks."""

    @property
    @abstractmethod
    def response(self) -> str:
        """The domain response with the question's words."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ask_safety_question(tracker, self.question)
        dispatcher.utter_message(response=self.response)
        return []


class ActionCrisisProtocol(Action):
    """Crisis numbers, a grounding step, and that a person has been alerted."""

    def name(self) -> str:
        return "action_crisis_protocol"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        with client_session(tracker) as (session, client):
            if not already_replied(tracker):
                send_protocol(dispatcher, session, client, _language(tracker, client))
            return after_crisis_help(client)


class SayInTheirLanguage(Action, ABC):
    """A crisis action that says one text in the client's language.

    ``question``, if set, is the safety question the text asks: it is recorded
    first, so that the core screens the answer even if Rasa is down then.
    """

    question: str | None = None

    @abstractmethod
    def text(self, tracker: Tracker, language: str) -> str:
        """What to say, in ``language``."""

    def events(self) -> list[EventType]:
        """The events to return after saying it."""
        return []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if self.question is not None:
            ask_safety_question(tracker, self.question)
        with client_session(tracker) as (_, client):
            language = _language(tracker, client)
        dispatcher.utter_message(text=self.text(tracker, language))
        return self.events()


class ActionAskSuicidalThoughts(SayInTheirLanguage):
    """The check-in: a caring, direct question about suicidal thoughts.

    After a disclosed act of self-harm it asks about injuries first. For a
    message the core found moderate risk in, the core has asked it already
    (the message's metadata says so): the form then only waits for the answer.
    """

    question = SafetyQuestion.CHECK_IN

    def name(self) -> str:
        return "action_ask_suicidal_thoughts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if _intake_said(tracker, CHECK_IN_ASKED):
            return []  # the core asked it (and recorded it) as the message arrived
        return await super().run(dispatcher, tracker, domain)

    def text(self, tracker: Tracker, language: str) -> str:
        assessment = tracker.latest_message.get(ASSESSMENT_KEY) or {}
        return check_in_question(language, assessment.get("categories", ()))


class ValidateCrisisCheckInForm(FormValidationAction):
    """Any answer completes the check-in; only a clear "no" is taken as no."""

    def name(self) -> str:
        return f"validate_{CHECK_IN_FORM}"

    async def validate_suicidal_thoughts(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        if value is None:  # cleared by an action just before the form started: no answer
            return {CHECK_IN_SLOT: None}
        return {CHECK_IN_SLOT: read_check_in(str(value))}


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
        with client_session(tracker) as (session, client):
            language = _language(tracker, client)
            if tracker.get_slot(CHECK_IN_SLOT) == NO:
                dispatcher.utter_message(text=crisis_messages.check_in_no_message(language))
                return after_crisis(client)
            answer = tracker.latest_message.get("text") or ""
            evidence = answer_evidence(SafetyQuestion.CHECK_IN, answer)
            help_now(
                dispatcher, tracker, session, client, category=CHECK_IN_AFFIRMED, evidence=evidence
            )
            return after_crisis_help(client)


class ActionAskCrisisSafeNow(SayInTheirLanguage):
    """ "Are you safe right now?": first gently, then with the numbers at hand."""

    question = SafetyQuestion.SAFE_NOW

    def name(self) -> str:
        return "action_ask_crisis_safe_now"

    def text(self, tracker: Tracker, language: str) -> str:
        if tracker.get_slot("crisis_unsafe"):
            texts = crisis_messages.SAFE_NOW_AFTER_UNSAFE
        elif not _followup_was_asking(tracker):
            texts = crisis_messages.SAFE_NOW_FIRST
        else:
            texts = crisis_messages.SAFE_NOW_AGAIN
        return crisis_messages.with_numbers(texts, language)


class ActionAskCrisisSupport(SayInTheirLanguage):
    """Is someone with them; after "not safe", are they somewhere safe first."""

    def name(self) -> str:
        return "action_ask_crisis_support"

    def text(self, tracker: Tracker, language: str) -> str:
        safe = tracker.get_slot("crisis_safe_now") == YES
        texts = crisis_messages.SUPPORT_WHEN_SAFE if safe else crisis_messages.SUPPORT_WHEN_UNSAFE
        return texts[language]


class ValidateCrisisFollowupForm(FormValidationAction):
    """Keeps asking until the client says they are safe; "not safe" gets help at once."""

    def name(self) -> str:
        return "validate_crisis_followup_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """Who is with them comes first once they said they are not safe.

        Hook for therapist take-over (SPEC §7, not built yet): once a therapist
        has taken the conversation over, this returns no slots, ending the form.
        """
        if tracker.get_slot("crisis_unsafe") and tracker.get_slot("crisis_support") is None:
            return ["crisis_support", "crisis_safe_now"]
        return domain_slots

    async def validate_crisis_safe_now(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        if value is None:  # cleared as the follow-up started: nothing answered yet
            return {"crisis_safe_now": None}
        answer = read_safe_now(str(value))
        if answer == YES:
            return {"crisis_safe_now": YES}
        if answer == NO:
            with client_session(tracker) as (session, client):
                evidence = answer_evidence(SafetyQuestion.SAFE_NOW, str(value))
                help_now(dispatcher, tracker, session, client, category=NOT_SAFE, evidence=evidence)
            return {"crisis_safe_now": None, "crisis_unsafe": True}
        return {"crisis_safe_now": None}

    async def validate_crisis_support(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        return {"crisis_support": None if value is None else str(value)}


class ActionCrisisFollowupClose(SayInTheirLanguage):
    """The client is safe: a gentle close, the numbers, a skill for when they are ready."""

    def name(self) -> str:
        return "action_crisis_followup_close"

    def text(self, tracker: Tracker, language: str) -> str:
        return crisis_messages.with_numbers(crisis_messages.FOLLOWUP_CLOSE, language)

    def events(self) -> list[EventType]:
        return [SlotSet(FOLLOWUP_SLOT, None), *(SlotSet(s, None) for s in FOLLOWUP_FORM_SLOTS)]
