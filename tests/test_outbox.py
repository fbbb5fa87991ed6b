"""The outbox: stored, then sent, in order, retried when it makes sense."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.outbox import (
    MAX_ATTEMPTS,
    SEND_LEASE,
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
from bot.storage.enums import Channel, Lane, MessageStatus
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


# --- lanes, leases and opt-out ------------------------------------------------------


def _to(session: Session, client: Client | None, channel: str, address: str, body: str,
        lane: str = Lane.NORMAL) -> Message:  # fmt: skip
    client_id = client.id if client is not None else None
    return enqueue(
        session, client_id=client_id, channel=channel, address=address, body=body, lane=lane
    )


def _fail(session: Session, message: Message, now: datetime) -> None:
    record_failure(session, message.id, SendError("twilio-500", transient=True), now)


def test_an_sms_in_back_off_does_not_hold_the_clients_telegram_reply(db_session: Session) -> None:
    client = _client(db_session)
    sms = _to(db_session, client, Channel.SMS, "+15550001111", "sms reply")
    now = utcnow()
    claim_due(db_session, now)
    _fail(db_session, sms, now)
    _to(db_session, client, Channel.TELEGRAM, "777001", "telegram reply")
    assert [m.body for m in claim_due(db_session, now)] == ["telegram reply"]


def test_a_crisis_reply_goes_ahead_of_a_failing_message_on_the_same_channel(
    db_session: Session,
) -> None:
    client = _client(db_session)
    stuck = _to(db_session, client, Channel.SMS, "+15550001111", "ordinary reply")
    now = utcnow()
    claim_due(db_session, now)
    _fail(db_session, stuck, now)
    _to(db_session, client, Channel.SMS, "+15550001111", "crisis numbers", Lane.CRISIS)
    _to(db_session, client, Channel.SMS, "+15550001111", "grounding step", Lane.CRISIS)
    assert [m.body for m in claim_due(db_session, now)] == ["crisis numbers"]
    # The parts of a crisis reply keep their order.
    assert claim_due(db_session, now) == []


def test_crisis_messages_are_claimed_before_ordinary_ones(db_session: Session) -> None:
    for number in range(3):
        _to(db_session, _client(db_session, f"OUTBOX1{number}"), Channel.SMS,
            f"+1555000222{number}", f"ordinary {number}")  # fmt: skip
    _to(db_session, None, Channel.SMS, "+15005550011", "page", Lane.CRISIS)
    assert [m.body for m in claim_due(db_session, utcnow(), limit=1)] == ["page"]


def test_a_slow_send_is_not_requeued_while_its_lease_runs(db_session: Session) -> None:
    (message,) = _send(db_session, _client(db_session), "hello")
    now = utcnow()
    claim_due(db_session, now)
    assert message.lease_until == now + SEND_LEASE
    assert claim_due(db_session, now + SEND_LEASE - timedelta(seconds=1)) == []
    assert message.status == MessageStatus.SENDING
    # The sender died: once the lease is over, the running scheduler sends it again.
    assert [m.body for m in claim_due(db_session, now + SEND_LEASE + timedelta(seconds=1))] == [
        "hello"
    ]
    assert message.attempts == 2


def test_nothing_queued_before_stop_is_sent_after_it_except_the_confirmation(
    db_session: Session,
) -> None:
    client = _client(db_session)
    first, second = _send(db_session, client, "reply one", "reply two")
    now = utcnow()
    claim_due(db_session, now)
    _fail(db_session, first, now)
    client.opted_out_at = now + timedelta(seconds=1)
    db_session.flush()
    confirmation = enqueue(
        db_session, client_id=client.id, channel=Channel.SMS, address="+15550001111",
        body="You have opted out.",
    )  # fmt: skip
    confirmation.created_at = now + timedelta(seconds=2)
    db_session.flush()
    later = now + timedelta(hours=1)
    assert [m.body for m in claim_due(db_session, later)] == ["You have opted out."]
    assert first.status == second.status == MessageStatus.UNDELIVERABLE
    assert first.error == "opted-out"


def test_an_sms_stop_does_not_drop_the_clients_telegram_crisis_reply(db_session: Session) -> None:
    """STOP is an SMS carrier rule; a client on both channels still gets their Telegram reply."""
    client = _client(db_session)
    now = utcnow()
    enqueue(db_session, client_id=client.id, channel=Channel.TELEGRAM, address="777000",
            body="Please call or text 988 now.", lane=Lane.CRISIS)  # fmt: skip
    client.opted_out_at = now + timedelta(seconds=1)  # STOP by SMS a second later
    db_session.flush()
    due = [(m.channel, m.body) for m in claim_due(db_session, now + timedelta(seconds=2))]
    assert due == [(Channel.TELEGRAM, "Please call or text 988 now.")]
