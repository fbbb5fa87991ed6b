"""The Rasa assistant's data and its conversation test stories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.crisis_classifier import CrisisClassifier
from bot.settings import PROJECT_ROOT

RASA_ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}


def _rasa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rasa", *args],
        cwd=PROJECT_ROOT,
        env=RASA_ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_training_data_and_domain_validate_without_warnings() -> None:
    result = _rasa("data", "validate", "--domain", "domain", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # Rasa only warns (and exits 0) about an intent with no NLU examples.
    assert "not found in the NLU training data" not in result.stdout + result.stderr


def test_a_client_text_diet_reads_as_a_reminder_never_fires_one() -> None:
    # EXTERNAL_reminder has NLU examples only so that the data validates (above);
    # it must still come only from the scheduler's trigger_intent call.
    guess = {INTENT_NAME_KEY: "EXTERNAL_reminder", PREDICTED_CONFIDENCE_KEY: 0.9}
    other = {INTENT_NAME_KEY: "set_reminder", PREDICTED_CONFIDENCE_KEY: 0.1}
    message = Message(
        data={TEXT: "external reminder", INTENT: guess, INTENT_RANKING_KEY: [guess, other]}
    )
    (classified,) = CrisisClassifier().process([message])
    assert classified.get(INTENT)[INTENT_NAME_KEY] == "nlu_fallback"
    ranked = [entry[INTENT_NAME_KEY] for entry in classified.get(INTENT_RANKING_KEY)]
    assert ranked == ["set_reminder"]


def test_diary_test_stories_are_predicted_exactly(trained_model: Path, tmp_path: Path) -> None:
    result = _rasa(
        "test", "core",
        "--model", str(trained_model),
        "--stories", "tests/stories",
        "--out", str(tmp_path),
        "--fail-on-prediction-errors",
    )  # fmt: skip
    failed = (tmp_path / "failed_test_stories.yml").read_text() if result.returncode else ""
    assert result.returncode == 0, failed or result.stderr[-3000:]
