"""Review 10 (detector): messages the detector misreads after detector8b.

The real detector (rules and model) through the helpers of ``tests/test_safety_detector.py``;
no database. Each test fails on main (92d0859) because of the hole its docstring describes.
Levels "before the merge" were read from a worktree of ``6f07dd6`` (main before the merge of
``detector8b``; the same shipped model) on the same texts, with ``python -m bot.safety``.
#4, #6, #7 and #8 are fixed (branch ``det11a``): their tests are in
``tests/test_safety_detector.py``; #5 is open.
"""

from __future__ import annotations

import pytest

from bot.safety import assess


def _assert_pages_no_one(text: str) -> None:
    assessment = assess(text)
    assert not assessment.level.escalates, assessment.to_dict()


#: Review 10 #5 (Medium, over-escalation): the inverted object list makes every thing not on
#: `everyday_objects` an ending: ordinary plans are imminent (none before the merge).
ORDINARY_THINGS_NO_LONGER_NEEDED = [
    "i won't need my crutches after this week!!",
    "i won't need my cast after tomorrow",
    "i won't need my calculator after tomorrow, finals are done",
    "i won't need my glasses after tomorrow, getting lasik",
    "we won't need the extra chairs after tonight",
    "i won't need my costume after tonight lol",
    "no voy a necesitar mi calculadora después de mañana",
]


@pytest.mark.parametrize("text", ORDINARY_THINGS_NO_LONGER_NEEDED)
def test_crutches_or_a_calculator_no_longer_needed_pages_no_one(text: str) -> None:
    """ "i won't need my crutches after this week!!": imminent, the crisis reply and a
    page (none before the merge)."""
    _assert_pages_no_one(text)
