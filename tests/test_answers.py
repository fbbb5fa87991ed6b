"""Reading clients' answers: what a texted number or yes/no is taken to mean."""

import pytest

from bot.answers import Problem, read_scale, read_yes_no


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("  4 ", 4),
        ("a 2", 2),
        ("like 1 maybe", 1),
        ("prob a 3 tbh", 3),
        ("three", 3),
        ("Tres", 3),
        ("zero", 0),
        ("none", 0),
        ("nothing", 0),
        ("nada", 0),
        ("not at all", 0),
        ("4/5", 4),
        ("4 out of 5", 4),
        ("5", 5),
        ("5/5", 5),
        ("2️⃣", 2),
        ("3!!", 3),
    ],
)
def test_a_rating_in_any_everyday_form_is_read(text: str, value: int) -> None:
    reading = read_scale(text, 0, 5)
    assert reading.ok
    assert reading.value == value


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("6", Problem.OUT_OF_RANGE),
        ("10", Problem.OUT_OF_RANGE),
        ("-1", Problem.OUT_OF_RANGE),
        ("2 or 3", Problem.AMBIGUOUS),
        ("2-3", Problem.AMBIGUOUS),
        ("3.5", Problem.AMBIGUOUS),
        ("idk", Problem.MISSING),
        ("😭", Problem.MISSING),
        ("", Problem.MISSING),
    ],
)
def test_a_rating_that_cannot_be_read_says_why(text: str, problem: Problem) -> None:
    reading = read_scale(text, 0, 5)
    assert reading.value is None
    assert reading.problem is problem


def test_the_skills_scale_accepts_seven_and_refuses_eight() -> None:
    assert read_scale("7", 0, 7).value == 7
    assert read_scale("6 out of 7", 0, 7).value == 6
    assert read_scale("8", 0, 7).problem is Problem.OUT_OF_RANGE


@pytest.mark.parametrize(
    "text", ["yes", "Yeah", "yep", "y", "YES I did", "sí", "si", "👍", "ok", "i agree"]
)
def test_yes_in_any_everyday_form_is_yes(text: str) -> None:
    assert read_yes_no(text).value is True


@pytest.mark.parametrize(
    "text", ["no", "No.", "nope", "nah", "n", "no i didn't", "I did not", "didnt", "👎"]
)
def test_no_in_any_everyday_form_is_no(text: str) -> None:
    assert read_yes_no(text).value is False


@pytest.mark.parametrize("text", ["yes and no", "maybe", "what do you mean", ""])
def test_an_answer_that_is_not_clearly_yes_or_no_is_not_guessed(text: str) -> None:
    reading = read_yes_no(text)
    assert reading.value is None
    assert reading.problem is not None
