"""Answers to the bot's safety questions page without Rasa (bot.safety.followup).

Each test records the question as the asking action does, then sends the
answer through the core's front door (``bot.intake.receive``) on a real database,
on SQLite and on PostgreSQL: no Rasa, no action server.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clinic import client_by_code
from bot.demo import seed_demo
from bot.escalation import PAGING_LEVELS, acknowledge_escalation
from bot.intake import Decision, FloodControl, InboundMessage, receive
from bot.safety.followup import (
    NO,
    UNCLEAR,
    YES,
    AskedQuestion,
    question_waiting,
    read_care_needed,
    read_check_in,
    read_safe_now,
    record_question,
    risk_of_answer,
    risk_of_reading,
    take_pending_question,
)
from bot.safety.lexicon import load_answer_words
from bot.settings import load_settings
from bot.storage import create_engine_for, session_scope
from bot.storage.enums import Direction, EscalationEventKind, PageTier, SafetyQuestion
from bot.storage.migrate import upgrade
from bot.storage.models import (
    Client,
    Escalation,
    Message,
    Page,
    PendingSafetyQuestion,
    Therapist,
    utcnow,
)
from tests.conftest import demo_staff_as_real_rota
from tests.standins import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

DEMO_PHONE = "+15005550006"
DEMO_CHAT = "777000"


@pytest.fixture
def client(db_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Client:
    """The demo client, with SMS configured so that pages can be queued."""
    monkeypatch.setenv("WISEMIND_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("WISEMIND_TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
    monkeypatch.setenv("WISEMIND_TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
    monkeypatch.setenv("WISEMIND_TWILIO_FROM", "+15005550000")
    monkeypatch.setenv("WISEMIND_PUBLIC_URL", "https://coach.clinic.test")
    seed_demo(db_session, credentials_file=tmp_path / "credentials.txt")
    demo_staff_as_real_rota(db_session)
    demo = client_by_code(db_session, "DEMO0001")
    assert demo is not None
    return demo


def _answer(session: Session, text: str) -> tuple[str, ...]:
    """Send ``text`` as the demo client through the intake pipeline; the replies it gets."""
    session.commit()  # the pipeline works in transactions of its own
    decision = receive(
        InboundMessage("local", "DEMO0001", text),
        load_settings(),
        engine=session.get_bind(),
        flood=FloodControl(burst=1000),
    )
    session.expire_all()
    assert decision.hand_off is not None
    crisis = decision.replies if decision.hand_off.crisis_replied else ()
    return tuple(crisis)


def _escalations(session: Session) -> list[tuple[str, list[str]]]:
    rows = session.execute(select(Escalation.level, Escalation.categories)).all()
    return [(level, json.loads(categories)) for level, categories in rows]


def _primary_pages(session: Session) -> list[Page]:
    return list(session.execute(select(Page).where(Page.tier == PageTier.PRIMARY)).scalars())


def _check_in_answered(session: Session, client: Client, answer: str) -> tuple[str, ...]:
    """The check-in asked as the core asks it, then ``answer`` sent; the replies it gets."""
    record_question(session, client, SafetyQuestion.CHECK_IN, utcnow())
    return _answer(session, answer)


def _assert_on_call_paged(session: Session, reply: tuple[str, ...], category: str) -> None:
    """The crisis reply was sent, one escalation at high holds ``category``, and the on-call
    therapist was paged once."""
    assert any("988" in text for text in reply), reply
    ((level, categories),) = _escalations(session)
    assert level == "high" and category in categories
    (page,) = _primary_pages(session)
    assert page.address == "+15005550001"


#: Sad, crying or angry text faces after a no to the check-in (review 6 #3), crying and
#: uneasy ones of no list ("no ;-;", "no ;;"), one typed with a non-breaking hyphen
#: (review 7 #4), and the smile with a tear, ":')" (review 8 #3).
SAD_FACES_AFTER_A_NO = [
    "no :(", "no =(", "no >:(", "no ;(", "no ):", "no :-(",
    "no ;-;", "no ;;", "no .-.", "no :\\", "no :\u2011(",
    # Smiling through tears: a tear is no nose (review 8 #3).
    "no :')", "nope :')", "no :\u2019)", "no ;')",
]  # fmt: skip


@pytest.mark.parametrize("answer", ["yes", "yeah", "i don't know", "maybe 🤷"])
def test_a_yes_or_unclear_answer_to_the_check_in_pages_the_on_call_therapist(
    db_session: Session, client: Client, answer: str
) -> None:
    reply = _check_in_answered(db_session, client, answer)
    assert any("alerted a person" in text for text in reply)
    assert _escalations(db_session) == [("high", ["check_in_affirmed"])]
    _assert_on_call_paged(db_session, reply, "check_in_affirmed")


@pytest.mark.parametrize(
    "answer",
    [
        # Spanish "I don't know" and "I'm not sure" start with "no": they are not a clear no.
        "no but i want to", "no sé", "no estoy segura", "no... maybe", "no pero quiero",
        # "I'm not fine" is distress, not "no, I'm fine" (review 4 #1).
        "i'm not fine", "not good", "i'm not alright", "not fine",
        # An emoji after "no" qualifies it as words do (review 4 #11).
        "no 🔪", "no 💊", "no... 😭😭😭",
        # A no taken back by a clause of its own, or a double negation (review 5 #7).
        "no... i am", "no i do", "no i'm having those thoughts right now",
        "no, i am having thoughts", "i'm never not having those thoughts",
        # A sad text face qualifies a no as a crying emoji does (review 6 #3).
        *SAD_FACES_AFTER_A_NO,
    ],
)  # fmt: skip
def test_a_qualified_or_retracted_no_to_the_check_in_pages_the_on_call_therapist(
    db_session: Session, client: Client, answer: str
) -> None:
    reply = _check_in_answered(db_session, client, answer)
    _assert_on_call_paged(db_session, reply, "check_in_affirmed")


@pytest.mark.parametrize(
    "answer",
    ["no", "no i'm not", "nope im ok", "no tengo",
     # A text smiley is a no's warmth, as ":)" is (review 5 #10).
     "no <3", "no :D", "no =)", "no, im fine <3", "no xD", "no ^^", "no :P", "no :)",
     # A warm emoji, "safe" after the no (review 15 #3).
     "no thanks 🙂", "no, i'm safe"],
)  # fmt: skip
def test_a_clear_no_to_the_check_in_pages_nobody(
    db_session: Session, client: Client, answer: str
) -> None:
    assert _check_in_answered(db_session, client, answer) == ()
    assert _escalations(db_session) == []


@pytest.mark.parametrize(
    ("answer", "reading"),
    [
        ("no", NO), ("Nope.", NO), ("no I'm not", NO), ("no, I'm not having those thoughts", NO),
        ("no tengo", NO), ("No, no tengo", NO), ("no, I'm fine", NO), ("nah im good", NO),
        ("not today", NO), ("👎", NO), ("i do not", NO), ("no i do not", NO),
        ("no but i want to", YES), ("no... maybe", YES), ("nope idk", YES),
        ("no, not sure", YES), ("not really", YES), ("no im not fine", YES),
        ("no sé", YES), ("no estoy segura", YES), ("no pero quiero", YES),
        ("no estoy bien", YES), ("no, tal vez", YES), ("no quiero vivir", YES),
        ("i'm not fine", YES), ("not good", YES), ("i'm not alright", YES), ("not fine", YES),
        ("not at all good", YES), ("not ok", YES), ("no no im fine", YES),
        ("no 🔪", YES), ("no 💊", YES), ("no... 😭😭😭", YES), ("no 💀", YES), ("no 🙃", YES),
        ("no 👎🏽", NO), ("no!!", NO),
        ("nope im ok", NO), ("no i don't", NO), ("no, not having those thoughts", NO),
        ("no i'm not not", YES), ("i'm not", NO), ("no i haven't", NO),
        ("no... i am", YES), ("no i do", YES), ("no, i am having thoughts", YES),
        ("no i'm having those thoughts right now", YES), ("no, tengo", YES),
        ("i'm never not having those thoughts", YES), ("i'm not not having them", YES),
        ("no <3", NO), ("no :D", NO), ("no =)", NO), ("no, im fine <3", NO), ("no xD", NO),
        # A warm emoji is warmth beside a no as beside a yes (review 15 #19).
        ("no ^^", NO), ("no :P", NO), ("no </3", YES), ("no ❤️", NO), ("no ❤️‍🔥", YES),
        # "no, estoy bien" is "no, i'm fine"; "no estoy bien" is "i'm not well" (review 15 #3).
        ("no, estoy bien", NO), ("no estoy mejor", YES), ("no, no estoy bien", YES),
        # Spanish negative concord: "nada" after a negated verb is one no (review 15 #18).
        ("no tengo nada", NO), ("no, nada", NO),
        ("no better", YES), ("no, fine, not good", YES), ("no im fine i do", YES),
        *((face, YES) for face in SAD_FACES_AFTER_A_NO), ("no :'(", YES), ("no D:", YES),
        ("no T_T", YES), ("no:(", YES), ("no :-)", NO), ("no (:", NO), ("no ;)", NO),
    ],
)  # fmt: skip
def test_only_an_unqualified_no_to_the_check_in_is_a_no(answer: str, reading: str) -> None:
    """The same reader decides the Rasa form's slot (``ValidateCrisisCheckInForm``)."""
    assert read_check_in(answer) == reading


#: Plain nos to the check-in with a warm emoji, thanks, a laugh, or how they are after
#: the no: "safe", "better", "mejor", "just tired" (review 15 #3).
PLAIN_NOS_WITH_WARMTH_OR_HOW_THEY_ARE = [
    "no thanks 🙂", "no 🙂", "nope 😊", "no gracias 🙂", "no, gracias por preguntar",
    "no, i'm safe", "no, i'm doing better", "no, ya estoy mejor", "no lol", "no, just tired",
    "no, estoy bien", "no gracias 🙏🏽", "nope, all good, thanks for asking 💙",
    "no, no tengo, estoy bien",
]  # fmt: skip


@pytest.mark.parametrize("answer", PLAIN_NOS_WITH_WARMTH_OR_HOW_THEY_ARE)
def test_no_thanks_with_a_smile_or_no_im_safe_to_the_check_in_pages_nobody(answer: str) -> None:
    assert read_check_in(answer) == NO
    assert risk_of_reading(SafetyQuestion.CHECK_IN, answer) is None


@pytest.mark.parametrize("answer", ["no thanks 🙂", "no 🙂", "nope 😊", "no lol", "no, just tired"])
def test_the_same_no_to_are_you_safe_right_now_still_pages_as_not_safe(answer: str) -> None:
    """To "are you safe right now?" a no is "not safe", whatever warmth is beside it."""
    risk = risk_of_reading(SafetyQuestion.SAFE_NOW, answer)
    assert risk is not None and risk.level in PAGING_LEVELS and risk.category == "not_safe"


@pytest.mark.parametrize(
    "answer",
    [
        # A hedge, means, a decision or a take-back beside the warm no: when in doubt, page.
        "no... well maybe", "no 🙂 but i have the pills here", "no thanks, i already decided",
        "no, i'm safe for now", "no, i'm safe but i still want to die", "no lol jk",
        "no, i'm better off dead", "no, just tired of everything", "no 😊 jk",
        "no, i'm fine... i think", "no thanks 🙃", "no, estoy bien pero ya no aguanto",
        "no 🥰 goodbye", "no, i'm safe... for tonight", "no, i'm good now that i have the pills",
        # Spanish "no" before the verb negates it; a bare well word right after a no is
        # no answer (review 15 #3).
        "no estoy bien", "no estoy mejor", "no solo cansada", "no just tired", "no better",
        # A negation in how they are's own clause: "not safe", "not fine".
        "no, not safe", "no, i'm not fine lol", "no, fine, not good",
    ],
)  # fmt: skip
def test_a_hedged_or_mixed_no_with_a_smile_to_the_check_in_still_pages(answer: str) -> None:
    assert read_check_in(answer) == YES
    risk = risk_of_reading(SafetyQuestion.CHECK_IN, answer)
    assert risk is not None and risk.level in PAGING_LEVELS


@pytest.mark.parametrize("emoji", sorted(load_answer_words().warm_emoji))
def test_a_warm_emoji_is_warmth_beside_a_no_and_a_yes_alike(emoji: str) -> None:
    """One list of warm emoji (``data/answers.yml``), read the same way on both sides
    (review 15 #19): a no to the check-in stays a no, a yes to "are you safe?" a yes."""
    assert read_check_in(f"no {emoji}") == NO
    assert read_safe_now(f"yes i'm safe {emoji}") == YES


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        (SafetyQuestion.URGE_SUICIDE, "5"), (SafetyQuestion.URGE_SELF_HARM, "a 4"),
        *((SafetyQuestion.URGE_SUICIDE, answer) for answer in [
            # Above the scale, a range, or words for high.
            "4-5", "four or five", "10/10", "10", "100", "max", "very high", "off the charts",
            "4.5", "high",
            # In a sentence, with a phone's curly apostrophe, or after another word
            # (review 5 #3): only a sentence about a time reads "at 5" as a time.
            "i'm at 5", "5, it's been a really bad day", "at 5", "i’m at 5", "still at 5",
            "been at 5 all day", "honestly at 5", "sitting at 5",
            # A time word elsewhere does not make "at 5" a time (review 6 #4).
            "been at 5 since lunch", "i was at 5 during class", "honestly at 5 after group",
            "been at 5 all day, since my appointment",
            # A time word governs "at 5" only through linking words, never across
            # punctuation, and not with "now" or "all day" after it (review 7 #5).
            "session today, at 5 now", "group sucked at 5 now",
            "after my appointment at 5 all day",
            # "At 5" is a time only with nothing after it (review 8 #4).
            "group today at 5 again", "after my appointment at 5 again",
            "session today at 5 tbh", "class today at 5 😞",
        ]),
    ],
)  # fmt: skip
def test_a_diary_urge_of_four_or_five_however_written_pages_the_on_call_therapist(
    db_session: Session, client: Client, kind: str, answer: str
) -> None:
    record_question(db_session, client, kind, utcnow())
    assert any("988" in text for text in _answer(db_session, answer))
    assert _escalations(db_session) == [("high", ["diary_urge"])]
    assert len(_primary_pages(db_session)) == 1


def test_an_urge_of_4_with_risk_words_of_its_own_still_pages_the_on_call_therapist(
    db_session: Session, client: Client
) -> None:
    """ "My urge is at 4 tonight": the detector reads risk of its own in it too."""
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    assert any("988" in text for text in _answer(db_session, "my urge is at 4 tonight"))
    ((level, categories),) = _escalations(db_session)
    assert level == "high" and "diary_urge" in categories


@pytest.mark.parametrize(
    ("kind", "answer"),
    [(SafetyQuestion.URGE_SUICIDE, "3"),
     *((SafetyQuestion.URGE_SELF_HARM, answer)
       for answer in ["2 or 3", "3/5", "2.5", "none", "low"])],
)  # fmt: skip
def test_a_low_diary_urge_however_written_pages_nobody(
    db_session: Session, client: Client, kind: str, answer: str
) -> None:
    record_question(db_session, client, kind, utcnow())
    assert _answer(db_session, answer) == ()
    assert _escalations(db_session) == []


def test_yes_to_did_you_self_harm_today_flags_moderate_without_a_page(
    db_session: Session, client: Client
) -> None:
    record_question(db_session, client, SafetyQuestion.SELF_HARM_TODAY, utcnow())
    assert _answer(db_session, "yes") == ()
    assert _escalations(db_session) == [("moderate", ["recent_self_harm"])]
    assert _primary_pages(db_session) == []


@pytest.mark.parametrize(
    "answer",
    [
        # The question's own words ("not safe") and an injury without a yes are a yes.
        "i'm not safe", "no estoy a salvo", "bleeding a lot",
        # Neither word of these is risk to the detector alone; to this question they are
        # a yes (review 4 #2).
        "i think so", "probably", "it hurts", "i took pills",
    ],
)  # fmt: skip
def test_not_safe_an_injury_a_hedge_or_an_overdose_to_are_you_hurt_pages_the_on_call_therapist(
    db_session: Session, client: Client, answer: str
) -> None:
    record_question(db_session, client, SafetyQuestion.SELF_HARM_CARE, utcnow())
    _assert_on_call_paged(db_session, _answer(db_session, answer), "self_harm_needs_care")


@pytest.mark.parametrize("answer", ["i'm not hurt", "im not bleeding", "i am not injured"])
def test_im_not_hurt_to_are_you_hurt_pages_nobody(
    db_session: Session, client: Client, answer: str
) -> None:
    """A plainly denied injury, with its subject, is a clear no (review 4 #10)."""
    record_question(db_session, client, SafetyQuestion.SELF_HARM_CARE, utcnow())
    assert _answer(db_session, answer) == ()
    assert _primary_pages(db_session) == []


@pytest.mark.parametrize(
    ("answer", "reading"),
    [
        ("yes", YES), ("i'm not safe", YES), ("no estoy a salvo", YES), ("bleeding a lot", YES),
        ("no, need stitches", YES), ("no but it hurts", YES), ("no, not safe", YES),
        ("no", NO), ("nope", NO), ("no, i'm safe", NO), ("not hurt", NO), ("no estoy herida", NO),
        ("no not bleeding", NO), ("not bleeding", NO), ("not bleeding much", YES),
        ("not bleeding but its deep", YES),
        ("i think so", YES), ("probably", YES), ("maybe", YES), ("it hurts", YES),
        ("i took pills", YES), ("kind of", YES), ("a little", YES), ("idk", YES),
        ("i'm not hurt", NO), ("im not bleeding", NO), ("i am not injured", NO),
        ("no i'm not hurt", NO),
        ("hmm", UNCLEAR), ("hi", UNCLEAR), ("?", UNCLEAR), ("fine", UNCLEAR),
    ],
)  # fmt: skip
def test_only_a_clear_no_to_are_you_hurt_or_not_safe_is_a_no(answer: str, reading: str) -> None:
    """The same reader decides the diary form (``validate_diary_self_harm_care``)."""
    assert read_care_needed(answer) == reading


def test_a_plain_yes_with_no_question_pending_is_just_a_yes(
    db_session: Session, client: Client
) -> None:
    assert _answer(db_session, "yes") == ()
    assert _escalations(db_session) == []


def test_a_clear_yes_hours_after_the_check_in_still_gets_the_crisis_reply(
    db_session: Session, client: Client
) -> None:
    """People in distress often go quiet before answering: a late "yes" is still "yes"."""
    record_question(db_session, client, SafetyQuestion.CHECK_IN, utcnow() - timedelta(hours=3))
    assert any("988" in text for text in _answer(db_session, "yes"))
    assert _escalations(db_session) == [("high", ["check_in_affirmed"])]


def test_a_hello_hours_after_the_check_in_is_not_read_as_its_answer(
    db_session: Session, client: Client
) -> None:
    record_question(db_session, client, SafetyQuestion.CHECK_IN, utcnow() - timedelta(hours=3))
    assert _answer(db_session, "hello") == ()
    assert _escalations(db_session) == []
    assert db_session.get(PendingSafetyQuestion, client.id) is None  # the conversation moved on


def _crisis_acknowledged_and_asked_safe_now(session: Session, client: Client) -> None:
    """A crisis text, the on-call therapist's ACK, and "are you safe right now?" recorded."""
    _answer(session, "i want to kill myself tonight")
    primary = session.execute(
        select(Therapist).where(Therapist.email == "therapist@demo.clinic")
    ).scalar_one()
    escalation_id = session.execute(select(Escalation.id)).scalar_one()
    acknowledge_escalation(
        session, escalation_id=escalation_id, therapist=primary, now=utcnow(), via="sms"
    )
    record_question(session, client, SafetyQuestion.SAFE_NOW, utcnow())


def test_a_no_to_are_you_safe_after_an_ok_reopens_the_escalation_without_the_action_server(
    db_session: Session, client: Client
) -> None:
    """The therapist acknowledged and is calling; the bot asked "are you safe right now?" and
    the action server hung. "ok" settles nothing: the question waits, and the "no" after it
    gets the crisis reply and pages the therapist again."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    assert _answer(db_session, "ok") == ()
    assert any("988" in text for text in _answer(db_session, "no"))
    assert db_session.execute(select(Escalation.status)).scalar_one() == "open"


def test_an_urge_of_5_after_a_hmm_still_pages_without_the_action_server(
    db_session: Session, client: Client
) -> None:
    """ "Urge to commit suicide today, 0-5?" answered "hmm", then "5": the question waited."""
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    assert _answer(db_session, "hmm") == ()
    assert any("988" in text for text in _answer(db_session, "5"))
    assert _escalations(db_session) == [("high", ["diary_urge"])]
    assert len(_primary_pages(db_session)) == 1


@pytest.mark.parametrize(
    "later",
    ["my appointment is at 4", "i slept 5 hours", "see you at 5", "class at 4",
     "i have group at 5", "lunch with mom at 5", "my session is on friday at 4",
     "appt at 4pm", "group today at 5"],
)  # fmt: skip
def test_a_time_said_after_leaving_the_diary_card_is_not_read_as_a_suicide_urge(
    db_session: Session, client: Client, later: str
) -> None:
    """ "Urge to commit suicide today, 0-5?" answered "can we do the diary later"; ten
    minutes later the client writes "my appointment is at 4": no crisis reply, nobody
    paged. The question still waits for a rating: a "5" then pages."""
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    assert _answer(db_session, "can we do the diary later") == ()
    assert _answer(db_session, later) == ()
    assert _escalations(db_session) == []
    assert _primary_pages(db_session) == []
    assert any("988" in text for text in _answer(db_session, "5"))
    assert len(_primary_pages(db_session)) == 1


def test_a_question_is_answered_once(db_session: Session, client: Client) -> None:
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    _answer(db_session, "2")
    assert db_session.get(PendingSafetyQuestion, client.id) is None
    assert _answer(db_session, "5") == ()
    assert _escalations(db_session) == []


def test_a_crisis_message_as_the_answer_gets_one_reply_and_one_page(
    db_session: Session, client: Client
) -> None:
    record_question(db_session, client, SafetyQuestion.CHECK_IN, utcnow())
    reply = _answer(db_session, "yes, i have the pills and i'm taking them tonight")
    assert sum("988" in text for text in reply) == 1
    ((level, categories),) = _escalations(db_session)
    assert level == "imminent" and "check_in_affirmed" in categories
    assert len(_primary_pages(db_session)) == 1


def test_not_safe_after_crisis_help_joins_the_open_escalation_without_a_second_page(
    db_session: Session, client: Client
) -> None:
    _answer(db_session, "i want to kill myself")
    record_question(db_session, client, SafetyQuestion.SAFE_NOW, utcnow())
    assert any("988" in text for text in _answer(db_session, "no"))
    ((level, categories),) = _escalations(db_session)
    assert level in ("high", "imminent") and "not_safe" in categories
    assert len(_primary_pages(db_session)) == 1


#: An act done, an injury, an act to come, a preparation or a joke beside a yes or
#: "safe" (review 6 #1): the detector alone reads each as `none` or `moderate`.
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
#: Means put away in one clause and kept in another, in part, or hidden close by
#: (review 6 #2).
MEANS_PUT_AWAY_AND_KEPT = [
    "i'm safe, i threw the pills out... i kept some",
    "i'm safe i flushed half the pills",
    "yes i’m safe, i put the knife away… i have another one",
    "i'm safe now i put the knife away, i'll get it later",
    "i'm safe, my mom has the pills. i bought more",
    "sí, guardé el cuchillo debajo de mi almohada",
    "tiré las pastillas pero me quedé con unas",
    # Bought, ordered, got back or at hand elsewhere, in a clause of its own (review 7 #3).
    "i'm safe, i threw the pills out... i bought new ones",
    "i'm safe i put the knife away, there's one in the kitchen",
    "i'm safe, i put the knife away, i can get it anytime",
    "i'm safe, threw out the blades, ordered new ones",
    "i'm safe, my mom has the pills, she gives them back tomorrow",
    "sí, tiré las pastillas, compré nuevas",
    "sí, tiré las pastillas pero tengo más en el baño",
]
#: An overdose or a cut in words of no list (review 7 #1): "em", an amount without
#: "them", "od'ed", a self-harm verb anywhere, the DBT word "relapsed", the blood emoji.
OVERDOSE_OR_CUT_BESIDE_A_YES = [
    "yes i took em", "yes i took like 20", "yes i took a handful", "yes i took too many",
    "yes i od'ed", "yes just cut a little", "yes, cut again", "safe, relapsed",
    "yes i sliced my arm", "yes 🩸", "sí, me tomé todas", "sí, me tomé el frasco",
]  # fmt: skip
#: Self-harm in the clinic's words, a swallowing by "ate", "had", "necked" or a typo, "took
#: them" for a purpose, "bled" (review 8 #1), and a yes limited by a time or an event
#: (review 8 #2).
HARM_OR_A_LIMIT_BESIDE_A_YES = [
    "yes i self harmed", "yes i harmed myself", "sí, me autolesioné", "yes i sh'd again",
    "yes i ate them all", "yes i ate em", "yes i had like 20", "yes i swallowd em",
    "yes i tooka bunch", "yes i took them to sleep", "yes i took them for the pain",
    "yes i bled a lot", "yes i cutted", "yes i banged my head", "yes i necked them",
    "yes til tonight", "yes till my mom leaves", "yes until everyone's asleep",
    "sí, hasta que se duerman",
]  # fmt: skip
#: A yes beside words of no list of plain extras: a time, sarcasm, hopelessness (review 8
#: #2), advice taken, ties cut (review 8 #5).
YES_BESIDE_WORDS_OF_NO_LIST = [
    "safe atm", "yes for a few more hours", "yes for today", "yes 🙃", "yes sure jan",
    "yes, doesn't matter anymore", "yes i took your advice", "yes i cut ties with him",
]  # fmt: skip
#: DBT skills and the safety plan beside a yes (review 8 #5): a plain yes.
SKILLS_BESIDE_A_YES = [
    "yes i took a cold shower", "yes i took 5 deep breaths", "yes i took a few deep breaths",
    "yes i took a long walk", "yes i'm safe, relapse prevention plan is working",
    # The plain extras of review 7 #6's and review 8's sound lists.
    "yes i took my dog for a walk", "yes after talking to my therapist",
    "yes, once my sister got here", "yes, i called 988 and they helped",
    "sí, después de hablar con mi mamá", "sí, tomé agua fría", "sí, me tomé un té",
    "sí, tomé una ducha fría", "yes, i used ice on my face like we practiced",
    "yeah im safe took a nap", "yes i slept it off", "yes, i took a walk",
    "safe, i'm going to bed", "yes lol i'm fine",
]  # fmt: skip
#: Means put away beside the rest of the safety plan (review 8 #5): noted, asked again.
MEANS_PUT_AWAY_AND_THE_PLAN = [
    "i'm safe, i flushed the pills, i have my safety plan",
    "i'm safe, i locked up the pills, gonna get some sleep",
    "i'm safe, i put the razor away, tomorrow i see my therapist",
    "sí, tiré las pastillas, mañana tengo terapia",
    "i'm safe, my mom has the pills now, got my dog with me",
]
#: A yes taken back, or a time when it all ends beside it (review 7 #2).
YES_TAKEN_BACK_OR_AN_ENDING = [
    "yes jkjk", "yes j k", "sí, mentira", "yes /s", "yeah right", "yes, psych",
    "safe, it'll all be over soon", "yes soon", "yes after tonight", "yes till tonight",
    "yes, when this is over",
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("yes", YES), ("yes I'm safe", YES), ("im safe now", YES), ("sí", YES),
        ("yes i'm safe, goodnight", YES), ("yes, going to sleep now", YES),
        ("no", NO), ("i'm not safe", NO), ("not really", NO), ("I don't feel safe", NO),
        ("ok", UNCLEAR), ("hi", UNCLEAR), ("i'm ok", UNCLEAR), ("thanks", UNCLEAR),
        # Lethal means named beside "safe" (review 4 #7), or kept near, or only to be
        # put away.
        ("I'm safe but I still have the pills", NO), ("safe, the rope is in my room", NO),
        ("yes, on the roof", NO), ("yes i locked the gun in my car", NO),
        ("i put the knife away but i still have the pills", NO),
        ("yes i'm safe, i'll put the knife away", NO), ("safe, i couldn't throw the pills out", NO),
        # An act done or an ending beside a yes or "safe" (review 5 #4).
        ("yes i did it", NO), ("sí, ya lo hice", NO), ("yes, goodbye", NO),
        ("safe. bye everyone", NO), ("safe, bye forever", NO),
        # An overdose by pronoun, a cut, an injury, an act to come, a preparation or a
        # joke beside a yes or "safe" (review 6 #1). Taking medicines is not read as
        # safe either, right after a crisis message: the acknowledger is asked to call.
        *((answer, NO) for answer in ACTS_BESIDE_A_YES),
        ("yes, i left a note", NO), ("sí, me corté", NO), ("yes, after i finish these", NO),
        ("yes i took my meds like prescribed", NO),
        ("yes, i ate dinner", YES), ("yes i took a nap", YES), ("yes, doing deep breathing", YES),
        ("yes i'm safe now, took a shower", YES),
        # Any swallowing but an everyday one, any self-harm verb, a take-back or a time it
        # all ends (review 7 #1, #2).
        *((answer, NO) for answer in OVERDOSE_OR_CUT_BESIDE_A_YES + YES_TAKEN_BACK_OR_AN_ENDING),
        ("yes i took a deep breath", YES), ("yes i took the bus home", YES),
        ("yes, see you soon", YES), ("yes i'm safe, just burned out", UNCLEAR),
        # Coping, company and everyday acts page nobody; a joke denied is asked again; the
        # safety plan's hand-over "to keep" is means put away (review 7 #6). Only the
        # closed list of plain extras leaves a yes plain: "burned out", "at the hospital",
        # "cut the onions" are asked again (review 8 #1, #2).
        ("yes, once i called the crisis line", YES),
        ("yes, after i called my sister i felt better", YES), ("yes when i talked to mom", YES),
        ("yes i'm at the hospital with my mom", UNCLEAR), ("yes i took them to the vet", YES),
        ("yes im safe, i cut the onions for dinner lol", UNCLEAR),
        ("yes, i'm not kidding", UNCLEAR),
        ("i'm safe, gave my brother the gun to keep", UNCLEAR), ("yes i'm in the hospital", NO),
        # Means put away but some kept, or hidden close by (review 6 #2).
        *((answer, NO) for answer in MEANS_PUT_AWAY_AND_KEPT),
        # Hedges, in Spanish and after a bare yes too (review 4 #7): asked again.
        ("safe for now I guess", UNCLEAR), ("i think im safe", UNCLEAR),
        ("estoy a salvo por ahora", UNCLEAR), ("sí por ahora", UNCLEAR), ("yes for now", UNCLEAR),
        ("yes, for tonight", UNCLEAR), ("yes i'm safe, for now though", UNCLEAR),
        # Means put out of reach, the safety plan's first step (review 5 #5): asked again.
        ("i'm safe, i put the knife away", UNCLEAR),
        ("yes i'm safe, i threw the rope out", UNCLEAR), ("safe, i flushed the pills", UNCLEAR),
        ("yes, my sister has the pills", UNCLEAR), ("sí, tiré las pastillas", UNCLEAR),
        # Yes only beside the closed list of plain extras; anything else asked again, and
        # self-harm, an overdose or a limit not safe (review 8 #1, #2, #5).
        *((answer, NO) for answer in HARM_OR_A_LIMIT_BESIDE_A_YES),
        *((answer, UNCLEAR) for answer in YES_BESIDE_WORDS_OF_NO_LIST),
        *((answer, YES) for answer in SKILLS_BESIDE_A_YES),
        *((answer, UNCLEAR) for answer in MEANS_PUT_AWAY_AND_THE_PLAN),
    ],
)  # fmt: skip
def test_only_a_clear_answer_counts_as_safe_or_not_safe(text: str, reading: str) -> None:
    """The same reader decides the Rasa form's slot (``ValidateCrisisFollowupForm``)."""
    assert read_safe_now(text) == reading


@pytest.mark.parametrize(
    "answer",
    ["I don't think I'm safe", "I'm not feeling safe", "not very safe", "safe? no",
     "I'm never safe", "no me siento segura", "not sure I'm safe", "I wouldn't say safe",
     "im not ok"],
)  # fmt: skip
def test_a_negated_safe_after_crisis_help_gets_the_crisis_numbers_and_is_escalated(
    db_session: Session, client: Client, answer: str
) -> None:
    record_question(db_session, client, SafetyQuestion.SAFE_NOW, utcnow())
    assert any("988" in text for text in _answer(db_session, answer))
    ((level, categories),) = _escalations(db_session)
    assert level == "high" and "not_safe" in categories


@pytest.mark.parametrize(
    "answer",
    ["yes i'm safe in my apartment", "yes safe, my aunt is here", "yes safe, i went for a walk",
     "i'm safe, i want to sleep", "yeah i'm safe, just needed to vent", "safe for the moment",
     "safe, at my appointment"],
)  # fmt: skip
def test_safe_beside_a_word_ending_in_nt_pages_nobody(answer: str) -> None:
    """ "apartment", "aunt", "went", "want" end in "nt" but negate nothing: only a negative
    contraction makes "safe" not safe (review 15 #2)."""
    risk = risk_of_answer(AskedQuestion(SafetyQuestion.SAFE_NOW), answer)
    assert risk is None or risk.level not in PAGING_LEVELS, risk


def test_a_knife_locked_in_my_parents_room_is_noted_as_put_away_without_a_page() -> None:
    """ "parent's" ends in "nt" too: the knife is put away, as in "my mom's room"
    (review 15 #2)."""
    answer = "i'm safe, i locked the knife in my parent's room"
    risk = risk_of_answer(AskedQuestion(SafetyQuestion.SAFE_NOW), answer)
    assert risk is not None and risk.category == "means_put_away", risk


@pytest.mark.parametrize(
    "answer",
    ["nope, i'm safe", "nah im safe", "naw im safe", "nop, estoy a salvo", "nel, estoy a salvo"],
)
def test_any_no_word_beside_safe_reads_as_not_safe(answer: str) -> None:
    """Every no of the one negation vocabulary (``data/answers.yml``, review 15 #18) negates
    "safe" as "nope" does: "naw" and "nel" no longer read as unclear."""
    assert read_safe_now(answer) == NO


def test_n_for_and_beside_safe_negates_nothing() -> None:
    """ "n" opens a plain no but is "and" as often: "safe n home" is safe (review 15 #18)."""
    assert read_safe_now("yes im safe n home") == YES


@pytest.mark.parametrize(
    "answer",
    ["no i'm not safe", "i dont feel safe", "i dnt feel safe", "i aint safe", "i wasnt safe",
     "i shouldnt say im safe", "i cant say im safe", "im not ok", "no estoy a salvo"],
)  # fmt: skip
def test_a_negative_contraction_without_its_apostrophe_still_reads_as_not_safe(
    answer: str,
) -> None:
    """Texters drop the apostrophe: "dont", "aint", "wasnt" are as negative as "don't"
    (review 15 #2 kept the closed list of contractions, in every spelling)."""
    assert read_safe_now(answer) == NO


@pytest.mark.parametrize(
    "answer",
    ["im nt safe", "nt safe", "i dint feel safe", "i did'nt say i was safe",
     "i do'nt feel safe", "i could'nt tell you if im safe", "i cldnt say im safe",
     "i shldnt say im safe", "i wldnt call this safe"],
)  # fmt: skip
def test_not_texted_as_nt_or_with_the_apostrophe_misplaced_reads_as_not_safe(
    answer: str,
) -> None:
    """ "im nt safe", "did'nt", "cldnt" to "are you safe right now?" are not safe: the crisis
    reply and a page, not the question again (review 16 #10)."""
    assert read_safe_now(answer) == NO


@pytest.mark.parametrize("answer", ["yes im safe, i wnt to sleep", "yes i'm safe, my aunt is here"])
def test_want_texted_as_wnt_beside_safe_pages_no_one(answer: str) -> None:
    """ "wnt" is "want" as often as "won't": it negates nothing (review 16 #10 left it out)."""
    assert read_safe_now(answer) != NO


@pytest.mark.parametrize(
    "answer",
    [
        # Lethal means named beside "safe" are what a clinician acts on at once (review 4 #7).
        "yes i'm safe, the gun is in my car though", "yeah safe. still have the knife tho",
        "yes but i still have the pills",
        # So are an act done and a goodbye (review 5 #4).
        "yes i did it", "sí, ya lo hice", "yes, goodbye", "safe. bye everyone",
        # And an overdose by pronoun, a cut, an injury, a joke, a plan (review 6 #1).
        *ACTS_BESIDE_A_YES,
        # And "em", "like 20", "relapsed", "jkjk", "mentira", an ending soon (review 7 #1, #2).
        "yes i took em", "yes i took like 20", "safe, relapsed", "yes jkjk", "sí, mentira",
        "safe, it'll all be over soon",
        # And self-harm in the clinic's words, "ate them all", "took them to sleep", a
        # yes until someone leaves or sleeps (review 8 #1, #2).
        "yes i self harmed", "sí, me autolesioné", "yes i ate them all",
        "yes i took them to sleep", "yes till my mom leaves", "sí, hasta que se duerman",
    ],
)  # fmt: skip
def test_safe_with_the_means_at_hand_an_act_or_a_goodbye_reopens_the_escalation(
    db_session: Session, client: Client, answer: str
) -> None:
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    _answer(db_session, answer)
    assert db_session.execute(select(Escalation.status)).scalar_one() == "open"


@pytest.mark.parametrize(
    "answer",
    ["i'm safe, i put the knife away", "yes i'm safe, i threw the rope out",
     "safe, i flushed the pills",
     # The safety plan's hand-over "to keep" is no means kept (review 7 #6).
     "i'm safe, gave my brother the gun to keep",
     # Nor is the rest of the safety plan beside it (review 8 #5).
     "i'm safe, i flushed the pills, i have my safety plan",
     "sí, tiré las pastillas, mañana tengo terapia"],
)  # fmt: skip
def test_safe_after_putting_the_means_away_is_noted_for_the_therapist_without_a_page(
    db_session: Session, client: Client, answer: str
) -> None:
    """The acknowledging therapist asked the client to put the means away; doing it pages
    nobody again (review 5 #5). The escalation's evidence and timeline hold the answer,
    the question is asked again, and a "yes" then settles it."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    assert _answer(db_session, answer) == ()
    escalation = db_session.execute(select(Escalation)).scalar_one()
    assert escalation.status == "acknowledged"
    assert len(_primary_pages(db_session)) == 1
    assert "means_put_away" in json.loads(escalation.categories)
    assert f"Are you safe right now? Answer: {answer}" in escalation.evidence
    assert escalation.events[-1].kind == EscalationEventKind.RISK_ADDED
    assert question_waiting(db_session, client, utcnow())
    assert _answer(db_session, "yes") == ()
    assert not question_waiting(db_session, client, utcnow())
    assert db_session.execute(select(Escalation.status)).scalar_one() == "acknowledged"


@pytest.mark.parametrize("answer", MEANS_PUT_AWAY_AND_KEPT)
def test_means_put_away_but_some_kept_pages_the_on_call_therapist_again(
    db_session: Session, client: Client, answer: str
) -> None:
    """ "i threw the pills out... i kept some", "... i bought new ones", "i can get it
    anytime": means still at hand, whatever was put away first (review 6 #2, review 7
    #3). The acknowledger's rota is paged again, and the escalation is not noted as
    means put away."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    assert any("988" in text for text in _answer(db_session, answer))
    escalation = db_session.execute(select(Escalation)).scalar_one()
    assert escalation.status == "open"
    assert len(_primary_pages(db_session)) == 2
    categories = json.loads(escalation.categories)
    assert "not_safe" in categories and "means_put_away" not in categories


def _from_phone(session: Session, message: InboundMessage) -> tuple[Decision, list[str]]:
    """``message`` through the intake pipeline; its decision and what was queued to the sender."""
    session.commit()
    decision = receive(
        message, load_settings(), engine=session.get_bind(), flood=FloodControl(burst=1000)
    )
    session.expire_all()
    queued = session.execute(
        select(Message.body).where(
            Message.direction == Direction.OUTBOUND, Message.address == message.address
        )
    ).scalars()
    return decision, list(queued)


def test_help_to_are_you_safe_right_now_gets_the_numbers_and_the_question_waits(
    db_session: Session, client: Client
) -> None:
    record_question(db_session, client, SafetyQuestion.SAFE_NOW, utcnow())
    help_sms = InboundMessage("sms", DEMO_PHONE, "HELP", provider_id="SM" + "1" * 32)
    decision, (help_reply,) = _from_phone(db_session, help_sms)
    assert "988" in help_reply and "911" in help_reply
    # The conversation reads it too, and asks again; the question still waits for its answer.
    assert decision.hand_off is not None and decision.hand_off.text == "HELP"
    assert question_waiting(db_session, client, utcnow())
    _from_phone(db_session, InboundMessage("sms", DEMO_PHONE, "no", provider_id="SM" + "2" * 32))
    assert _escalations(db_session) == [("high", ["not_safe"])]


def test_a_voice_note_to_are_you_safe_right_now_gets_the_numbers_not_the_menu(
    db_session: Session, client: Client
) -> None:
    """On Telegram someone in distress often answers by voice; the bot cannot read it."""
    record_question(db_session, client, SafetyQuestion.SAFE_NOW, utcnow())
    voice = InboundMessage("telegram", DEMO_CHAT, "", provider_id="1:777000:9", has_media=True)
    decision, (prompt,) = _from_phone(db_session, voice)
    assert "988" in prompt and "in words" in prompt and "MENU" not in prompt
    assert decision.hand_off is None
    assert question_waiting(db_session, client, utcnow())


def test_an_unknown_question_is_refused(db_session: Session, client: Client) -> None:
    with pytest.raises(ValueError, match="unknown safety question"):
        record_question(db_session, client, "favourite_colour", utcnow())


def test_two_messages_at_once_are_read_as_one_answer_on_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    upgrade(postgres_url)
    engine = create_engine_for(postgres_url)
    try:
        with session_scope(engine) as session:
            seed_demo(session, credentials_file=tmp_path / "credentials.txt")
            demo = client_by_code(session, "DEMO0001")
            assert demo is not None
            record_question(session, demo, SafetyQuestion.URGE_SUICIDE, utcnow())
        answers: list[AskedQuestion | None] = []

        def second_message() -> None:
            with session_scope(engine) as session:
                client = client_by_code(session, "DEMO0001")
                assert client is not None
                answers.append(take_pending_question(session, client, utcnow(), "2"))

        with session_scope(engine) as session:
            client = client_by_code(session, "DEMO0001")
            assert client is not None
            answers.append(take_pending_question(session, client, utcnow(), "2"))
            racing = threading.Thread(target=second_message)
            racing.start()
            # Give the second message time to read the question before the first commits.
            racing.join(timeout=1)
        racing.join()
        assert answers == [AskedQuestion(SafetyQuestion.URGE_SUICIDE), None]
    finally:
        engine.dispose()


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
    client: Client,
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

#: Review 11 #6 (Medium, over-escalation): a goodbye that names no time after a word of
#: wellbeing, with no comma, read as a limit ("fine until later").
A_GOODBYE_AFTER_FINE_WITH_NO_COMMA = [
    "sí estoy bien hasta luego",
    "ok hasta luego",
    "yes im fine hasta luego",
    "sí estoy a salvo hasta luego",
    "sí estoy bien hasta pronto",
    "sí, bien hasta la próxima",
]

#: Review 11 #8 (Low, over-escalation): waking or getting somewhere with a plan after it,
#: read as a doubt about the morning.
A_GOODBYE_WITH_AN_ORDINARY_IF = [
    "sí, hasta mañana, si llego temprano te escribo",
    "sí, hasta mañana si despierto temprano hago mi tarea",
    "yes see you tomorrow if i make it to group",
    "yes see you tomorrow if i wake up early enough for group",
]


@pytest.mark.parametrize(
    "answer",
    SPANISH_GOODBYES_BESIDE_A_YES
    + A_GOODBYE_AFTER_FINE_WITH_NO_COMMA
    + A_GOODBYE_WITH_AN_ORDINARY_IF,
)
def test_si_hasta_manana_to_are_you_safe_does_not_page_the_acknowledger_again(
    db_session: Session,
    client: Client,
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


#: Review 9 #5: an urge of 4.5 after naming a session: `_AT_A_TIME`'s number takes "4.5"
#: for a clock time (as it takes "4:30", "4.30").
URGE_OF_4_5_AFTER_A_TIME_WORD = ["group today at 4.5", "class at 4.5", "after session at 4.5"]


@pytest.mark.parametrize("answer", URGE_OF_4_5_AFTER_A_TIME_WORD)
def test_an_urge_of_4_5_after_naming_a_session_pages_the_on_call_therapist(
    db_session: Session,
    client: Client,
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
    # Review 11 #11: a name, a place, a time after another time word.
    "session at 4 with sarah",
    "lunch at 5 with grandma",
    "class at 5 with friends",
    "group is at 5 on zoom",
    "my appointment is after lunch at 4",
    "i'll see you after lunch at 5",
    "pick me up after class at 5",
]


@pytest.mark.parametrize("answer", A_TIME_WITH_ITS_DAY_AFTER_IT)
def test_my_appointment_is_at_4_tomorrow_after_the_diary_card_pages_nobody(
    db_session: Session,
    client: Client,
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


#: "hasta <mañana|el lunes|luego>" right after a word of safety is the
#: limit "safe until tomorrow", not a goodbye: read as a plain yes now (no before), while
#: "yes safe till tomorrow" is no.
SAFE_UNTIL_TOMORROW_IN_SPANISH = [
    "sí, estoy a salvo hasta mañana",
    "sí, segura hasta mañana",
    "sí, estoy segura hasta el lunes",
    "sí, bien hasta mañana",
    "yes i'm safe hasta mañana",
]

#: a goodbye with a doubt about waking or a tomorrow: no before (the
#: bare "hasta" was a limit), asked again now; nothing else reads it.
SEE_YOU_TOMORROW_IF_I_WAKE_UP = [
    "sí, hasta mañana, si despierto",
    "sí, hasta mañana si es que hay mañana",
    "sí, hasta mañana si llego",
]

#: a rating told beside a time word, with a day or a feeling after it,
#: is taken for a time (`_WHEN_AFTER_A_TIME`): high before, no answer now.
A_RATING_BESIDE_A_TIME_WORD_AND_A_DAY = [
    "after group at 5 tonight",
    "since lunch at 5 today",
    "class at 5 with anxiety",
    "group at 5 on edge",
]


@pytest.mark.parametrize("answer", SAFE_UNTIL_TOMORROW_IN_SPANISH)
def test_si_estoy_a_salvo_hasta_manana_to_are_you_safe_is_not_read_as_safe(answer: str) -> None:
    """What a clinic would see: "are you safe right now?" answered "sí, estoy a salvo
    hasta mañana" (safe until tomorrow): a plain yes; the question is settled and the
    acknowledging therapist is never told."""
    assert read_safe_now(answer) != YES


@pytest.mark.parametrize("answer", SEE_YOU_TOMORROW_IF_I_WAKE_UP)
def test_si_hasta_manana_si_despierto_pages_the_acknowledger_again(answer: str) -> None:
    """What a clinic would see: "sí, hasta mañana, si despierto" (if I wake up): asked
    again, nobody paged (a page before review 9's fix)."""
    assert read_safe_now(answer) == NO


@pytest.mark.parametrize("answer", A_RATING_BESIDE_A_TIME_WORD_AND_A_DAY)
def test_after_group_at_5_tonight_to_the_urge_question_pages(answer: str) -> None:
    """What a clinic would see: "urge to commit suicide today, 0-5?" answered "after group
    at 5 tonight": taken for a time, no crisis reply, nobody paged (high before)."""
    risk = risk_of_answer(AskedQuestion(SafetyQuestion.URGE_SUICIDE), answer)
    assert risk is not None and risk.level == "high", risk


#: Review 9 #4 (Low, over-escalation): coping carried on "until" a calm it reached, and an
#: everyday "had" or "ate" beside a yes: each paged the acknowledger again. The coping and
#: the meal are plain now; a rough day is asked again.
COPING_UNTIL_A_CALM_OR_AN_EVERYDAY_HAD_BESIDE_A_YES = [
    "yes, i talked to the crisis line until i felt calmer",
    "yes i'm safe, i used my skills till the urge passed",
    "yes i took my dog for a walk until i calmed down",
    "sí, hablé con mi mamá hasta que me calmé",
    "yes i had it rough",
    "yes i took it one day at a time",
    "yes i had some dinner",
    "yes i ate a lot of pizza",
]
#: What stays not safe beside the same words: a calm still to come ("hasta que me calme"
#: is a subjunctive), another past ("until she left"), a drink until a calm, means or an
#: overdose beside it, an intent after the calm.
STILL_NOT_SAFE_BESIDE_UNTIL_OR_HAD = [
    "yes until i calm down", "sí, hasta que me calme", "yes until she left",
    "yes i drank until i felt better", "yes i held the knife until i calmed down",
    "yes i cut until i felt better", "yes till i felt ok to do it",
    "yes i'm safe until the urge passed, till tonight", "yes i had some pills",
    "yes i took some of them", "yes i took a lot of tylenol", "yes i took it all",
    "yes i had some dinner and the pills",
]  # fmt: skip


@pytest.mark.parametrize("answer", COPING_UNTIL_A_CALM_OR_AN_EVERYDAY_HAD_BESIDE_A_YES)
def test_a_skill_used_until_the_urge_passed_or_a_rough_day_beside_a_yes_does_not_page_again(
    answer: str,
) -> None:
    """What a clinic would see: "yes, i talked to the crisis line until i felt calmer",
    "yes i had it rough", "yes i had some dinner": the acknowledging therapist was paged
    again for the answer a clinician hopes for (urge surfing, a call, a meal)."""
    assert read_safe_now(answer) != NO


@pytest.mark.parametrize("answer", STILL_NOT_SAFE_BESIDE_UNTIL_OR_HAD)
def test_yes_until_i_calm_down_or_beside_pills_still_pages_the_acknowledger(answer: str) -> None:
    """A calm still to come is a limit, and means, an overdose or an intent beside a calm
    reached are still what the acknowledging therapist must hear."""
    assert read_safe_now(answer) == NO


@pytest.mark.parametrize(
    "answer", ["yes i'm safe, i used my skills till the urge passed", "yes i had some dinner"]
)
def test_yes_i_used_my_skills_till_the_urge_passed_does_not_reopen_the_escalation(
    db_session: Session, client: Client, answer: str
) -> None:
    """The escalation stays acknowledged, nobody is paged again, and the question is settled."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    assert _answer(db_session, answer) == ()
    assert db_session.execute(select(Escalation.status)).scalar_one() == "acknowledged"
    assert len(_primary_pages(db_session)) == 1, "the acknowledger paged again"
    assert not question_waiting(db_session, client, utcnow())


#: Review 11 #7 (Medium): a goodbye that doubts the morning in the forms clients type (no
#: apostrophe, "alive", "dont die", "si sigo viva", "si hay mañana"): asked again before,
#: nobody told.
A_GOODBYE_THAT_DOUBTS_THE_MORNING = [
    "yes see you tomorrow if im still here",
    "yes see u tomorrow if im still alive",
    "yes, see you tomorrow if i dont die",
    "yes see you tomorrow if i make it through the night",
    "sí, hasta mañana, si sigo viva",
    "sí, hasta mañana, si me despierto",
    "sí, hasta mañana si hay mañana",
    "sí, hasta mañana si es que hay un mañana",
    "sí, hasta mañana, ojalá no despierte",
]


@pytest.mark.parametrize("answer", A_GOODBYE_THAT_DOUBTS_THE_MORNING)
def test_see_you_tomorrow_if_im_still_here_pages_the_acknowledger_again(
    db_session: Session, client: Client, answer: str
) -> None:
    """What a clinic would see: "are you safe right now?" answered "yes see you tomorrow if
    im still here": the client gets the crisis numbers again, the escalation is re-opened
    and the therapist who acknowledged it is paged again."""
    _crisis_acknowledged_and_asked_safe_now(db_session, client)
    assert any("988" in text for text in _answer(db_session, answer))
    assert db_session.execute(select(Escalation.status)).scalar_one() == "open"
    assert len(_primary_pages(db_session)) == 2, "the acknowledger not paged again"


#: Review 11 #9 (Low): a time that dates a state ("after my appointment", "since my
#: session"), or "with" a feeling, beside a rating: taken for a time before.
A_RATING_AFTER_AN_APPOINTMENT_OR_WITH_A_FEELING = [
    "after my appointment at 5",
    "since my session at 5",
    "after the meeting at 5",
    "class at 5 with my anxiety",
    "class with anxiety at 5",
]


@pytest.mark.parametrize("answer", A_RATING_AFTER_AN_APPOINTMENT_OR_WITH_A_FEELING)
def test_after_my_appointment_at_5_to_the_urge_question_pages_the_on_call_therapist(
    db_session: Session, client: Client, answer: str
) -> None:
    """What a clinic would see: "urge to commit suicide today, 0-5?" answered "after my
    appointment at 5": the crisis reply, and the on-call therapist paged once."""
    record_question(db_session, client, SafetyQuestion.URGE_SUICIDE, utcnow())
    _assert_on_call_paged(db_session, _answer(db_session, answer), "diary_urge")


#: Review 12 #8 (Medium): a goodbye that doubts the morning with the morning or a doubt
#: after "in", "en", "by" or "to" ("in the morning", "by some miracle", "to tmrw"): taken
#: for a plan, asked again, the acknowledger not told (a page before).
A_GOODBYE_THAT_DOUBTS_THE_MORNING_AFTER_A_PREPOSITION = [
    "yes see you tomorrow if i wake up in the morning",
    "sí, hasta mañana, si despierto en la mañana",
    "si hasta mañana si amanezco en la mañana",
    "yes see you tomorrow if i wake up by some miracle",
    "yes see u tmrw if i make it to tmrw",
    "yes see you tomorrow if i make it to sunrise",
    "sí, hasta mañana, si despierto en este mundo",
]
#: Review 12 #9 (Low): a limit after "hasta la próxima" or "hasta luego" beside a word of
#: safety: taken for a goodbye, asked again (a page before).
A_LIMIT_AFTER_HASTA_LUEGO = [
    "sí estoy bien hasta la próxima crisis",
    "sí estoy a salvo hasta luego en la noche",
]
#: What stays a goodbye or a plan: a goodbye that ends its clause or is thanked, waking or
#: getting somewhere at an hour, on time, to school or to someone.
A_GOODBYE_OR_A_PLAN_BESIDE_A_YES = [
    "yes see you tomorrow at group",
    "sí, hasta mañana",
    "sí estoy bien hasta luego, gracias",
    "sí estoy bien hasta pronto 😊",
    "yes see you tomorrow if i make it on time",
    "yes see you tomorrow if i wake up at 7",
    "sí, hasta mañana si llego a las 7",
    "sí, hasta mañana si llego a la escuela",
    "yes see you tomorrow if i make it to my moms",
]
#: Review 12 #11 (Low): means or the urge's own words after "with" beside a time, to the
#: urge question, taken for company: no answer, nobody paged (high before).
A_RATING_WITH_MEANS_OR_INTENT_AFTER_A_TIME = [
    "session at 5 with rope",
    "group at 5 with intent",
    "class at 5 with cravings",
    "session at 5 with pills",
]


@pytest.mark.parametrize(
    "answer", A_GOODBYE_THAT_DOUBTS_THE_MORNING_AFTER_A_PREPOSITION + A_LIMIT_AFTER_HASTA_LUEGO
)
def test_see_you_tomorrow_if_i_wake_up_in_the_morning_pages_the_acknowledger_again(
    answer: str,
) -> None:
    """What a clinic would see: "are you safe right now?" answered "yes see you tomorrow if
    i wake up in the morning" or "sí estoy bien hasta la próxima crisis": not safe, the
    acknowledging therapist is paged again."""
    assert read_safe_now(answer) == NO


@pytest.mark.parametrize("answer", A_GOODBYE_OR_A_PLAN_BESIDE_A_YES)
def test_see_you_tomorrow_at_group_or_hasta_luego_gracias_does_not_page_the_acknowledger_again(
    answer: str,
) -> None:
    """What a clinic would see: "yes see you tomorrow at group", "sí estoy bien hasta luego,
    gracias", "if i make it to my moms": a plain yes or asked again, nobody paged again."""
    assert read_safe_now(answer) != NO


@pytest.mark.parametrize("answer", A_RATING_WITH_MEANS_OR_INTENT_AFTER_A_TIME)
def test_group_at_5_with_intent_to_the_urge_question_pages(answer: str) -> None:
    """What a clinic would see: "urge to commit suicide today, 0-5?" answered "group at 5
    with intent": the crisis reply and a page, not a time with company. "session at 4
    with sarah" stays a time (:data:`A_TIME_WITH_ITS_DAY_AFTER_IT`)."""
    risk = risk_of_answer(AskedQuestion(SafetyQuestion.URGE_SUICIDE), answer)
    assert risk is not None and risk.level == "high", risk


#: Review 13 #8 (Medium, over-escalation): a goodbye to a friend after "hasta luego" with
#: no comma ("nos vemos", "amiga", "doc", "besos"), read as a limit, and getting to an
#: ordinary place ("the office", "college", "la oficina") or waking before noon, read as a
#: doubt about the morning: the acknowledger paged again.
AN_ORDINARY_GOODBYE_BESIDE_A_YES = [
    "sí estoy bien hasta luego nos vemos",
    "sí estoy bien hasta luego amiga",
    "si estoy bien hasta pronto doc",
    "si estoy bien hasta luego besos",
    "yes see you tomorrow if i make it to the office",
    "yes see you tomorrow if i make it to college",
    "yes see you tomorrow if i wake up before noon",
    "sí nos vemos mañana si llego a la oficina",
    "yes see you tomorrow if i make it to the train station",
    # Review 14 #6 (Low): a time after the place only says when.
    "yes safe, if i make it to the office tomorrow ill call",
    "yes im safe, if i make it to class tomorrow ill text you",
    "sí estoy bien, si llego a la oficina mañana te escribo",
]
#: Review 13 #9 (Medium): a doubt about getting to a place to die at, after a plan's words
#: ("to the train", "to my mom's") or not: asked again, the acknowledger not told. A limit
#: after "hasta luego" stays one.
A_MORNING_DOUBTED_AT_A_PLACE_TO_DIE_AT = [
    "yes see you tomorrow if i make it to the train tracks",
    "yes see you tomorrow if i make it to the train tracks tonight",
    "yes see you tomorrow if i make it to my moms grave",
    "yes see you tomorrow if i make it to my dads grave",
    "sí hasta mañana si llego a las vías del tren",
    "yes see you tomorrow if i make it to the cemetery",
    "yes see you tomorrow if i make it to the other side",
    "yes see you tomorrow if i make it to the end of the week",
    "yes see you tomorrow if i make it a week",
    "sí estoy bien hasta luego cuando se vaya",
    # Review 14 #6: a time where the place would be is the morning doubted.
    "yes safe, if i make it to tomorrow",
    "yes safe, if i make it through the night",
    "yes safe, if i make it to the next day",
    "yes safe, if i make it to see another day",
    "sí estoy bien, si llego a mañana",
]


@pytest.mark.parametrize("answer", AN_ORDINARY_GOODBYE_BESIDE_A_YES)
def test_si_estoy_bien_hasta_luego_nos_vemos_does_not_page_the_acknowledger_again(
    answer: str,
) -> None:
    """What a clinic would see: "are you safe right now?" answered "sí estoy bien hasta
    luego nos vemos" or "yes see you tomorrow if i make it to the office": a plain yes or
    asked again, the acknowledging therapist not paged again."""
    assert read_safe_now(answer) != NO


@pytest.mark.parametrize("answer", A_MORNING_DOUBTED_AT_A_PLACE_TO_DIE_AT)
def test_see_you_tomorrow_if_i_make_it_to_the_train_tracks_pages_the_acknowledger_again(
    answer: str,
) -> None:
    """What a clinic would see: "are you safe right now?" answered "yes see you tomorrow if
    i make it to the train tracks" or "… to my moms grave": not safe, the acknowledging
    therapist paged again."""
    assert read_safe_now(answer) == NO
