"""Review 6: answers to the bot's safety questions the core misreads (after answers5).

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector and intake pipeline
(``bot.intake.receive``): no Rasa, no action server. Each test fails on main because
of the hole its docstring describes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.safety.followup import NO, YES, read_check_in, read_safe_now, record_question
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Client, Escalation, utcnow
from tests.test_safety_followup import (  # noqa: F401  (fixtures and helpers)
    _answer,
    _check_in_answered,
    _crisis_acknowledged_and_asked_safe_now,
    _escalations,
    _primary_pages,
    client,
)

#: Review 6 #1: an act done, an act to come or a joke beside a yes or "safe", which
#: neither the reader nor the detector (all `none` or `moderate`) takes for risk.
ACTS_BESIDE_A_YES = [
    "yes i took them",
    "yes, i took them all lol",
    "sí, ya me las tomé todas jaja",
    "yes once i take these",
    "safe, i already cut",
    "safe. bleeding a bit",
    "yes jk",
    "yes, i wrote my letters",
]


@pytest.mark.parametrize("answer", ACTS_BESIDE_A_YES)
def test_yes_i_took_them_or_yes_jk_to_are_you_safe_reopens_the_escalation(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: after "i want to kill myself tonight", the on-call
    therapist's ACK and "are you safe right now?", the client answers "yes i took them",
    "yes once i take these", "safe, i already cut", "safe. bleeding a bit", "yes jk" or
    "yes, i wrote my letters". Each is read as *safe*: the core records nothing, the Rasa
    form closes the follow-up gently ("I'm glad you're safe"), and the therapist who
    acknowledged is never told of an overdose, a cut still bleeding, a plan, or a yes
    taken back."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "open"


@pytest.mark.parametrize("answer", ACTS_BESIDE_A_YES)
def test_are_you_safe_does_not_read_an_overdose_a_cut_or_a_joke_as_safe(answer: str) -> None:
    assert read_safe_now(answer) != YES


#: Review 6 #2: means put away in one clause, and kept in the next (which names no means
#: itself, so :func:`put_means_away` skips it). The detector scores each `none`.
MEANS_KEPT_IN_THE_NEXT_CLAUSE = [
    "i'm safe, i threw the pills out... i kept some",
    "i'm safe i flushed half the pills",
    "yes i’m safe, i put the knife away… i have another one",
    "i'm safe now i put the knife away, i'll get it later",
    "i'm safe, my mom has the pills. i bought more",
    "sí, guardé el cuchillo debajo de mi almohada",
    "tiré las pastillas pero me quedé con unas",
]


@pytest.mark.parametrize("answer", MEANS_KEPT_IN_THE_NEXT_CLAUSE)
def test_means_put_away_and_kept_all_the_same_pages_the_on_call_therapist_again(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: asked "are you safe right now?" after an acknowledged crisis,
    the client answers "i'm safe, i threw the pills out... i kept some" or "i put the knife
    away… i have another one". The means put away are noted (moderate, `means_put_away`)
    and nobody is paged: the note tells the therapist the means are out of reach when the
    client has just said they are not."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "open"
    assert len(_primary_pages(db_session)) == 2, "the acknowledger's rota is not paged again"


#: Review 6 #3: a sad text face after a no. "no =(" and "no >:(" paged on 5f071b8; the
#: others were already read as a no. "no 😢" and "no... 😭😭😭" page.
SAD_FACES_AFTER_A_NO = ["no :(", "no =(", "no >:(", "no ;(", "no ):", "no :-("]


@pytest.mark.parametrize("answer", SAD_FACES_AFTER_A_NO)
def test_a_no_with_a_sad_text_face_to_the_check_in_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: asked "are you having thoughts of suicide or of hurting
    yourself?", the client answers "no :(" or "no =(". Review 4 #11 made a no qualified by
    a crying emoji page ("no... 😭😭😭"); review 5 #10's fix drops text smileys before a no
    is read, the sad ones with the warm ones, so "no :(" is a clear no: TIPP offered, nobody
    paged."""
    reply = _check_in_answered(db_session, client, answer)
    assert any("988" in text for text in reply), "no crisis reply"
    assert _escalations(db_session) == [("high", ["check_in_affirmed"])]


@pytest.mark.parametrize("answer", SAD_FACES_AFTER_A_NO)
def test_a_sad_text_face_qualifies_a_no_as_a_crying_emoji_does(answer: str) -> None:
    assert read_check_in("no 😢") == YES  # the emoji already does
    assert read_check_in(answer) != NO


#: Review 6 #4: "at 5" in a sentence that names a class, a group, lunch or an
#: appointment, said as the rating.
URGE_OF_5_WITH_A_TIME_WORD = [
    "been at 5 since lunch",
    "i was at 5 during class",
    "honestly at 5 after group",
    "been at 5 all day, since my appointment",
]


@pytest.mark.parametrize("answer", URGE_OF_5_WITH_A_TIME_WORD)
def test_an_urge_of_5_said_beside_a_class_or_an_appointment_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: "urge to commit suicide today, 0-5?" answered "been at 5
    since lunch" or "honestly at 5 after group". Any word of `_TIME_CONTEXT` anywhere in
    the answer ("lunch", "class", "group", "appointment") makes every "at 5" after a word a
    time: the answer is not read, no crisis reply, nobody paged without the action server,
    and the question waits for a rating already given."""
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    reply = _answer(db_session, answer)
    assert _escalations(db_session) == [("high", ["diary_urge"])], "nobody paged"
    assert any("988" in text for text in reply), "no crisis reply"
