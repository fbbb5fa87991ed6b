"""Review 8: answers to the bot's safety questions the core still misreads (after answers7).

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector and intake pipeline
(``bot.intake.receive``): no Rasa, no action server. Each test fails on main (244ed9c)
because of the hole its docstring describes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.safety.followup import NO, YES, is_clear_no, read_safe_now, record_question
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Client, Escalation, utcnow
from tests.test_safety_followup import (  # noqa: F401  (fixtures and helpers)
    _answer,
    _check_in_answered,
    _crisis_acknowledged_and_asked_safe_now,
    _escalations,
    client,
)

#: Review 8 #1: self-harm and an overdose beside a yes in words of no list: "self harmed",
#: "harmed myself", "me autolesioné", "sh'd" (no detector part, no `_SELF_HARM_VERB`), a
#: swallowing by "ate" or "had", a typo of "swallowed" or "took", a purpose after "took
#: them" ("to sleep", "for the pain": `_SWALLOWED`'s everyday "them to|for"), "bled",
#: "cutted", "banged my head", UK "necked". Each is read as `yes`.
HARM_BESIDE_A_YES = [
    "yes i self harmed",
    "yes i harmed myself",
    "sí, me autolesioné",
    "yes i sh'd again",
    "yes i ate them all",
    "yes i ate em",
    "yes i had like 20",
    "yes i swallowd em",
    "yes i tooka bunch",
    "yes i took them to sleep",
    "yes i took them for the pain",
    "yes i bled a lot",
    "yes i cutted",
    "yes i banged my head",
    "yes i necked them",
]

#: Review 8 #2: a yes for a time only, or taken back, in words `_ENDING_TO_COME`, `_HEDGE`
#: and `_TAKEN_BACK` do not hold: "til" (one l), "till/until" someone leaves or sleeps,
#: "hasta que", "atm", "for a few more hours", "for today", the upside-down face, "sure
#: jan", "doesn't matter anymore".
YES_FOR_A_TIME_OR_TAKEN_BACK = [
    "yes til tonight",
    "yes till my mom leaves",
    "yes until everyone's asleep",
    "sí, hasta que se duerman",
    "safe atm",
    "yes for a few more hours",
    "yes for today",
    "yes 🙃",
    "yes sure jan",
    "yes, doesn't matter anymore",
]


@pytest.mark.parametrize("answer", HARM_BESIDE_A_YES + YES_FOR_A_TIME_OR_TAKEN_BACK)
def test_are_you_safe_does_not_read_self_harm_an_overdose_or_a_time_limit_as_safe(
    answer: str,
) -> None:
    assert read_safe_now(answer) != YES


@pytest.mark.parametrize(
    "answer",
    [
        "yes i self harmed",
        "sí, me autolesioné",
        "yes i ate them all",
        "yes i took them to sleep",
        "yes till my mom leaves",
        "sí, hasta que se duerman",
    ],
)
def test_yes_i_self_harmed_or_yes_till_my_mom_leaves_to_are_you_safe_reopens_the_escalation(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: after "i want to kill myself tonight", the on-call
    therapist's ACK and "are you safe right now?", the client answers "yes i self harmed",
    "sí, me autolesioné", "yes i ate them all", "yes i took them to sleep", "yes till my
    mom leaves" or "sí, hasta que se duerman". Each is a plain yes: nothing is recorded,
    the Rasa form closes the follow-up ("I'm glad you're safe"), and the therapist who
    acknowledged is never told."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "open"


#: Review 8 #3: the smiling-through-tears face, dropped as a warm smiley by `_EMOTICON`
#: (its nose class holds the apostrophe, so ":')" is ":)" with a nose).
TEARS_AFTER_A_NO = ["no :')", "nope :')", "no :’)", "no ;')"]


@pytest.mark.parametrize("answer", TEARS_AFTER_A_NO)
def test_a_no_with_a_smiling_through_tears_face_to_the_check_in_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: asked "are you having thoughts of suicide?", the client
    answers "no :')" (a smile with a tear: "i'm fine" through tears). It is a clear no,
    as "no :)" is: TIPP offered, nobody paged; "no :'(" pages."""
    reply = _check_in_answered(db_session, client, answer)
    assert any("988" in text for text in reply), "no crisis reply"
    assert _escalations(db_session) == [("high", ["check_in_affirmed"])]


@pytest.mark.parametrize("answer", TEARS_AFTER_A_NO)
def test_a_face_with_a_tear_qualifies_a_no(answer: str) -> None:
    assert not is_clear_no("no :'(")  # the frowning form already does
    assert not is_clear_no(answer)


#: Review 8 #4: "at 5" after a time word and linking words, with a word of the urge's
#: day after it that `_RATING_AFTER` does not list: "again", "tbh", a sad emoji.
URGE_OF_5_AFTER_A_TIME_WORD = [
    "group today at 5 again",
    "after my appointment at 5 again",
    "session today at 5 tbh",
    "class today at 5 😞",
]


@pytest.mark.parametrize("answer", URGE_OF_5_AFTER_A_TIME_WORD)
def test_an_urge_of_5_again_after_naming_a_session_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: "urge to commit suicide today, 0-5?" answered "group today
    at 5 again" or "class today at 5 😞". The "at 5" is taken for a time (a time word and
    "today" govern it): no crisis reply, nobody paged without the action server, and the
    question waits for a rating already given."""
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    reply = _answer(db_session, answer)
    assert _escalations(db_session) == [("high", ["diary_urge"])], "nobody paged"
    assert any("988" in text for text in reply), "no crisis reply"


#: Review 8 #5 (Low, over-escalation): DBT skills and the safety plan beside a yes or
#: beside means put away, read as not safe: the acknowledger is paged again. TIPP's cold
#: water and paced breathing ("took a cold shower", "took 5 deep breaths"), "took your
#: advice", cutting ties, a relapse prevention plan; means put away and a person, a plan,
#: sleep or a session to come ("i have my safety plan", "gonna get some sleep",
#: "tomorrow i see my therapist", `_AT_HAND_ALL_THE_SAME`).
COPING_BESIDE_A_YES = [
    "yes i took a cold shower",
    "yes i took 5 deep breaths",
    "yes i took a few deep breaths",
    "yes i took a long walk",
    "yes i took your advice",
    "yes i cut ties with him",
    "yes i'm safe, relapse prevention plan is working",
    "i'm safe, i flushed the pills, i have my safety plan",
    "i'm safe, i locked up the pills, gonna get some sleep",
    "i'm safe, i put the razor away, tomorrow i see my therapist",
    "sí, tiré las pastillas, mañana tengo terapia",
    "i'm safe, my mom has the pills now, got my dog with me",
]


@pytest.mark.parametrize("answer", COPING_BESIDE_A_YES)
def test_dbt_skills_or_the_safety_plan_beside_a_yes_does_not_page_again(answer: str) -> None:
    """What a clinic would see: "yes i took a cold shower" (TIPP), "i'm safe, i flushed
    the pills, i have my safety plan": the on-call therapist who acknowledged is paged
    again for the answer a clinician hopes for."""
    assert read_safe_now(answer) != NO
