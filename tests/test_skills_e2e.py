"""The skills coach end to end: the real servers (``wisemind run``), SMS, Telegram and chat.

Over the Twilio stand-in a client asks what a skill is, gets a skill for a
hard moment, and practices it with distress rated before and after; the
practice lands in the database with the channel. Over the Telegram stand-in a
client does the same and pauses and resumes a chain analysis. Chat tests
cover the rest. The servers start once for the file (session fixtures in
``tests/servers.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    poll_until,
)
from tests.standins import TelegramStandin, TwilioStandin
from tests.test_channel_telegram import Chat, new_chat_id


@pytest.fixture
def telegram_chat(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> Chat:
    """An enrolled, consented client's private chat with the clinic's Telegram bot."""
    chat_id = new_chat_id()
    code = enrol_client(wisemind, consented=True, name="Jo Skills", telegram_chat_id=str(chat_id))
    return Chat(wisemind, providers[1], chat_id, code)


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


@dataclass
class Texting:
    """A client's channel as a test drives it: send a text, read what the bot sent back.

    A reply may come as several messages through the outbox, so each exchange
    waits for the message it expects rather than for a quiet moment.
    """

    send: Callable[[str], int]
    received: Callable[[], list[str]]

    def reply_to(self, text: str, until: str) -> str:
        """Send ``text``; the bot's messages since, once one of them contains ``until``."""
        before = len(self.received())
        assert self.send(text) == 200
        replies = poll_until(lambda: self.received()[before:], lambda new: until in "\n".join(new))
        joined = "\n".join(replies)
        assert until in joined, joined
        return joined


def _by_sms(phone: Phone) -> Texting:
    return Texting(lambda text: phone.text(text)[0], phone.sent_bodies)


def _on_telegram(chat: Chat) -> Texting:
    return Texting(
        lambda text: chat.send(text)[0],
        lambda: [message.text or "" for message in chat.telegram.messages_to(chat.chat_id)],
    )


def _practice_offered_skill(client: Texting, situation: str) -> str:
    """Take the skill offered for ``situation``: SUDS 80, every step, SUDS 30; its name."""
    suggested = client.reply_to(situation, until="(yes or no)")
    assert "makes sense" in suggested
    skill = next(name for name in ("TIPP", "STOP") if f"One skill that fits: {name}" in suggested)
    started = client.reply_to("yes", until="How distressed")
    found = load_library().find(skill)
    assert found is not None
    caution = f"Before you start: {found.when_not_to_use[0]}"
    assert caution in started
    assert started.index(caution) < started.index("How distressed")
    steps = found.steps
    client.reply_to("80", until=f"Step 1 of {len(steps)}")
    for number in range(2, len(steps) + 1):
        client.reply_to("next", until=f"Step {number} of {len(steps)}")
    client.reply_to("next", until="How distressed do you feel now")
    client.reply_to("30", until="from 80 to 30")
    return skill


def test_by_sms_a_client_learns_a_skill_gets_one_for_a_hard_moment_and_practices_it(
    phone: Phone,
) -> None:
    client = _by_sms(phone)
    assert "T: Temperature" in client.reply_to("what is TIPP", until="walk you through TIPP")
    client.reply_to("no", until="That's okay")

    skill = _practice_offered_skill(client, "I'm about to explode at my mom")
    (practice,) = _practices(phone.server, phone.code)
    assert practice.channel == "sms"
    assert (practice.distress_before, practice.distress_after) == (80, 30)
    assert practice.completed_at is not None
    assert practice.steps_done == len(load_library().find(skill).steps)  # type: ignore[union-attr]


def test_on_telegram_a_client_learns_practices_and_pauses_a_chain_analysis(
    telegram_chat: Chat,
) -> None:
    client = _on_telegram(telegram_chat)
    assert "D: Describe" in client.reply_to("what's DEAR MAN", until="walk you through DEAR MAN")
    client.reply_to("no", until="That's okay")

    skill = _practice_offered_skill(client, "I'm about to explode at my mom")
    (practice,) = _practices(telegram_chat.server, telegram_chat.code)
    assert practice.channel == "telegram"
    assert practice.skill_id == skill.lower()
    assert (practice.distress_before, practice.distress_after) == (80, 30)

    client.reply_to("can we do a chain analysis", until="problem behavior")
    client.reply_to("I slammed the door on my roommate", until="right before")
    client.reply_to("pause", until="RESUME")
    assert "pick up where we stopped" in client.reply_to("resume", until="right before")
    for answer, next_question in (
        ("she ate my leftovers again", "more vulnerable"),
        ("slept badly, skipped breakfast", "Now the links"),
        ("thought she never listens, felt hot, then slammed it", "What happened after"),
        ("she went quiet and I felt guilty", "where could a skill"),
        ("STOP before I got up", "Last one"),
        ("say sorry and talk tonight", "saved it for your therapist"),
    ):
        client.reply_to(answer, until=next_question)
    with session_scope(telegram_chat.server.engine) as session:
        stored = client_by_code(session, telegram_chat.code)
        assert stored is not None
        (chain,) = session.execute(
            select(ChainAnalysis).where(ChainAnalysis.client_id == stored.id)
        ).scalars()
        assert chain.behavior == "I slammed the door on my roommate"
        assert chain.prompting_event == "she ate my leftovers again"
        assert chain.channel == "telegram"
        assert chain.completed_at is not None


def test_every_emotional_message_gets_validation_and_a_skill_offer(client: ChatClient) -> None:
    for message in ("help me calm down", "I feel really sad today", "im so stressed"):
        reply = client.say_joined(message)
        assert "didn't quite get that" not in reply
        assert "(yes or no)" in reply or "tell me a bit more" in reply


def test_a_practice_shows_its_caution_once_and_can_repeat_skip_pause_and_resume(
    client: ChatClient,
) -> None:
    started = client.say_joined("walk me through STOP")
    caution = "Before you start: " + load_library().get("stop").when_not_to_use[0]
    assert started.index(caution) < started.index("How distressed")
    first = client.say_joined("60")
    assert "Step 1 of" in first
    assert client.say_joined("repeat") == first
    assert "Step 2 of" in client.say_joined("skip")
    assert "RESUME" in client.say_joined("pause")
    resumed = client.say_joined("resume")
    assert "pick up where we stopped" in resumed
    assert "Before you start" not in resumed
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
    assert "Practice DEAR MAN" in client.say_joined("hi")
    assert "How did it go" in client.say_joined("yes")
    assert "noted it for your therapist" in client.say_joined("asked for a day off, it worked")
    with session_scope(client.server.engine) as session:
        stored = session.get(Homework, homework_id)
        assert stored is not None
        assert (stored.status, stored.client_report) == ("done", "asked for a day off, it worked")


def test_due_homework_comes_up_after_the_reply_to_an_ordinary_message_once_a_day(
    client: ChatClient,
) -> None:
    with session_scope(client.server.engine) as session:
        assign_homework(
            session,
            load_library(),
            client_code=client.code,
            therapist_email=CLINIC_THERAPIST,
            due_at=datetime.now(timezone.utc) - timedelta(minutes=5),
            title="Fill in the opposite action worksheet",
        )
    replies = client.say("what can you do")
    assert "Here's what I can do" in replies[0]
    assert "opposite action worksheet" in replies[-1]
    assert "another time" in client.say_joined("pause")
    assert "worksheet" not in client.say_joined("thanks")
    assert "worksheet" not in client.say_joined("hi")
    assert "opposite action worksheet" in client.say_joined("homework")


def test_questions_about_the_data_get_a_real_answer(client: ChatClient) -> None:
    reply = client.say_joined("who can see my messages?")
    assert "Your therapist" in reply


def test_browsing_a_module_lists_its_skills(client: ChatClient) -> None:
    reply = client.say_joined("show me distress tolerance skills")
    assert "Distress tolerance skills" in reply
    assert "TIPP" in reply
