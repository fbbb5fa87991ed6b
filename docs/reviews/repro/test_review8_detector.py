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

#: Review 8 detector #5: the comma, "and" and "i'm" cases are fixed (branch ``det11b``,
#: tests in ``tests/test_safety_detector.py``). Left: an idiom that drops a part, then
#: risk only the model reads: the check-in (moderate), not a page (none before det11b).
IDIOM_THEN_RISK_IN_THE_SAME_TEXTED_LINE = [
    "im killing myself studying. i just want it to be over",
]


@pytest.mark.parametrize("text", IDIOM_THEN_RISK_IN_THE_SAME_TEXTED_LINE)
def test_an_idiom_does_not_hide_risk_said_after_a_comma(text: str) -> None:
    """ "im killing myself studying. i just want it to be over": the check-in, not a page."""
    _assert_escalates(text)
