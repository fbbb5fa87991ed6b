"""Clients texting by SMS: Twilio's signed webhooks in, Twilio's Messages API out.

The real Rasa server, action server and scheduler run (``wisemind run``);
Twilio is the stand-in in ``tests/standins``, which speaks Twilio's formats.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from bot.clinic import client_by_code, new_enrolment_code
from bot.storage import session_scope
from bot.storage.models import Client, Message
from tests.servers import (
    CLINIC_SMS_NUMBER,
    QUIET_SECONDS,
    REPLY_TIMEOUT,
    Phone,
    RunningWiseMind,
    enrol_client,
    new_phone,
    poll_until,
)
from tests.standins import (
    TelegramStandin,
    TwilioStandin,
    inbound_sms_params,
    signed_twilio_webhook,
)


@pytest.fixture
def phone(wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]) -> Phone:
    """An enrolled, consented client's phone."""
    number = new_phone()
    code = enrol_client(wisemind, consented=True, name="Robin Sms", sms_number=number)
    return Phone(wisemind, providers[0], number, code)


def _stored_inbound(server: RunningWiseMind, message_sid: str) -> int:
    with session_scope(server.engine) as session:
        return int(
            session.execute(
                select(func.count(Message.id)).where(Message.provider_id == message_sid)
            ).scalar_one()
        )


def test_a_signed_sms_gets_its_reply_by_sms(phone: Phone) -> None:
    reply = phone.reply_to("hi")
    assert "DIARY" in reply
    (sms,) = phone.twilio.messages_to(phone.number)
    assert sms.from_ == CLINIC_SMS_NUMBER
    assert sms.status_callback is not None
    assert sms.status_callback.endswith("/webhooks/twilio_sms/status")


def test_a_whole_diary_card_by_sms_is_saved(phone: Phone) -> None:
    assert "Urge to commit suicide" in phone.reply_to("diary")
    for answer in ["0", "1", "0", "no", "no", "2", "1", "1", "0", "3", "5"]:
        phone.reply_to(answer)
    assert "Saved your diary card" in phone.reply_to("skip")


def test_a_forged_signature_is_refused_and_nothing_is_stored(phone: Phone) -> None:
    params = inbound_sms_params(phone.number, CLINIC_SMS_NUMBER, "hi")
    body, headers = signed_twilio_webhook(phone.webhook_url, params, auth_token="not-the-token")
    status, _ = phone.post(body, headers)
    assert status == 403
    unsigned = {k: v for k, v in headers.items() if k != "X-Twilio-Signature"}
    assert phone.post(body, unsigned)[0] == 403
    assert _stored_inbound(phone.server, params["MessageSid"]) == 0
    time.sleep(QUIET_SECONDS)
    assert phone.sent_bodies() == []


def test_a_webhook_twilio_retries_is_answered_once(phone: Phone) -> None:
    params = inbound_sms_params(phone.number, CLINIC_SMS_NUMBER, "hello")
    signed = signed_twilio_webhook(phone.webhook_url, params)
    assert phone.post(*signed)[0] == 200
    assert phone.post(*signed)[0] == 200
    phone.replies(1)
    time.sleep(QUIET_SECONDS)
    assert len(phone.sent_bodies()) == 1
    assert _stored_inbound(phone.server, params["MessageSid"]) == 1


def test_replies_held_up_by_a_twilio_outage_all_arrive_in_order(phone: Phone) -> None:
    phone.twilio.fail_for(3.0, status=500)
    status, _ = phone.text("diary")
    assert status == 200
    sent = phone.replies(2)
    assert "Let's fill in today's diary card" in sent[0].body
    assert "Urge to commit suicide" in sent[1].body

    def outbound() -> list[tuple[str, int]]:
        with session_scope(phone.server.engine) as session:
            client = client_by_code(session, phone.code)
            assert client is not None
            return [
                (status, attempts)
                for status, attempts in session.execute(
                    select(Message.status, Message.attempts).where(
                        Message.client_id == client.id, Message.direction == "outbound"
                    )
                )
            ]

    # The stand-in has the SMS a moment before the scheduler records that it was sent.
    statuses = poll_until(outbound, lambda rows: all(status == "sent" for status, _ in rows))
    assert all(status == "sent" for status, _ in statuses)
    assert max(attempts for _, attempts in statuses) > 1


def test_stop_opts_out_with_one_confirmation_and_start_opts_back_in(phone: Phone) -> None:
    confirmation = phone.reply_to("STOP")
    assert "unsubscribed" in confirmation
    assert "988" in confirmation
    for body in ("hi", "stop"):
        assert phone.text(body)[0] == 200
    time.sleep(QUIET_SECONDS)
    assert len(phone.sent_bodies()) == 1
    with session_scope(phone.server.engine) as session:
        client = client_by_code(session, phone.code)
        assert client is not None and client.opted_out_at is not None
    assert "Welcome back" in phone.reply_to("START")
    assert "DIARY" in phone.reply_to("hi")


@pytest.mark.parametrize("keyword", ["HELP", "info"])
def test_help_and_info_give_the_clinic_and_the_crisis_numbers(phone: Phone, keyword: str) -> None:
    reply = phone.reply_to(keyword)
    assert "WiseMind" in reply
    assert "988" in reply and "911" in reply


def test_an_mms_with_no_text_gets_a_prompt(phone: Phone) -> None:
    status, _ = phone.text("", num_media=1)
    assert status == 200
    assert "didn't receive any text" in phone.replies(1)[0].body


def test_emoji_replies_are_split_to_fit_ucs2_segments(phone: Phone) -> None:
    reply = phone.reply_to("😔😔😔")
    assert reply
    for sms in phone.twilio.messages_to(phone.number):
        assert sms.num_segments <= 3


def test_a_ten_kilobyte_sms_gets_a_reply(phone: Phone) -> None:
    assert phone.reply_to("so much to say today. " * 466)


@pytest.mark.parametrize(
    "params",
    [
        {"Body": "hi", "MessageSid": "SM" + "0" * 32},  # no From
        {"From": "+15550001234", "Body": "hi"},  # no MessageSid
        {"From": "not a phone", "Body": "hi", "MessageSid": "SM" + "1" * 32},
    ],
)
def test_a_malformed_webhook_gets_400_not_500(phone: Phone, params: dict[str, str]) -> None:
    status, _ = phone.post(*signed_twilio_webhook(phone.webhook_url, params))
    assert status == 400


def test_a_json_body_gets_400(phone: Phone) -> None:
    status, _ = phone.post(b'{"From": "+1"}', {"Content-Type": "application/json"})
    assert status == 400


def test_an_unknown_number_gets_a_reply_that_names_no_one_and_nothing_is_stored(
    phone: Phone,
) -> None:
    stranger = Phone(phone.server, phone.twilio, new_phone())
    status, twiml = stranger.text("hey is my therapist there")
    assert status == 200
    assert "<Message>" in twiml
    assert "isn't linked to anyone" in twiml
    assert "Robin" not in twiml
    with session_scope(phone.server.engine) as session:
        stored = session.execute(
            select(func.count(Message.id)).where(Message.address == stranger.number)
        ).scalar_one()
    assert stored == 0


def test_join_with_an_enrolment_code_links_the_phone_and_starts_first_contact(
    wisemind: RunningWiseMind, providers: tuple[TwilioStandin, TelegramStandin]
) -> None:
    code = enrol_client(wisemind, consented=False, name="Jo Joiner")
    with session_scope(wisemind.engine) as session:
        client = client_by_code(session, code)
        assert client is not None
        enrolment = new_enrolment_code(session, client).code
    phone = Phone(wisemind, providers[0], new_phone(), code)
    intro = phone.reply_to(f"join {enrolment.lower()}")
    assert "NOT an emergency service" in intro
    assert "You're all set" in phone.reply_to("YES")
    with session_scope(wisemind.engine) as session:
        client = session.execute(select(Client).where(Client.code == code)).scalar_one()
        assert client.consent_at is not None


def test_a_wrong_join_code_is_refused_without_linking(phone: Phone) -> None:
    stranger = Phone(phone.server, phone.twilio, new_phone())
    status, twiml = stranger.text("JOIN ZZZZZZZZ")
    assert status == 200
    assert "didn't work" in twiml


def test_delivery_status_callbacks_update_the_message_log(phone: Phone) -> None:
    phone.reply_to("hi")
    (sms,) = phone.twilio.messages_to(phone.number)
    assert phone.twilio.send_status_callback(sms.sid, "delivered") == 204
    with session_scope(phone.server.engine) as session:
        status = session.execute(
            select(Message.status).where(Message.provider_id == sms.sid)
        ).scalar_one()
    assert status == "delivered"


def test_a_client_who_blocked_the_number_is_not_retried(phone: Phone) -> None:
    phone.twilio.fail_to(phone.number, status=400, code=21610)
    assert phone.text("hi")[0] == 200
    deadline = time.monotonic() + REPLY_TIMEOUT
    status = None
    while time.monotonic() < deadline and status != "undeliverable":
        with session_scope(phone.server.engine) as session:
            status, error, attempts = session.execute(
                select(Message.status, Message.error, Message.attempts).where(
                    Message.address == phone.number, Message.direction == "outbound"
                )
            ).one_or_none() or (None, None, None)
        time.sleep(0.2)
    assert (status, error, attempts) == ("undeliverable", "twilio-21610", 1)
