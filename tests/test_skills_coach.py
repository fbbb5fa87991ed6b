"""What the coach says, the skill entity's spans, and reading replies in a practice."""

from __future__ import annotations

from datetime import date

import pytest

from bot.answers import Problem
from bot.skills import load_library
from bot.skills.coach import (
    DEFAULT_VALIDATION,
    daily_mindfulness,
    explain,
    module_list,
    modules_overview,
    validation_for,
)
from bot.skills.mentions import MentionFinder
from bot.skills.practice import StepCommand, distress_change, read_step_reply, read_suds, reask_suds
from bot.skills.text import SMS_SAFE_CHARACTERS


@pytest.fixture(scope="module")
def finder() -> MentionFinder:
    return MentionFinder(load_library())


@pytest.mark.parametrize(
    ("text", "named", "skill_id"),
    [
        ("what is TIPP", "TIPP", "tipp"),
        ("dear man?", "dear man", "dear_man"),
        ("tell me abt opposite action", "opposite action", "opposite_action"),
        ("explain radical acceptance pls", "radical acceptance", "radical_acceptance"),
        ("radical acceptence?", "radical acceptence", "radical_acceptance"),
        ("whats the STOP skill", "STOP", "stop"),
        ("DEAR-MAN", "DEAR-MAN", "dear_man"),
        ("whats PLEASE in dbt", "PLEASE", "please"),
        ("what does FAST stand 4", "FAST", "fast"),
        ("what is wise mind", "wise mind", "wise_mind"),
        ("hey wisemind what is tipp", "tipp", "tipp"),
        ("what r the how skills", "how skills", "how_skills"),
    ],
)
def test_the_skill_entity_marks_just_the_name(
    finder: MentionFinder, text: str, named: str, skill_id: str
) -> None:
    (mention,) = finder.find(text)
    assert (text[mention.start : mention.end], mention.skill_id) == (named, skill_id)


@pytest.mark.parametrize(
    "text",
    [
        "I can't stop crying",
        "please help",
        "give me a minute",
        "hey wisemind",
        "hi wise mind",
        "thx wisemind",
        "what skills do u have",
        "what skills r there",
    ],
)
def test_everyday_words_inside_a_sentence_name_no_skill(finder: MentionFinder, text: str) -> None:
    assert finder.find(text) == []


def test_a_ten_kilobyte_message_is_searched_only_at_its_start(finder: MentionFinder) -> None:
    assert finder.find("blah " * 2000 + "TIPP") == []


def test_every_skill_explanation_is_plain_sms_text() -> None:
    for skill in load_library():
        for message in explain(skill):
            assert set(message) <= SMS_SAFE_CHARACTERS, skill.id
        assert skill.name in explain(skill)[-1]


def test_a_modules_list_names_its_skills_in_teaching_order() -> None:
    library = load_library()
    listing = module_list(library, "interpersonal_effectiveness")
    names = [skill.name for skill in library.by_module("interpersonal_effectiveness")]
    assert [line.removeprefix("- ") for line in listing.splitlines()[1:-1]] == names
    assert "Distress tolerance" in modules_overview(library)


def test_validation_fits_the_strongest_situation_and_defaults_kindly() -> None:
    assert "angry" in validation_for(["anger", "sadness"])
    assert validation_for(["decision"]) == DEFAULT_VALIDATION


def test_the_daily_mindfulness_exercise_changes_from_day_to_day() -> None:
    library = load_library()
    days = {daily_mindfulness(library, date(2026, 12, day)) for day in range(1, 5)}
    assert len(days) == min(4, len(library.by_module("mindfulness")))


@pytest.mark.parametrize(
    ("reply", "command"),
    [
        ("next", StepCommand.NEXT),
        ("ok done", StepCommand.NEXT),
        ("👍", StepCommand.NEXT),
        ("skip this one", StepCommand.SKIP),
        ("can you repeat that", StepCommand.REPEAT),
        ("again pls", StepCommand.REPEAT),
    ],
)
def test_a_reply_to_a_step_moves_on_skips_or_repeats(reply: str, command: StepCommand) -> None:
    assert read_step_reply(reply) is command


@pytest.mark.parametrize(("text", "value"), [("70", 70), ("about 40", 40), ("none", 0)])
def test_suds_ratings_are_read_from_0_to_100(text: str, value: int) -> None:
    assert read_suds(text).value == value


def test_an_unreadable_suds_rating_is_reasked_with_the_scale() -> None:
    assert read_suds("150").problem is Problem.OUT_OF_RANGE
    assert "0 to 100" in reask_suds(Problem.OUT_OF_RANGE)
    assert read_suds("50 or 60").problem is Problem.AMBIGUOUS


def test_the_change_in_distress_is_said_kindly_whichever_way_it_went() -> None:
    assert "from 80 to 30" in distress_change(80, 30)
    assert "still 50" in distress_change(50, 50)
    assert "CRISIS" in distress_change(40, 70)
