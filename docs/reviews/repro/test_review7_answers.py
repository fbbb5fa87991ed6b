"""Review 7: answers to the bot's safety questions the core still misreads (after fix6a).

Real SQLite and PostgreSQL through the fixtures of ``tests/test_safety_followup.py``
(the demo clinic on a real rota, SMS configured), the real detector and intake pipeline
(``bot.intake.receive``): no Rasa, no action server. Each test fails on main (1b94673)
because of the hole its docstring describes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.safety.followup import NO, YES, is_clear_no, read_check_in, read_safe_now, record_question
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

#: Review 7 #1: an overdose or a cut beside a yes, in words `_ACT_DONE` and the detector's
#: parts do not hold: "em" for "them", an amount without "them" ("like 20", "a handful",
#: "too many"), "od'ed", a self-harm verb not right after "i" ("just cut a little", "cut
#: again"), the DBT word "relapsed", "sliced", and the blood emoji. Each is read as `yes`.
ACTS_BESIDE_A_YES = [
    "yes i took em",
    "yes i took like 20",
    "yes i took a handful",
    "yes i took too many",
    "yes i od'ed",
    "yes just cut a little",
    "yes, cut again",
    "safe, relapsed",
    "yes i sliced my arm",
    "yes 🩸",
]

#: Review 7 #2: a yes taken back or an ending said in words `_JOKE` and `_ACT_TO_COME` do
#: not hold: "jkjk", "j k", "mentira", "/s", "yeah right", "psych"; "it'll all be over
#: soon", "yes soon", "yes after tonight", "yes till tonight", "when this is over".
YES_TAKEN_BACK_OR_ENDING = [
    "yes jkjk",
    "yes j k",
    "sí, mentira",
    "yes /s",
    "yeah right",
    "yes, psych",
    "safe, it'll all be over soon",
    "yes soon",
    "yes after tonight",
    "yes till tonight",
    "yes, when this is over",
]


@pytest.mark.parametrize("answer", ACTS_BESIDE_A_YES + YES_TAKEN_BACK_OR_ENDING)
def test_are_you_safe_does_not_read_an_overdose_a_cut_a_joke_or_an_ending_as_safe(
    answer: str,
) -> None:
    assert read_safe_now(answer) != YES


@pytest.mark.parametrize(
    "answer",
    [
        "yes i took em",
        "yes i took like 20",
        "safe, relapsed",
        "yes jkjk",
        "sí, mentira",
        "safe, it'll all be over soon",
    ],
)
def test_yes_i_took_em_or_safe_relapsed_to_are_you_safe_reopens_the_escalation(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: after "i want to kill myself tonight", the on-call
    therapist's ACK and "are you safe right now?", the client answers "yes i took em",
    "yes i took like 20", "safe, relapsed", "yes jkjk", "sí, mentira" or "safe, it'll all
    be over soon". Each is a plain yes: nothing is recorded, the Rasa form closes the
    follow-up ("I'm glad you're safe"), and the therapist who acknowledged is never told."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "open"


#: Review 7 #3: means put away, and kept or got back in words `_KEPT` does not hold.
MEANS_PUT_AWAY_AND_AT_HAND = [
    "i'm safe, i threw the pills out... i bought new ones",
    "i'm safe i put the knife away, there's one in the kitchen",
    "i'm safe, i put the knife away, i can get it anytime",
    "i'm safe, threw out the blades, ordered new ones",
    "i'm safe, my mom has the pills, she gives them back tomorrow",
    "sí, tiré las pastillas, compré nuevas",
    "sí, tiré las pastillas pero tengo más en el baño",
]


@pytest.mark.parametrize("answer", MEANS_PUT_AWAY_AND_AT_HAND)
def test_means_put_away_but_at_hand_all_the_same_pages_the_on_call_therapist_again(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: "i'm safe, i threw the pills out... i bought new ones",
    "i put the knife away, i can get it anytime", "tiré las pastillas pero tengo más en el
    baño". The escalation is noted `means_put_away` (the therapist's record says the means
    are out of reach) and nobody is paged: the client has just said they are not."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "open"
    assert len(_primary_pages(db_session)) == 2, "the acknowledger's rota is not paged again"


#: Review 7 #4: crying and uneasy text faces `_SAD_EMOTICON` does not hold.
SAD_FACES_AFTER_A_NO = ["no ;-;", "no ;;", "no .-.", "no :\\"]


@pytest.mark.parametrize("answer", SAD_FACES_AFTER_A_NO)
def test_a_no_with_a_crying_text_face_to_the_check_in_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: asked the check-in question, the client answers "no ;-;"
    (a crying face) or "no ;;". It is a clear no: TIPP offered, nobody paged; "no ;_;"
    and "no T_T" page."""
    reply = _check_in_answered(db_session, client, answer)
    assert any("988" in text for text in reply), "no crisis reply"
    assert _escalations(db_session) == [("high", ["check_in_affirmed"])]


@pytest.mark.parametrize("answer", SAD_FACES_AFTER_A_NO)
def test_a_crying_text_face_qualifies_a_no_as_its_underscored_form_does(answer: str) -> None:
    assert read_check_in("no ;_;") == YES  # the underscored form already does
    assert not is_clear_no(answer)


#: Review 7 #5: "at 5" read as a time because a time word stands two words before it,
#: across a comma or a verb of the urge's day ("sucked", "today,").
URGE_OF_5_AFTER_A_TIME_WORD = [
    "session today, at 5 now",
    "group sucked at 5 now",
    "after my appointment at 5 all day",
]


@pytest.mark.parametrize("answer", URGE_OF_5_AFTER_A_TIME_WORD)
def test_an_urge_of_5_after_naming_a_session_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,  # noqa: F811
    answer: str,
) -> None:
    """What a clinic would see: "urge to commit suicide today, 0-5?" answered "session
    today, at 5 now" or "group sucked at 5 now". The "at 5" is taken for a time (a time
    word two words before it governs it, even across a comma): no crisis reply, nobody
    paged without the action server, and the question waits for a rating already given."""
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    reply = _answer(db_session, answer)
    assert _escalations(db_session) == [("high", ["diary_urge"])], "nobody paged"
    assert any("988" in text for text in reply), "no crisis reply"


#: Review 7 #6 (Low, over-escalation): coping said beside a yes, the safety plan's
#: hand-over "to keep", or an everyday "took them" / "cut", read as not safe: the
#: acknowledger is paged again.
COPING_BESIDE_A_YES = [
    "yes, once i called the crisis line",
    "yes, after i called my sister i felt better",
    "yes when i talked to mom",
    "yes i'm at the hospital with my mom",
    "yes, i'm not kidding",
    "i'm safe, gave my brother the gun to keep",
    "yes i took them to the vet",
    "yes im safe, i cut the onions for dinner lol",
]


@pytest.mark.parametrize("answer", COPING_BESIDE_A_YES)
def test_coping_or_the_safety_plan_beside_a_yes_does_not_page_again(answer: str) -> None:
    """What a clinic would see: "yes, once i called the crisis line", "i'm safe, gave my
    brother the gun to keep": the on-call therapist who acknowledged is paged again for
    the answer a clinician hopes for."""
    assert read_safe_now(answer) != NO
