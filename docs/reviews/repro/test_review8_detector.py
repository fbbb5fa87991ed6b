"""Review 8 (detector): crisis messages the detector misreads after detector7b.

The real detector (rules and model) through the helpers of ``tests/test_safety_detector.py``;
no database. Each test fails on main (e487deb) because of the hole its docstring describes.
#1, #2, #3, #6, #7, #8 and #9 are fixed (branch ``detector8b``): their tests are in
``tests/test_safety_detector.py``; #4 (a crying emoji, symptoms or a last message after
the joke; the hedges are fixed) and #5 are open.
Levels "before the merge" were read from ``git archive 244ed9c`` on the same texts.
"""

from __future__ import annotations

import pytest

from tests.test_safety_detector import _assert_escalates

#: Review 8 detector #4: a joke followed by doubt the list does not hold, by overdose
#: symptoms, or by risk only the model reads. None before and after the merge.
JOKES_FOLLOWED_BY_DOUBT_OR_SYMPTOMS = [
    "i took the whole bottle jk 😭",
    "i took the whole bottle jk, everything is blurry",
    "i took the whole bottle lol jk. feeling kinda dizzy",
    "kms jk. this is the last time you'll hear from me",
    "me tomé todas las pastillas jk me siento mareada",
]

#: Review 8 detector #5: the comma, "and" and "i'm" cases are fixed (branch ``det11b``,
#: tests in ``tests/test_safety_detector.py``). Left: an idiom that drops a part, then
#: risk only the model reads: the check-in (moderate), not a page (none before det11b).
IDIOM_THEN_RISK_IN_THE_SAME_TEXTED_LINE = [
    "im killing myself studying. i just want it to be over",
]

@pytest.mark.parametrize("text", JOKES_FOLLOWED_BY_DOUBT_OR_SYMPTOMS)
def test_a_joke_followed_by_doubt_symptoms_or_a_last_message_pages(text: str) -> None:
    """ "i took the whole bottle jk maybe", "jk, everything is blurry", "kms jk. this is
    the last time you'll hear from me", "es broma... creo": none."""
    _assert_escalates(text)


@pytest.mark.parametrize("text", IDIOM_THEN_RISK_IN_THE_SAME_TEXTED_LINE)
def test_an_idiom_does_not_hide_risk_said_after_a_comma(text: str) -> None:
    """ "im dead tired, this is the last time you'll hear from me": none; with a full
    stop instead of the comma it is high."""
    _assert_escalates(text)
