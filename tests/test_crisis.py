"""Crisis messages by SMS, in every conversation state, through the real servers.

The on-call rota is the demo clinic's (primary +15005550001, backup
+15005550003); the clinic's crisis line is +15005550009; pages time out after
a few seconds here (``PAGE_ACK_TIMEOUT_SECONDS`` in ``tests/servers.py``).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.storage import session_scope
from bot.storage.models import Escalation
from tests.servers import (
    BACKUP_ON_CALL,
    CLINIC_CRISIS_LINE,
    PAGE_ACK_TIMEOUT_SECONDS,
    PRIMARY_ON_CALL,
    QUIET_SECONDS,
    REPLY_TIMEOUT,
    Phone,
    RunningWiseMind,
    enrolled_phone,
    poll_until,
)
from tests.standins import SentSms, TelegramStandin, TwilioStandin

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "crisis_dev.jsonl"
BENIGN_HARD_CASES = [
    "this homework is killing me lol",
    "I'm not suicidal, just tired",
    "my feet are killing me after work",
    "2 years clean from cutting today!",
    "urge to self harm 0",
    "writing an essay on suicide prevention",
]


def _dev_set(expect: str) -> list[str]:
    if not DEV_SET.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the shared crisis dev set is missing: {DEV_SET}")
        pytest.skip(f"the shared crisis dev set is not here: {DEV_SET}")
    rows = [json.loads(line) for line in DEV_SET.read_text().splitlines() if line.strip()]
    return [row["text"] for row in rows if row["expect"] == expect]


def pages_about(twilio: TwilioStandin, number: str, client_code: str) -> list[SentSms]:
    return [sms for sms in twilio.messages_to(number) if client_code in sms.body]


def wait_for_pages(
    twilio: TwilioStandin, number: str, client_code: str, timeout: float = REPLY_TIMEOUT
) -> list[SentSms]:
    pages = poll_until(lambda: pages_about(twilio, number, client_code), bool, timeout)
    assert pages, f"no page about {client_code} reached {number}"
    return pages


@pytest.fixture
def phone(wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]) -> Phone:
    return enrolled_phone(wisemind, providers[0], name="Avery Risk")


def test_every_escalate_message_of_the_dev_set_mid_diary_gets_help_and_one_page(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    twilio = providers[0]
    for text in _dev_set("escalate"):
        phone = enrolled_phone(wisemind, twilio, name="Avery Risk")
        phone.reply_to("diary")
        phone.reply_to("1")
        reply = phone.reply_to(text)
        assert "988" in reply and "911" in reply, text
        assert "alerted a person" in reply or "Avisé a una persona" in reply, text
        (page,) = wait_for_pages(twilio, PRIMARY_ON_CALL, phone.code)
        words = {w.strip(".,!?").lower() for w in text.split() if len(w) > 3}
        assert not words & {w.lower() for w in page.body.split()}, (text, page.body)
    time.sleep(QUIET_SECONDS)
    for text in _dev_set("escalate")[:3]:
        assert text not in " ".join(sms.body for sms in twilio.messages_to(PRIMARY_ON_CALL))


def test_a_moderate_message_gets_a_direct_check_in_and_yes_escalates(phone: Phone) -> None:
    check_in = phone.reply_to("honestly everyone would be better off without me")
    assert "thoughts of suicide" in check_in
    assert pages_about(phone.twilio, PRIMARY_ON_CALL, phone.code) == []
    reply = phone.reply_to("yes")
    assert "988" in reply and "alerted a person" in reply
    wait_for_pages(phone.twilio, PRIMARY_ON_CALL, phone.code)


def test_no_to_the_check_in_offers_a_skill_and_keeps_the_flag(phone: Phone) -> None:
    phone.reply_to("i feel so hopeless about everything")
    assert "TIPP" in phone.reply_to("no")
    time.sleep(QUIET_SECONDS)
    assert pages_about(phone.twilio, PRIMARY_ON_CALL, phone.code) == []
    with session_scope(phone.server.engine) as session:
        flags = (
            session.execute(
                select(Escalation.level)
                .join(Escalation.client)
                .where(Escalation.client.has(code=phone.code))
            )
            .scalars()
            .all()
        )
    assert flags == ["moderate"]


def test_a_diary_urge_of_five_stops_the_card_and_pages(phone: Phone) -> None:
    phone.reply_to("diary")
    reply = phone.reply_to("5")
    assert "saved your card so far" in reply
    assert "988" in reply
    wait_for_pages(phone.twilio, PRIMARY_ON_CALL, phone.code)


def test_ack_from_the_on_call_therapist_stops_re_escalation(phone: Phone) -> None:
    phone.reply_to("I'm going to kill myself tonight")
    (page,) = wait_for_pages(phone.twilio, PRIMARY_ON_CALL, phone.code)
    ack_code = page.body.split("Reply ACK ")[1].split()[0]
    therapist = Phone(phone.server, phone.twilio, PRIMARY_ON_CALL)
    assert "Acknowledged" in therapist.reply_to(f"ACK {ack_code}")
    time.sleep(PAGE_ACK_TIMEOUT_SECONDS + 3)
    assert pages_about(phone.twilio, BACKUP_ON_CALL, phone.code) == []


def test_no_ack_pages_the_backup_then_the_crisis_line(phone: Phone) -> None:
    phone.reply_to("i took all my pills")
    wait_for_pages(phone.twilio, PRIMARY_ON_CALL, phone.code)
    wait_for_pages(phone.twilio, BACKUP_ON_CALL, phone.code, timeout=PAGE_ACK_TIMEOUT_SECONDS + 10)
    wait_for_pages(
        phone.twilio, CLINIC_CRISIS_LINE, phone.code, timeout=2 * PAGE_ACK_TIMEOUT_SECONDS + 10
    )


def test_a_page_that_fails_to_send_goes_to_the_backup_at_once(phone: Phone) -> None:
    phone.twilio.fail_to(PRIMARY_ON_CALL, status=400, code=30006)
    phone.reply_to("i have a knife and i'm going to use it on myself")
    wait_for_pages(phone.twilio, BACKUP_ON_CALL, phone.code, timeout=PAGE_ACK_TIMEOUT_SECONDS - 1)


def test_benign_hard_cases_cause_no_page(phone: Phone) -> None:
    for text in BENIGN_HARD_CASES:
        reply = phone.reply_to(text)
        assert "alerted a person" not in reply and "thoughts of suicide" not in reply, text
    time.sleep(QUIET_SECONDS)
    assert pages_about(phone.twilio, PRIMARY_ON_CALL, phone.code) == []


def test_a_spanish_crisis_message_gets_a_spanish_reply(phone: Phone) -> None:
    reply = phone.reply_to("ya no aguanto más, me quiero morir")
    assert "Llama o envía un mensaje" in reply
    wait_for_pages(phone.twilio, PRIMARY_ON_CALL, phone.code)


def test_a_crisis_message_before_consent_gets_help_and_a_page(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    phone = enrolled_phone(wisemind, providers[0], consented=False, name="Avery Risk")
    reply = phone.reply_to("i want to end my life")
    assert "988" in reply and "alerted a person" in reply
    wait_for_pages(phone.twilio, PRIMARY_ON_CALL, phone.code)
    # Consent is only taken once they have read what WiseMind is.
    assert "NOT an emergency service" in phone.reply_to("ok")
    assert "You're all set" in phone.reply_to("yes")


def test_stop_right_after_a_crisis_message_still_shows_crisis_resources(phone: Phone) -> None:
    phone.reply_to("i want to kill myself")
    confirmation = phone.reply_to("STOP")
    assert "unsubscribed" in confirmation and "988" in confirmation


def test_no_client_words_reach_the_server_logs(phone: Phone) -> None:
    secret_words = "my-secret-plan-words-zqx I want to kill myself with the rope tonight"
    phone.reply_to(secret_words)
    wait_for_pages(phone.twilio, PRIMARY_ON_CALL, phone.code)
    time.sleep(QUIET_SECONDS)
    log = phone.server.log_path.read_text(errors="replace")
    assert "zqx" not in log
    assert "rope" not in log
