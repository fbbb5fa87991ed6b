"""Review 5: answers to the bot's safety questions the core misreads.

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector and intake pipeline
(``bot.intake.receive``): no Rasa, no action server. Each test fails on main because
of the hole its docstring describes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.safety.followup import YES, read_safe_now, record_question
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Client, Escalation, utcnow
from tests.test_safety_followup import (  # noqa: F401  (fixtures and helpers)
    _answer,
    _crisis_acknowledged_and_asked_safe_now,
    _escalations,
    _primary_pages,
    client,
)


@pytest.mark.parametrize(
    "answer", ["i’m at 5", "still at 5", "been at 5 all day", "honestly at 5", "sitting at 5"]
)
def test_an_urge_of_5_written_with_a_curly_apostrophe_or_after_a_word_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: the diary card asks "urge to commit suicide today, 0-5?" and
    the client answers "i’m at 5" (an iPhone writes the apostrophe curly), or "still at 5",
    "been at 5 all day". The core takes "at 5" after a word for a time ("my appointment is
    at 4", review 4 #8) and sees no rating word (its "i'm at" is written with a straight
    apostrophe only): the message is not read as an answer. No crisis reply, no page; with
    the action server down nobody ever hears of it, and the question waits for a rating
    the client already gave."""
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    reply = _answer(db_session, answer)
    assert _escalations(db_session) == [("high", ["diary_urge"])], "nobody paged"
    assert any("988" in text for text in reply), "no crisis reply"
    assert len(_primary_pages(db_session)) == 1


@pytest.mark.parametrize(
    "answer", ["yes i did it", "sí, ya lo hice", "yes, goodbye", "safe. bye everyone"]
)
def test_i_did_it_or_a_goodbye_to_are_you_safe_reopens_the_escalation(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: after "i want to kill myself tonight", the on-call therapist's
    ACK and "are you safe right now?", the client answers "yes i did it", "sí, ya lo hice",
    "yes, goodbye" or "safe. bye everyone". Each is read as *safe* (a yes or "safe" with
    nothing the reader knows against it) and the detector scores each `none` (an act done
    and a farewell are parts without a partner): the core does nothing, the Rasa form closes
    the follow-up gently ("I'm glad you're safe"). The therapist who acknowledged is not told
    of an act done, or of a goodbye, after a crisis."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "open"


@pytest.mark.parametrize(
    "answer", ["yes i did it", "sí, ya lo hice", "yes, goodbye", "safe. bye everyone"]
)
def test_are_you_safe_does_not_read_an_act_or_a_goodbye_as_safe(answer: str) -> None:
    assert read_safe_now(answer) != YES


@pytest.mark.parametrize(
    "answer",
    ["i'm safe, i put the knife away", "yes i'm safe, i threw the rope out",
     "safe, i flushed the pills"],
)  # fmt: skip
def test_safe_after_putting_the_means_away_does_not_page_again(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: the acknowledged therapist asked the client to put the
    means away (the safety plan's first step); the client answers "are you safe right now?"
    with "i'm safe, i put the knife away". Any means named makes the answer *not safe*
    (review 4 #7's fix): the escalation re-opens, the on-call primary is paged again and
    the client reads "I've alerted a person" for doing what was asked."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "acknowledged"
    assert len(_primary_pages(db_session)) == 1, "the on-call therapist is paged again"


@pytest.mark.parametrize(
    "answer",
    ["no... i am", "no i do", "no i'm having those thoughts right now", "no, i am having thoughts"],
)
def test_a_no_followed_by_an_admission_to_the_check_in_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: asked "are you having thoughts of suicide or of hurting
    yourself?", the client writes "no... i am", "no i do" or "no i'm having those thoughts
    right now": a no taken back, an admission. Every word belongs to the plain-no vocabulary
    ("no", "i", "am", "do", "having", "those", "thoughts", "right", "now") and the answer
    holds a no: a clear no. Nobody is paged; the client is offered a skill."""
    record_question(db_session, client, SafetyQuestion.CHECK_IN, utcnow())
    reply = _answer(db_session, answer)
    assert _escalations(db_session) == [("high", ["check_in_affirmed"])], "nobody paged"
    assert any("988" in text for text in reply), "no crisis reply"


@pytest.mark.parametrize("answer", ["no <3", "no :D", "no =)", "no, im fine <3"])
def test_a_no_with_a_text_smiley_to_the_check_in_pages_nobody(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: "no <3", "no :D", "no =)" to "are you having thoughts of
    suicide?". Review 4 #11's fix refuses any symbol but 👍👎❌ in a no ("<", "=" are
    Unicode symbols, like 🔪), and ":D", "x)" leave a word ("d", "x") outside the plain-no
    vocabulary, while "no :)" and "no ;)" stay a no: the warmest way to say no pages the
    on-call therapist and tells the client "I've alerted a person"."""
    record_question(db_session, client, SafetyQuestion.CHECK_IN, utcnow())
    assert _answer(db_session, answer) == ()
    assert _escalations(db_session) == []
