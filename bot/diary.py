"""The DBT diary card (Linehan's format): its items, scales, storage and summary.

This module is the single description of the card. The Rasa form asks for the
items in :data:`DIARY_ITEMS` order (``domain/diary.yml`` lists the same slot
names), the action server validates answers with :func:`read_item`, and
:func:`save_entry` writes the card under the day it is about: the client's
local date when it was started, even if it was paused and finished later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answers import Problem, Reading, read_scale, read_yes_no
from bot.storage.enums import EMOTION_MAX, SKILLS_MAX, URGE_MAX
from bot.storage.models import Client, DiaryEntry

#: An urge to commit suicide or self-harm at or above this starts the safety protocol.
SAFETY_URGE_THRESHOLD = 4

#: Linehan's 0–7 skills-use scale, shown when the client is asked about skills.
SKILLS_SCALE_LEGEND = (
    "0 = not thought about or used\n"
    "1 = thought about, not used, didn't want to\n"
    "2 = thought about, not used, wanted to\n"
    "3 = tried but couldn't use them\n"
    "4 = tried, could do them, but they didn't help\n"
    "5 = tried, could use them, helped\n"
    "6 = didn't try, used them, didn't help\n"
    "7 = didn't try, used them, helped"
)

#: Replies that mean "no note today".
NO_NOTE_WORDS = frozenset(
    {"skip", "no", "nope", "nah", "none", "nothing", "n/a", "na", "no thanks"}
)
MAX_NOTE_CHARS = 2000


class Kind(Enum):
    """How an item's answer is read."""

    SCALE = "scale"
    YES_NO = "yes_no"
    NOTE = "note"


@dataclass(frozen=True)
class DiaryItem:
    """One line of the diary card.

    ``slot`` is the Rasa slot (and form field); ``column`` the database column.
    """

    slot: str
    column: str
    label: str
    kind: Kind
    high: int = 0

    def scale_hint(self) -> str:
        """The answer format, repeated in every re-ask."""
        if self.kind is Kind.SCALE:
            return f"a number from 0 to {self.high}"
        if self.kind is Kind.YES_NO:
            return "yes or no"
        return "a few words, or 'skip'"


DIARY_ITEMS: tuple[DiaryItem, ...] = (
    DiaryItem("diary_urge_suicide", "urge_suicide", "urge to commit suicide", Kind.SCALE, URGE_MAX),
    DiaryItem("diary_urge_self_harm", "urge_self_harm", "urge to self-harm", Kind.SCALE, URGE_MAX),
    DiaryItem("diary_urge_use", "urge_use", "urge to use", Kind.SCALE, URGE_MAX),
    DiaryItem("diary_self_harm", "self_harm", "self-harm today", Kind.YES_NO),
    DiaryItem("diary_substance_use", "substance_use", "used drugs or alcohol", Kind.YES_NO),
    DiaryItem("diary_sadness", "sadness", "sadness", Kind.SCALE, EMOTION_MAX),
    DiaryItem("diary_anger", "anger", "anger", Kind.SCALE, EMOTION_MAX),
    DiaryItem("diary_fear", "fear", "fear", Kind.SCALE, EMOTION_MAX),
    DiaryItem("diary_shame", "shame", "shame", Kind.SCALE, EMOTION_MAX),
    DiaryItem("diary_joy", "joy", "joy", Kind.SCALE, EMOTION_MAX),
    DiaryItem("diary_skills_used", "skills_used", "skills used", Kind.SCALE, SKILLS_MAX),
    DiaryItem("diary_note", "note", "note", Kind.NOTE),
)
ITEMS_BY_SLOT: dict[str, DiaryItem] = {item.slot: item for item in DIARY_ITEMS}
DIARY_SLOTS: tuple[str, ...] = tuple(item.slot for item in DIARY_ITEMS)
#: Asked only after "yes" to "did you self-harm today?": are they hurt, or not safe
#: now? Not a line of the card, so not stored with it.
SELF_HARM_CARE_SLOT = "diary_self_harm_care"
#: Every slot the diary form fills.
FORM_SLOTS: tuple[str, ...] = (*DIARY_SLOTS, SELF_HARM_CARE_SLOT)
#: The client's local date when the card was started (ISO): the day the card is about,
#: even when it is paused and finished the next day.
CARD_DAY_SLOT = "diary_card_day"
#: The care question, read and re-asked like an item of the card.
CARE_QUESTION = DiaryItem(SELF_HARM_CARE_SLOT, "", "hurt or not safe now", Kind.YES_NO)


def read_item(item: DiaryItem, text: str) -> Reading:
    """Read the client's answer to one diary item."""
    if item.kind is Kind.SCALE:
        return read_scale(text, 0, item.high)
    if item.kind is Kind.YES_NO:
        return read_yes_no(text)
    note = text.strip()
    if not note or note.lower().strip(" .!") in NO_NOTE_WORDS:
        return Reading("")  # answered, and the answer is "no note"
    return Reading(note[:MAX_NOTE_CHARS])


def reask(item: DiaryItem, problem: Problem) -> str:
    """The re-ask for an answer that could not be read, with the expected format."""
    if problem is Problem.OUT_OF_RANGE:
        return f"That's outside the scale. Please reply with {item.scale_hint()}."
    if problem is Problem.AMBIGUOUS:
        return f"I want to get this right: please reply with just {item.scale_hint()}."
    return f"Sorry, I didn't catch that. Please reply with {item.scale_hint()}."


def needs_safety_protocol(values: Mapping[str, Any]) -> bool:
    """True when a suicide or self-harm urge rating is high enough to act on."""
    return any(
        isinstance(values.get(slot), int) and values[slot] >= SAFETY_URGE_THRESHOLD
        for slot in ("diary_urge_suicide", "diary_urge_self_harm")
    )


SAFETY_STOP_MESSAGE = (
    "Thank you for being honest about your urges. I've saved your card so far, and "
    "we'll stop it here so we can focus on keeping you safe."
)
CARE_STOP_MESSAGE = (
    "Thank you for telling me. I've saved your card so far, and we'll stop it here. If "
    "you are hurt, please get care now: call {emergency} for anything serious."
)
CARE_NOT_NEEDED_MESSAGE = "I'm glad. Let's carry on with the card."


def urge_evidence(values: Mapping[str, Any]) -> str:
    """What the therapist sees in the escalation: the ratings, in the card's words."""
    return "Diary card: " + ", ".join(
        f"{ITEMS_BY_SLOT[slot].label} {values[slot]}/{URGE_MAX}"
        for slot in ("diary_urge_suicide", "diary_urge_self_harm")
        if isinstance(values.get(slot), int)
    )


def local_date(client: Client, now: datetime) -> date:
    """The date of the card in the client's own time zone."""
    return now.astimezone(ZoneInfo(client.timezone)).date()


def has_entry(session: Session, client: Client, entry_date: date) -> bool:
    """Whether a card is already saved for that date (a new one will replace it)."""
    return (
        session.execute(
            select(DiaryEntry.id).where(
                DiaryEntry.client_id == client.id, DiaryEntry.entry_date == entry_date
            )
        ).first()
        is not None
    )


def card_day(client: Client, started_on: str | None, now: datetime) -> date:
    """The day a card is about: the day it was started (ISO), else the client's today."""
    return date.fromisoformat(started_on) if started_on else local_date(client, now)


def resumed_day_notice(started_on: str | None, today: date) -> str | None:
    """What a client picking up a card started on another day is told, or ``None``."""
    if not started_on or date.fromisoformat(started_on) == today:
        return None
    return (
        f"This card is for {date.fromisoformat(started_on):%a %d %b}, the day you started it. "
        "Answer for that day."
    )


def save_entry(
    session: Session, client: Client, values: Mapping[str, Any], entry_date: date
) -> DiaryEntry:
    """Store the card under ``entry_date``, the day it is about; a second card replaces it."""
    entry = session.execute(
        select(DiaryEntry).where(
            DiaryEntry.client_id == client.id, DiaryEntry.entry_date == entry_date
        )
    ).scalar_one_or_none()
    if entry is None:
        entry = DiaryEntry(client_id=client.id, entry_date=entry_date)
        session.add(entry)
    for item in DIARY_ITEMS:
        value = values.get(item.slot)
        if item.kind is Kind.NOTE:
            value = value or None
        setattr(entry, item.column, value)
    session.flush()
    return entry


def summary(values: Mapping[str, Any], entry_date: date, *, replaced: bool = False) -> str:
    """A short read-back of the saved card, with the note, and whether it replaced one."""

    def yes_no(slot: str) -> str:
        return "yes" if values.get(slot) else "no"

    note = values.get("diary_note")
    saved = (
        f"Saved your diary card for {entry_date:%a %d %b}. It replaces the card you sent "
        "earlier that day.\n"
        if replaced
        else f"Saved your diary card for {entry_date:%a %d %b}.\n"
    )
    return (
        saved + f"Urges: suicide {values['diary_urge_suicide']}, "
        f"self-harm {values['diary_urge_self_harm']}, use {values['diary_urge_use']}.\n"
        f"Self-harm: {yes_no('diary_self_harm')}. "
        f"Drugs/alcohol: {yes_no('diary_substance_use')}.\n"
        f"Sadness {values['diary_sadness']}, anger {values['diary_anger']}, "
        f"fear {values['diary_fear']}, shame {values['diary_shame']}, "
        f"joy {values['diary_joy']}.\n"
        f"Skills: {values['diary_skills_used']}/{SKILLS_MAX}." + (f"\nNote: {note}" if note else "")
    )
