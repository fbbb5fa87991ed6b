"""Very long messages without spaces are scored, and risk inside them is still found.

Tokenizing used to take time quadratic in the length of a run without spaces
(16,000 emoji: 32 s, inside the write transaction). These tests check the
function only; the time is measured by ``benchmarks/bench_detector.py``.
"""

from __future__ import annotations

import pytest

from bot.safety import RiskLevel, assess

LONG = 16_000


@pytest.mark.parametrize(
    "text",
    [
        "😭" * LONG,
        "a" * LONG,
        "🤷🏽‍♀️" * (LONG // 5),
        "😭🙂🌧🤷" * (LONG // 4),
        "!?" * (LONG // 2),
        "k1ll" * (LONG // 4),
    ],
    ids=["one-emoji", "one-letter", "emoji-sequence", "mixed-emoji", "punctuation", "leet"],
)
def test_sixteen_thousand_characters_without_spaces_are_scored(text: str) -> None:
    assert assess(text).level is RiskLevel.NONE


def test_risk_after_a_long_emoji_run_is_still_found() -> None:
    text = "😭" * LONG + " i want to kill myself tonight"
    assessment = assess(text)
    assert assessment.level is RiskLevel.IMMINENT
    assert all(text[e.start : e.end] == e.text for e in assessment.evidence)


def test_evidence_for_a_repeated_emoji_spans_every_copy() -> None:
    text = "💊💊💊💊💊💊 goodbye"
    assessment = assess(text)
    assert assessment.level is RiskLevel.IMMINENT
    assert any(e.text == "💊💊💊💊💊💊" for e in assessment.evidence)
