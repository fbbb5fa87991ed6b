"""Crisis numbers shown to clients, per locale, from configuration.

The defaults are the United States' (988 Suicide & Crisis Lifeline, 911); a
clinic elsewhere sets ``WISEMIND_CRISIS_LINE_<LOCALE>`` and
``WISEMIND_EMERGENCY_NUMBER_<LOCALE>`` (see ``.env.example``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import process_settings

DEFAULT_LOCALE = "en"


@dataclass(frozen=True)
class CrisisContacts:
    """Where a client can reach a person at any hour."""

    crisis_line: str
    emergency_number: str


def crisis_contacts(locale: str | None = None) -> CrisisContacts:
    """The configured numbers for ``locale``, falling back to English."""
    numbers = process_settings().crisis_numbers
    line, emergency = numbers.get((locale or DEFAULT_LOCALE).lower(), numbers[DEFAULT_LOCALE])
    return CrisisContacts(crisis_line=line, emergency_number=emergency)
