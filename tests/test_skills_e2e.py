"""The skills coach end to end: the real servers (``wisemind run``), SMS and chat.

Over the Twilio stand-in a client asks what a skill is, gets a skill for a
hard moment, and practises it with distress rated before and after; the
practice lands in the database with the channel. Chat tests cover the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.clinic import client_by_code
from bot.skills import load_library
from bot.skills.homework import assign_homework
from bot.storage import session_scope
from bot.storage.models import ChainAnalysis, Homework, SkillPractice
from tests.servers import (
    CLINIC_THERAPIST,
    ChatClient,
    Phone,
    RunningWiseMind,
    enrol_client,
    new_phone,
)
from tests.standins import TelegramStandin, TwilioStandin


@pytest.fixture
def phone(wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]) -> Phone:
    """An enrolled, consented client's phone."""
    number = new_phone()
    code = enrol_client(wisemind, consented=True, name="Robin Skills", sms_number=number)
    return Phone(wisemind, providers[0], number, code)


def _practices(server: RunningWiseMind, code: str) -> list[SkillPractice]:
    with session_scope(server.engine) as session:
        client = client_by_code(session, code)
        assert client is not None
        rows = session.execute(select(SkillPractice).where(SkillPractice.client_id == client.id))
        return list(rows.scalars())


def test_by_sms_a_client_learns_a_skill_gets_one_for_a_hard_moment_and_practises_it(
    phone: Phone,
) -> None:
    explained = phone.reply_to("what is TIPP")
    assert "T: Temperature" in explained
    assert "walk you through TIPP" in explained
    assert "okay" in phone.reply_to("no").lower()

    suggested = phone.reply_to("I'm about to explode at my mom")
    assert "makes sense" in suggested
    skill = next(name for name in ("TIPP", "STOP") if f"One skill that fits: {name}" in suggested)
    assert "How distressed" in phone.reply_to("yes")
    steps = load_library().find(skill).steps  # type: ignore[union-attr]
    reply = phone.reply_to("80")
    for number in range(1, len(steps) + 1):
        assert f"Step {number} of {len(steps)}" in reply
        reply = phone.reply_to("next")
    assert "How distressed do you feel now" in reply
    assert "from 80 to 30" in phone.reply_to("30")

    (practice,) = _practices(phone.server, phone.code)
    assert practice.channel == "sms"
    assert (practice.distress_before, practice.distress_after) == (80, 30)
    assert practice.completed_at is not None
    assert practice.steps_done == len(steps)


def test_every_emotional_message_gets_validation_and_a_skill_offer(client: ChatClient) -> None:
    for message in ("help me calm down", "I feel really sad today", "im so stressed"):
        reply = client.say_joined(message)
        assert "didn't quite get that" not in reply
        assert "(yes or no)" in reply or "tell me a bit more" in reply


def test_a_practice_can_repeat_skip_pause_and_resume(client: ChatClient) -> None:
    assert "How distressed" in client.say_joined("walk me through STOP")
    first = client.say_joined("60")
    assert "Step 1 of" in first
    assert client.say_joined("repeat") == first
    assert "Step 2 of" in client.say_joined("skip")
    assert "RESUME" in client.say_joined("pause")
    assert "pick up where we stopped" in client.say_joined("resume")
    (practice,) = _practices(client.server, client.code)
    assert practice.distress_before == 60
    assert practice.steps_skipped == 1


def test_a_crisis_message_mid_practice_gets_the_crisis_reply_not_the_next_step(
    client: ChatClient,
) -> None:
    client.say("walk me through TIPP")
    client.say("90")
    reply = client.say_joined("i want to kill myself tonight")
    assert "988" in reply
    assert "Step 2" not in reply
    assert "didn't quite get" not in client.say_joined("thanks")


def test_a_chain_analysis_is_walked_through_and_saved_for_the_therapist(
    client: ChatClient,
) -> None:
    assert "problem behavior" in client.say_joined("can we do a chain analysis")
    answers = [
        "I screamed at my sister",
        "she read my diary",
        "slept 3 hours, skipped lunch",
        "I thought she doesn't respect me, felt hot and shaky, then yelled",
        "she cried and I felt ashamed",
        "TIPP when I felt shaky",
    ]
    for answer in answers:
        client.say(answer)
    assert "saved it for your therapist" in client.say_joined("apologize to her tomorrow")
    with session_scope(client.server.engine) as session:
        stored = client_by_code(session, client.code)
        assert stored is not None
        (chain,) = session.execute(
            select(ChainAnalysis).where(ChainAnalysis.client_id == stored.id)
        ).scalars()
        assert chain.behavior == "I screamed at my sister"
        assert chain.repair == "apologize to her tomorrow"
        assert chain.completed_at is not None


def test_due_homework_is_brought_up_at_the_next_greeting_and_the_report_kept(
    client: ChatClient,
) -> None:
    with session_scope(client.server.engine) as session:
        homework = assign_homework(
            session,
            load_library(),
            client_code=client.code,
            therapist_email=CLINIC_THERAPIST,
            due_at=datetime.now(timezone.utc) - timedelta(hours=1),
            skill="dear man",
        )
        homework_id = homework.id
    assert "Practise DEAR MAN" in client.say_joined("hi")
    assert "How did it go" in client.say_joined("yes")
    assert "noted it for your therapist" in client.say_joined("asked for a day off, it worked")
    with session_scope(client.server.engine) as session:
        stored = session.get(Homework, homework_id)
        assert stored is not None
        assert (stored.status, stored.client_report) == ("done", "asked for a day off, it worked")


def test_questions_about_the_data_get_a_real_answer(client: ChatClient) -> None:
    reply = client.say_joined("who can see my messages?")
    assert "Your therapist" in reply


def test_browsing_a_module_lists_its_skills(client: ChatClient) -> None:
    reply = client.say_joined("show me distress tolerance skills")
    assert "Distress tolerance skills" in reply
    assert "TIPP" in reply
