"""Review 9: answers to the bot's safety questions the core still misreads (after answers8).

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector and intake pipeline
(``bot.intake.receive``): no Rasa, no action server. Each test fails on main (1a03a62)
because of the hole its docstring describes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.safety.followup import NO, YES, question_waiting, read_safe_now, record_question
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Client, Escalation, utcnow
from tests.test_safety_followup import (  # noqa: F401  (fixtures and helpers)
    _answer,
    _crisis_acknowledged_and_asked_safe_now,
    _escalations,
    _primary_pages,
    client,
)

#: Review 9 #1: the sarcastic "✨fine✨" (sparkles around a word: "i'm fine", said as
#: anything but), let through by ✨ on `_WARM_EMOJI`; each word is on `_PLAIN_EXTRA`.
SPARKLED_SARCASM = ["yes i'm ✨fine✨", "yes ✨safe✨", "yes ✨"]
#: Review 9 #2: a yes that waits for someone who is not there yet, or for a call not yet
#: made, on `_PLAIN_EXTRA`'s "(once|when|since|after) <someone> (is|are|got|came)
#: (here|over|home)" and "(once|when|...) (i )?call <someone>".
YES_ONCE_SOMEONE_IS_HERE = [
    "yes, once my mom is home",
    "yes when my husband is here",
    "yes once my bf is here",
    "yes i'm safe when my mom is home",
    "yes once i call my therapist",
    "yes, when i call the crisis line",
]


@pytest.mark.parametrize("answer", SPARKLED_SARCASM + YES_ONCE_SOMEONE_IS_HERE)
def test_are_you_safe_does_not_read_sarcasm_or_a_yes_waiting_for_someone_as_safe(
    answer: str,
) -> None:
    assert read_safe_now(answer) != YES


@pytest.mark.parametrize(
    "answer", ["yes i'm ✨fine✨", "yes, once my mom is home", "yes when my husband is here"]
)
def test_yes_im_sparkle_fine_or_yes_once_my_mom_is_home_leaves_are_you_safe_open(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: after "i want to kill myself tonight", the on-call
    therapist's ACK and "are you safe right now?", the client answers "yes i'm ✨fine✨"
    (the sparkles are the text's sarcasm quotes) or "yes, once my mom is home" (she is
    not home yet). Each is a plain yes: the question is settled, the Rasa form closes
    the follow-up ("I'm glad you're safe"), and the acknowledging therapist is never
    told. "yes 🙃", "yes sure jan" and "yes till my mom leaves" are not read as safe."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    reopened = db_session.execute(select(Escalation.status)).scalar_one() == "open"
    assert reopened or question_waiting(db_session, client, utcnow()), "settled as safe"


#: Review 9 #3 (Medium, over-escalation): a Spanish goodbye, "hasta mañana", "hasta
#: luego", "hasta el jueves" (see you tomorrow, later, Thursday), read as a limit by
#: `_ENDING_TO_COME`'s bare "hasta".
SPANISH_GOODBYES_BESIDE_A_YES = [
    "sí, hasta mañana",
    "sí gracias, hasta mañana",
    "sí, estoy bien, hasta mañana",
    "yes, hasta luego",
    "sí, hasta el jueves",
]


@pytest.mark.parametrize("answer", SPANISH_GOODBYES_BESIDE_A_YES)
def test_si_hasta_manana_to_are_you_safe_does_not_page_the_acknowledger_again(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: "are you safe right now?" answered "sí, gracias, hasta
    mañana" (yes, thanks, see you tomorrow), the Spanish good night. It is read as "safe
    until tomorrow": the escalation is re-opened, the client gets the crisis reply again
    and the therapist who acknowledged is paged a second time."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "acknowledged"
    assert len(_primary_pages(db_session)) == 1, "the acknowledger paged again"


#: Review 9 #4 (Low, over-escalation): a coping step carried on "until" the urge passed
#: (`_ENDING_TO_COME`'s bare "until|till|hasta"), and a swallowing verb before "it" or an
#: amount of something everyday (`_SWALLOWED`: "had it rough", "took it one day at a
#: time", "had some pasta", "ate a lot of pizza").
COPING_UNTIL_OR_AN_EVERYDAY_HAD_BESIDE_A_YES = [
    "yes, i talked to the crisis line until i felt calmer",
    "yes i'm safe, i used my skills till the urge passed",
    "yes i took my dog for a walk until i calmed down",
    "sí, hablé con mi mamá hasta que me calmé",
    "yes i had it rough",
    "yes i took it one day at a time",
    "yes i had some dinner",
    "yes i ate a lot of pizza",
]


@pytest.mark.parametrize("answer", COPING_UNTIL_OR_AN_EVERYDAY_HAD_BESIDE_A_YES)
def test_a_skill_used_until_the_urge_passed_or_a_rough_day_beside_a_yes_does_not_page_again(
    answer: str,
) -> None:
    """What a clinic would see: "yes, i talked to the crisis line until i felt calmer",
    "yes i had it rough", "yes i had some dinner": the acknowledging therapist is paged
    again for the answer a clinician hopes for (urge surfing, a call, a meal)."""
    assert read_safe_now(answer) != NO


@pytest.mark.parametrize(
    "answer", ["yes i'm safe, i used my skills till the urge passed", "yes i had some dinner"]
)
def test_yes_i_used_my_skills_till_the_urge_passed_does_not_reopen_the_escalation(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "acknowledged"
    assert len(_primary_pages(db_session)) == 1, "the acknowledger paged again"


#: Review 9 #5: an urge of 4.5 after naming a session: `_AT_A_TIME`'s number takes "4.5"
#: for a clock time (as it takes "4:30", "4.30").
URGE_OF_4_5_AFTER_A_TIME_WORD = ["group today at 4.5", "class at 4.5", "after session at 4.5"]


@pytest.mark.parametrize("answer", URGE_OF_4_5_AFTER_A_TIME_WORD)
def test_an_urge_of_4_5_after_naming_a_session_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: "urge to commit suicide today, 0-5?" answered "group
    today at 4.5": a rating between 4 and 5 (`urge_is_high` reads "4.5" as high) taken
    for a time. No crisis reply, nobody paged without the action server."""
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    reply = _answer(db_session, answer)
    assert _escalations(db_session) == [("high", ["diary_urge"])], "nobody paged"
    assert any("988" in text for text in reply), "no crisis reply"


#: Review 9 #6 (Low, over-escalation): a time with its day or person after it, which
#: `_AT_A_TIME` now reads as the rating (only a sentence's end may follow "at N").
A_TIME_WITH_ITS_DAY_AFTER_IT = [
    "my appointment is at 4 tomorrow",
    "see you at 5 tomorrow",
    "group is at 5 on thursday",
    "session at 4 with dr lee",
]


@pytest.mark.parametrize("answer", A_TIME_WITH_ITS_DAY_AFTER_IT)
def test_my_appointment_is_at_4_tomorrow_after_the_diary_card_pages_nobody(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: the client leaves the diary card's urge question and
    writes "my appointment is at 4 tomorrow": read as an urge of 4, the client gets the
    crisis reply and the on-call therapist is paged. "my appointment is at 4" pages
    nobody; review 8 #4's fix direction kept "tomorrow", "on friday", "with mom" a
    time's own words."""
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    reply = _answer(db_session, answer)
    assert _escalations(db_session) == [], "paged for an appointment"
    assert reply == ()
