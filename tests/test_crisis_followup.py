"""After a crisis reply, through the real servers: the bot stays with the client.

By SMS, and once over Telegram. And the fault test: with the action server
stopped, a risky diary answer and a check-in "yes" still page the on-call
therapist.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from bot.storage import session_scope
from bot.storage.models import Client, Escalation, Message, PendingSafetyQuestion
from tests.servers import (
    PRIMARY_ON_CALL,
    QUIET_SECONDS,
    Phone,
    RunningWiseMind,
    clinic_wisemind,
    enrol_client,
    enrolled_phone,
    poll_until,
    settle,
)
from tests.standins import TelegramStandin, TwilioStandin
from tests.test_channel_telegram import Chat, new_chat_id
from tests.test_crisis import pages_about, wait_for_pages

MENU_WORDS = ("Here's what I can do", "What would you like to do?", "Good to hear from you")


@pytest.fixture
def phone(wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]) -> Phone:
    return enrolled_phone(wisemind, providers[0], name="Robin Follow")


def replies_until(
    send: Callable[[str], int], sent: Callable[[], list[str]], text: str, expected: str
) -> str:
    """Send ``text``; all replies, once one says ``expected``.

    The crisis reply leaves at arrival; the conversation's part (the follow-up
    question) comes after it, once the assistant has run.
    """
    before = len(sent())
    assert send(text) == 200
    poll_until(lambda: "\n".join(sent()[before:]), lambda replies: expected in replies)
    settle(sent)
    return "\n".join(sent()[before:])


def reply_until(phone: Phone, text: str, expected: str) -> str:
    """:func:`replies_until` by SMS."""
    return replies_until(lambda body: phone.text(body)[0], phone.sent_bodies, text, expected)


def _escalation(phone: Phone) -> tuple[str, list[str]]:
    with session_scope(phone.server.engine) as session:
        level, categories = session.execute(
            select(Escalation.level, Escalation.categories).where(
                Escalation.client.has(code=phone.code)
            )
        ).one()
    return level, json.loads(categories)


def _stays_until_safe(
    send: Callable[[str], int], sent: Callable[[], list[str]], reply_to: Callable[[str], str]
) -> None:
    """A crisis, "ok" and "hi" after it, then safe: the follow-up as a counsellor would."""
    crisis = replies_until(send, sent, "i want to kill myself", "Are you safe right now?")
    assert "988" in crisis and "alerted a person" in crisis
    assert "staying right here with you" in crisis
    for text in ("ok", "hi"):
        reply = reply_to(text)
        assert "make sure you're okay" in reply and "988" in reply, text
        assert not any(words in reply for words in MENU_WORDS), (text, reply)
    assert "Is someone with you" in reply_to("yes I'm safe")
    close = reply_to("my mom is home")
    assert "glad you're safe" in close and "988" in close and "Self-soothe" in close
    # Safe, and the follow-up closed: a greeting is a greeting again.
    assert "DIARY" in reply_to("hi")


def test_ok_and_hi_after_a_crisis_reply_get_a_caring_follow_up_until_the_client_is_safe(
    phone: Phone,
) -> None:
    _stays_until_safe(lambda text: phone.text(text)[0], phone.sent_bodies, phone.reply_to)


def test_on_telegram_the_bot_stays_with_the_client_after_a_crisis_until_they_are_safe(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    twilio, telegram = providers
    chat = Chat(wisemind, telegram, new_chat_id())
    chat.code = enrol_client(
        wisemind, consented=True, name="Kai Follow", telegram_chat_id=str(chat.chat_id)
    )

    def sent() -> list[str]:
        return [message.text or "" for message in telegram.messages_to(chat.chat_id)]

    _stays_until_safe(lambda text: chat.send(text)[0], sent, chat.reply_to)
    wait_for_pages(twilio, PRIMARY_ON_CALL, chat.code)


def test_not_safe_after_a_crisis_reply_gets_help_and_asks_where_they_are_without_a_second_page(
    phone: Phone,
) -> None:
    reply_until(phone, "i'm going to end my life tonight", "Are you safe right now?")
    wait_for_pages(phone.twilio, PRIMARY_ON_CALL, phone.code)
    reply = reply_until(phone, "no", "somewhere safe")
    assert "911" in reply and "somewhere safe" in reply
    assert "still here with you" in phone.reply_to("at home, alone")
    time.sleep(QUIET_SECONDS)
    assert len(pages_about(phone.twilio, PRIMARY_ON_CALL, phone.code)) == 1
    assert "not_safe" in _escalation(phone)[1]


def test_a_diary_self_harm_yes_is_asked_about_injuries_and_flagged_for_the_therapist(
    phone: Phone,
) -> None:
    phone.reply_to("diary")
    for answer in ("1", "2", "0"):
        phone.reply_to(answer)
    assert "hurt in a way that needs care" in phone.reply_to("yes")
    assert _escalation(phone) == ("moderate", ["recent_self_harm"])
    carry_on = phone.reply_to("no")
    assert "carry on" in carry_on and "drugs or alcohol" in carry_on
    time.sleep(QUIET_SECONDS)
    assert pages_about(phone.twilio, PRIMARY_ON_CALL, phone.code) == []


def test_a_message_disclosing_recent_self_harm_is_asked_about_injuries_and_safety(
    phone: Phone,
) -> None:
    # (The bare "i cut myself last night" is high for today's detector: see issue 8.)
    reply = phone.reply_to("i self harmed yesterday")
    assert "If you are hurt" in reply and "thoughts of suicide" in reply
    assert _escalation(phone)[0] == "moderate"


def test_a_check_in_yes_gets_one_crisis_reply_one_page_and_the_follow_up(phone: Phone) -> None:
    phone.reply_to("honestly everyone would be better off without me")
    reply = reply_until(phone, "yes", "Are you safe right now?")
    assert reply.count("988") == 1 and "alerted a person" in reply
    assert "Are you safe right now?" in reply
    time.sleep(QUIET_SECONDS)
    assert len(pages_about(phone.twilio, PRIMARY_ON_CALL, phone.code)) == 1


def test_a_crisis_split_over_three_texts_gets_the_follow_up_not_a_fallback(phone: Phone) -> None:
    """The intake escalates on the texts joined; the conversation follows that decision.

    The crisis reply comes with the text the detector first reads as risk joined to
    the texts before it ("thinking about ending" after "hi", "it" or "tonight": the
    model's reading of such fragments sits near its thresholds); whichever it is, the
    follow-up comes, not a fallback.
    """
    assert "DIARY" in phone.reply_to("hi")
    before = len(phone.sent_bodies())
    phone.reply_to("thinking about ending")
    phone.reply_to("it")
    phone.reply_to("tonight")
    after = poll_until(
        lambda: "\n".join(phone.sent_bodies()[before:]),
        lambda sent: "Are you safe right now?" in sent and "alerted a person" in sent,
    )
    assert after.count("988") >= 1 and "alerted a person" in after
    assert "Are you safe right now?" in after
    assert "didn't catch that" not in after and "didn't quite get that" not in after


def test_passive_ideation_gets_the_check_in_once_even_while_the_action_server_hangs(
    phone: Phone,
) -> None:
    assert "DIARY" in phone.reply_to("hi")
    before = len(phone.sent_bodies())
    with stopped(_action_server_pid(int(phone.server.env["WISEMIND_ACTION_PORT"]))):
        assert phone.text("honestly everyone would be better off without me")[0] == 200
        check_in = poll_until(lambda: phone.sent_bodies()[before:], bool)
        assert check_in and "thoughts of suicide" in check_in[0]
    # The action server is back and the conversation catches up without asking again.
    reply = reply_until(phone, "yes", "Are you safe right now?")
    assert reply.count("988") == 1 and "alerted a person" in reply
    assert "\n".join(phone.sent_bodies()[before:]).count("thoughts of suicide") == 1


def _action_server_pid(action_port: int) -> int:
    """The action server of a background ``wisemind run`` (by its command line)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"bot.action_server" in command and str(action_port).encode() in command:
            return int(entry.name)
    raise LookupError(f"no action server on port {action_port}")


@contextmanager
def stopped(pid: int) -> Iterator[None]:
    """The process frozen (SIGSTOP: alive, answering nothing), then let go again."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def test_with_the_action_server_stopped_a_risky_diary_answer_and_a_check_in_yes_still_page(
    trained_model: Path,
    tmp_path: Path,
    providers: tuple[TwilioStandin, TelegramStandin],
) -> None:
    twilio, telegram = providers
    with clinic_wisemind(tmp_path, twilio, telegram) as running:
        server = RunningWiseMind.of(running)
        diary, check_in = enrolled_phone(server, twilio), enrolled_phone(server, twilio)
        assert "Urge to commit suicide" in diary.reply_to("diary")
        assert "thoughts of suicide" in check_in.reply_to("i feel so hopeless about everything")
        with stopped(_action_server_pid(int(running.action_url.rsplit(":", 1)[1]))):
            for phone, answer in ((diary, "5"), (check_in, "yes")):
                before = len(phone.sent_bodies())
                assert phone.text(answer)[0] == 200
                wait_for_pages(twilio, PRIMARY_ON_CALL, phone.code)
                crisis_reply = " ".join(sms.body for sms in phone.replies(before + 1)[before:])
                assert "988" in crisis_reply, answer
        server.engine.dispose()


def test_a_yes_to_are_you_having_thoughts_of_suicide_an_hour_later_pages_the_on_call_therapist(
    phone: Phone,
) -> None:
    """At 22:00 a client texts "honestly everyone would be better off without me" and is
    asked "are you having thoughts of suicide?". She puts the phone down and answers "yes"
    at 23:05. Rasa has started a new session meanwhile (domain/core.yml); the core's
    question still waits, so the "yes" pages and she gets the crisis numbers, and the new
    session reads the "yes" as the check-in's answer: she is asked whether she is safe
    right now, not shown the menu. The hour is
    staged by moving the conversation's stored times back (Rasa's events, the message log,
    the core's pending question): what Rasa and the core read."""
    hour_and_a_bit = 65 * 60
    assert "DIARY" in phone.reply_to("hi")
    reply_until(phone, "honestly everyone would be better off without me", "thoughts of suicide")
    # Everything of that exchange is sent and stored before the clock is staged back: a bot
    # message stored after it would count as written after the hour, superseding the question.
    settle(phone.sent_bodies)
    with session_scope(phone.server.engine) as session:
        session.execute(
            # Rasa rebuilds each event from its JSON ``data`` (which has its own timestamp).
            sql(
                "UPDATE events SET timestamp = timestamp - :s, data = json_set(data, "
                "'$.timestamp', json_extract(data, '$.timestamp') - :s) WHERE sender_id = :code"
            ),
            {"s": hour_and_a_bit, "code": phone.code},
        )
        client = session.execute(select(Client).where(Client.code == phone.code)).scalar_one()
        back = timedelta(seconds=hour_and_a_bit)
        for pending in session.execute(
            select(PendingSafetyQuestion).where(PendingSafetyQuestion.client_id == client.id)
        ).scalars():
            pending.asked_at -= back
            pending.expires_at -= back
        for message in session.execute(
            select(Message).where(Message.client_id == client.id)
        ).scalars():
            message.created_at -= back
    before = len(phone.sent_bodies())
    assert phone.text("yes")[0] == 200
    # The crisis reply leaves at arrival; the conversation's answer comes once Rasa has run.
    poll_until(
        lambda: "\n".join(phone.sent_bodies()[before:]),
        lambda sent: "Are you safe right now?" in sent or any(w in sent for w in MENU_WORDS),
    )
    settle(phone.sent_bodies)
    replies = "\n".join(phone.sent_bodies()[before:])
    pages = poll_until(lambda: pages_about(phone.twilio, PRIMARY_ON_CALL, phone.code), bool, 20)
    assert pages, f"nobody paged; the client was sent: {replies!r}"
    assert "988" in replies
    # Rasa's new session reads the "yes" as the check-in's answer too: the follow-up, not the menu.
    assert "Are you safe right now?" in replies, replies
    assert not any(words in replies for words in MENU_WORDS), replies
