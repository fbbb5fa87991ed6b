"""Review 8 (detector): crisis messages the detector misreads after detector7b.

The real detector (rules and model) through the helpers of ``tests/test_safety_detector.py``;
no database. Each test fails on main (e487deb) because of the hole its docstring describes.
#1, #2, #3, #6, #7, #8 and #9 are fixed (branch ``detector8b``), #4 (branch ``det11a``):
their tests are in ``tests/test_safety_detector.py``; #5 is open.
Levels "before the merge" were read from ``git archive 244ed9c`` on the same texts.
"""

from __future__ import annotations

import pytest

from tests.test_safety_detector import _assert_escalates

#: Review 8 detector #5: an idiom masks everything up to a full stop: a comma, "and" or
#: nothing between the idiom and risk only the model reads leaves the model out. Each is
#: high with a full stop instead.
IDIOM_THEN_RISK_IN_THE_SAME_TEXTED_LINE = [
    "im dead tired, this is the last time you'll hear from me",
    "my phone is dying, i wrote letters to everyone",
    "i could kill for a pizza and i know how many it takes",
    "im dying of embarrassment i'm not going to be around much longer",
    "im killing myself studying. i just want it to be over",
]


@pytest.mark.parametrize("text", IDIOM_THEN_RISK_IN_THE_SAME_TEXTED_LINE)
def test_an_idiom_does_not_hide_risk_said_after_a_comma(text: str) -> None:
    """ "im dead tired, this is the last time you'll hear from me": none; with a full
    stop instead of the comma it is high."""
    _assert_escalates(text)
