"""Review 11 (detector): messages the fix of review 10 #3 still misreads (#10; #1-#5 fixed).

The real detector (rules and model) through the helpers of ``tests/test_safety_detector.py``;
no database. Each test fails on main (16292bd) because of the hole its docstring describes.
Levels "before" were read from a worktree of ``5d0e51e`` (main before the fixes of review 10
#1 and #3; the same shipped model) on the same texts, with ``python -m bot.safety``.
"""

from __future__ import annotations

import pytest

from bot.safety import assess


def _assert_pages_no_one(text: str) -> None:
    assessment = assess(text)
    assert not assessment.level.escalates, assessment.to_dict()


#: Review 11 #10 (Low, over-escalation): "pick" and "alarm" off `everyday_objects` make
#: ordinary news imminent (none before); the mechanism of review 10 #5.
PICKING_UP_OR_AN_ALARM_NO_LONGER_NEEDED = [
    "i won't need to pick up my sister after this week, she got her license",
    "i won't need to pick the kids up after today, school's out",
    "i won't need an alarm after friday, retiring!!",
]


@pytest.mark.parametrize("text", PICKING_UP_OR_AN_ALARM_NO_LONGER_NEEDED)
def test_no_longer_picking_up_my_sister_pages_no_one(text: str) -> None:
    """ "i won't need to pick up my sister after this week, she got her license": imminent
    (none before)."""
    _assert_pages_no_one(text)
