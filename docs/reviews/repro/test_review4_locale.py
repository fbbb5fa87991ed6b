"""Review 4: crisis numbers half set by a clinic outside the United States.

Settings as ``wisemind`` loads them (``tests/test_settings.py``'s ``env`` fixture: a home
of the test's own, no WISEMIND_* from outside), and the crisis reply the client reads.
Each test fails today because of the hole its docstring describes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.crisis_messages import crisis_reply
from bot.settings import ConfigError, load_settings
from tests.test_settings import env  # noqa: F401  (fixture)


def test_an_emergency_number_left_at_911_beside_the_clinics_own_crisis_line_stops_start_up(
    env: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a clinic would see: a clinic in the UK copies ``.env.example`` and sets
    WISEMIND_CRISIS_LINE_EN=116 123 but leaves WISEMIND_EMERGENCY_NUMBER_EN=911 (or deletes
    the line). WiseMind starts; every client in crisis, in English and in Spanish, reads
    "call 911 if you are in immediate danger". d48336a refuses a *Spanish* pair left at the
    United States' numbers, but compares whole pairs, so half of one passes."""
    monkeypatch.setenv("WISEMIND_CRISIS_LINE_EN", "116 123")
    monkeypatch.setenv("WISEMIND_EMERGENCY_NUMBER_EN", "911")
    try:
        settings = load_settings()
    except ConfigError as error:
        assert "EMERGENCY_NUMBER_EN" in str(error)
        return
    reply = " ".join(crisis_reply("i want to kill myself tonight", None, alerted=True))
    pytest.fail(f"started with {settings.crisis_numbers}; the client reads: {reply}")


def test_a_spanish_emergency_number_left_at_911_beside_the_clinics_own_stops_start_up(
    env: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a clinic would see: a clinic in Spain sets its English numbers (024, 112) and its
    Spanish crisis line (024) and leaves WISEMIND_EMERGENCY_NUMBER_ES=911 from
    ``.env.example``. The Spanish pair (024, 911) is not the United States' pair, so it
    passes: Spanish speakers read "llama al 911"."""
    monkeypatch.setenv("WISEMIND_CRISIS_LINE_EN", "024")
    monkeypatch.setenv("WISEMIND_EMERGENCY_NUMBER_EN", "112")
    monkeypatch.setenv("WISEMIND_CRISIS_LINE_ES", "024")
    monkeypatch.setenv("WISEMIND_EMERGENCY_NUMBER_ES", "911")
    with pytest.raises(ConfigError, match="EMERGENCY_NUMBER_ES"):
        load_settings()
