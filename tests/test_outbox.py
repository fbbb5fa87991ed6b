"""The outbox: stored, then sent, in order, retried when it makes sense."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.outbox import (
    MAX_ATTEMPTS,
    Button,
    SendError,
    chosen_payload,
    claim_due,
    enqueue,
    latest_choices,
    record_failure,
    record_sent,
    requeue_stale,
)
from bot.storage.enums import Channel, MessageStatus
from bot.storage.models import Client, Message, Therapist, utcnow


def _client(session: Session, code: str = "OUTBOX01") -> Client:
    therapist = Therapist(email=f"{code.lower()}@x.org", name="T", role="therapist",
                          password_hash="x", page_channel="sms")  # fmt: skip
    session.add(therapist)
    session.flush()
    client = Client(code=code, name="C", therapist_id=therapist.id, timezone="UTC")
    session.add(client)
    session.flush()
    return client


def _send(session: Session, client: Client, *bodies: str) -> list[Message]:
    return [
        enqueue(session, client_id=client.id, channel=Channel.SMS, address="+15550001111", body=b)
        for b in bodies
    ]


def test_a_conversations_messages_are_claimed_one_at_a_time_in_order(db_session: Session) -> None:
    client = _client(db_session)
    first, second = _send(db_session, client, "first", "second")
    now = utcnow()
    assert [m.body for m in claim_due(db_session, now)] == ["first"]
    assert claim_due(db_session, now) == []
    record_sent(db_session, first.id, "SM1")
    assert [m.body for m in claim_due(db_session, now)] == ["second"]
    assert second.attempts == 1


def test_different_conversations_are_sent_side_by_side(db_session: Session) -> None:
    _send(db_session, _client(db_session, "OUTBOX01"), "to one")
    _send(db_session, _client(db_session, "OUTBOX02"), "to two")
    assert sorted(m.body for m in claim_due(db_session, utcnow())) == ["to one", "to two"]


def test_a_transient_failure_is_retried_later_and_holds_back_the_next_message(
    db_session: Session,
) -> None:
    client = _client(db_session)
    first, _ = _send(db_session, client, "first", "second")
    now = utcnow()
    claim_due(db_session, now)
    failed = record_failure(db_session, first.id, SendError("twilio-500", transient=True), now)
    assert failed.status == MessageStatus.FAILED
    assert failed.next_attempt_at is not None and failed.next_attempt_at > now
    assert claim_due(db_session, now) == []
    later = now + timedelta(minutes=10)
    assert [m.body for m in claim_due(db_session, later)] == ["first"]


def test_provider_retry_after_is_respected(db_session: Session) -> None:
    (message,) = _send(db_session, _client(db_session), "hello")
    now = utcnow()
    claim_due(db_session, now)
    error = SendError("telegram-429", transient=True, retry_after=7)
    stored = record_failure(db_session, message.id, error, now)
    assert stored.next_attempt_at == now + timedelta(seconds=7)


def test_a_permanent_failure_is_given_up_and_the_next_message_goes(db_session: Session) -> None:
    client = _client(db_session)
    first, _ = _send(db_session, client, "first", "second")
    now = utcnow()
    claim_due(db_session, now)
    stored = record_failure(db_session, first.id, SendError("twilio-21610", transient=False), now)
    assert stored.status == MessageStatus.UNDELIVERABLE
    assert stored.error == "twilio-21610"
    assert [m.body for m in claim_due(db_session, now)] == ["second"]


def test_retries_stop_after_the_last_attempt(db_session: Session) -> None:
    (message,) = _send(db_session, _client(db_session), "hello")
    now = utcnow()
    for _ in range(MAX_ATTEMPTS):
        assert claim_due(db_session, now + timedelta(days=1))
        record_failure(db_session, message.id, SendError("twilio-500", transient=True), now)
    assert message.status == MessageStatus.UNDELIVERABLE


def test_a_message_interrupted_mid_send_is_sent_again(db_session: Session) -> None:
    (message,) = _send(db_session, _client(db_session), "hello")
    now = utcnow()
    claim_due(db_session, now)
    assert requeue_stale(db_session, now + timedelta(minutes=5)) == 1
    assert [m.body for m in claim_due(db_session, now + timedelta(minutes=5))] == ["hello"]


def test_a_numbered_reply_selects_the_offered_choice(db_session: Session) -> None:
    client = _client(db_session)
    choices = (Button("Yes", "/affirm"), Button("Not now", "/deny"))
    enqueue(db_session, client_id=client.id, channel=Channel.SMS, address="+15550001111",
            body="Ready?", buttons=choices)  # fmt: skip
    offered = latest_choices(db_session, client.id, Channel.SMS)
    assert offered == choices
    assert chosen_payload("2", offered) == "/deny"
    assert chosen_payload("yes", offered) == "/affirm"
    assert chosen_payload("3", offered) is None
    assert chosen_payload("maybe", offered) is None
