"""Review 13 (answers): answers the fixes of review 12 #8, #9, #11 (fix12c) misread.

The real readers of ``bot/safety/followup.py`` (and the real detector they ask), as
``tests/test_safety_followup.py`` uses them; no database. Each test fails on main
(fc3f08b) because of the hole its docstring describes. Readings "before" were taken on a
worktree of ``0b29c6c``.
"""

from __future__ import annotations

import pytest

from bot.safety.followup import NO, read_safe_now

#: Review 13 #8 (Medium): `_ENDS_ITS_CLAUSE` lets only a mark, the end or thanks follow
#: "hasta luego/pronto" after a word of safety, and `_A_PLAN` knows only its closed lists
#: of places; a goodbye to a friend ("amiga", "besos", "nos vemos", "doc") and getting to
#: an ordinary place ("the office", "uni", "college", "la oficina") are read as a limit or
#: a doubted morning: no, the acknowledger paged again (asked again before; "hasta luego
#: nos vemos" a plain yes before).
AN_ORDINARY_GOODBYE_READ_AS_A_LIMIT = [
    "sí estoy bien hasta luego nos vemos",
    "sí estoy bien hasta luego amiga",
    "si estoy bien hasta pronto doc",
    "si estoy bien hasta luego besos",
    "yes see you tomorrow if i make it to the office",
    "yes see you tomorrow if i make it to college",
    "yes see you tomorrow if i wake up before noon",
    "sí nos vemos mañana si llego a la oficina",
]

#: Review 13 #9 (Medium): `_A_PLAN` matches "to the train" and "to my mom's" as a plan
#: without reading the word after it, so the tracks and a grave are a daily place and
#: someone: asked again, the acknowledger not told ("si llego a las vías del tren" is no).
A_MORNING_DOUBTED_AT_THE_TRACKS = [
    "yes see you tomorrow if i make it to the train tracks",
    "yes see you tomorrow if i make it to the train tracks tonight",
    "yes see you tomorrow if i make it to my moms grave",
    "yes see you tomorrow if i make it to my dads grave",
]


@pytest.mark.parametrize("answer", AN_ORDINARY_GOODBYE_READ_AS_A_LIMIT)
def test_si_estoy_bien_hasta_luego_nos_vemos_does_not_page_the_acknowledger_again(
    answer: str,
) -> None:
    """ "are you safe right now?" answered "sí estoy bien hasta luego nos vemos": no, the
    acknowledging therapist paged again (yes before)."""
    assert read_safe_now(answer) != NO


@pytest.mark.parametrize("answer", A_MORNING_DOUBTED_AT_THE_TRACKS)
def test_see_you_tomorrow_if_i_make_it_to_the_train_tracks_pages_the_acknowledger_again(
    answer: str,
) -> None:
    """ "yes see you tomorrow if i make it to the train tracks": asked again, the
    acknowledging therapist not told."""
    assert read_safe_now(answer) == NO
