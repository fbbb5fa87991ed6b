"""Take-over: a therapist writes to the client; the bot stays silent, the screening does not."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.intake import Decision, FloodControl, InboundMessage, receive
from bot.safety.followup import record_question
from bot.storage import session_scope
from bot.storage.enums import (
    Channel,
    Direction,
    EscalationStatus,
    MessageStatus,
    SafetyQuestion,
    TakeoverEnd,
)
from bot.storage.models import Client, Escalation, Message, Takeover, Therapist, utcnow
from bot.takeover import (
    TakeoverError,
    expire_takeovers,
    hand_back,
    is_taken_over,
    send_as_therapist,
    start_takeover,
)
from tests.dashboard_support import CLIENT_A_PHONE, Clinic
from tests.standins import TwilioStandin

MINUTES = 30


def take_over(clinic: Clinic) -> None:
    with session_scope(clinic.engine) as session:
        start_takeover(
            session,
            client=session.get(Client, clinic.client_a),
            therapist=therapist(session, clinic.alice),
            now=utcnow(),
            minutes=MINUTES,
        )


def text_from_client(clinic: Clinic, body: str) -> Decision:
    """An SMS from client A through the intake pipeline, as the webhook hands it over."""
    message = InboundMessage(Channel.SMS, CLIENT_A_PHONE, body, provider_id=f"SM{uuid4().hex}")
    return receive(message, clinic.settings, engine=clinic.engine, flood=FloodControl(burst=100))


def therapist(session: Session, email: str) -> Therapist:
    return session.execute(select(Therapist).where(Therapist.email == email)).scalar_one()


def sms_to_client(twilio_api: TwilioStandin) -> list[str]:
    return [sms.body for sms in twilio_api.messages_to(CLIENT_A_PHONE)]


def test_the_client_is_told_and_the_therapists_message_reaches_their_phone(
    clinic: Clinic, twilio_api: TwilioStandin
) -> None:
    take_over(clinic)
    with session_scope(clinic.engine) as session:
        sent = send_as_therapist(
            session,
            client=session.get(Client, clinic.client_a),
            therapist=therapist(session, clinic.alice),
            text="Hi Casey, it's Alice. I saw your message. Are you safe right now?",
            now=utcnow(),
            minutes=MINUTES,
        )
        assert sent.from_therapist_id == therapist(session, clinic.alice).id
    clinic.send_outbox()
    bodies = sms_to_client(twilio_api)
    assert len(bodies) == 2
    assert "Alice Ng from your care team is writing to you here now" in bodies[0]
    assert bodies[1] == "Hi Casey, it's Alice. I saw your message. Are you safe right now?"


def test_the_bot_stays_silent_while_the_conversation_is_taken_over(
    clinic: Clinic, twilio_api: TwilioStandin
) -> None:
    take_over(clinic)
    with session_scope(clinic.engine) as session:
        assert is_taken_over(session, clinic.client_a, utcnow())
    decision = text_from_client(clinic, "ok thanks")
    assert decision.hand_off is None and not decision.replies
    with session_scope(clinic.engine) as session:
        stored = session.get(Message, decision.message_id)
        # Stored, and processed: a restart must not hand it to Rasa either.
        assert stored is not None and stored.status == MessageStatus.PROCESSED
    clinic.send_outbox()
    # Nothing from the bot: at most the notice that the therapist is writing.
    assert all("is writing to you here now" in body for body in sms_to_client(twilio_api))


def test_the_crisis_detector_still_screens_a_taken_over_conversation(
    clinic: Clinic, twilio_api: TwilioStandin
) -> None:
    take_over(clinic)
    decision = text_from_client(
        clinic, "i have the pills right here and i'm going to take them all tonight"
    )
    assert decision.hand_off is None
    with session_scope(clinic.engine) as session:
        escalation = session.execute(
            select(Escalation).where(Escalation.client_id == clinic.client_a)
        ).scalar_one()
        assert escalation.status == EscalationStatus.OPEN and escalation.pages
    clinic.send_outbox()
    assert any("988" in body for body in sms_to_client(twilio_api))


def test_a_no_to_the_therapist_is_not_read_as_not_safe_to_the_bots_earlier_question(
    clinic: Clinic, twilio_api: TwilioStandin
) -> None:
    """The bot had asked "are you safe right now?"; the therapist took over and asked their own."""
    with session_scope(clinic.engine) as session:
        client = session.get(Client, clinic.client_a)
        assert client is not None
        record_question(session, client, SafetyQuestion.SAFE_NOW, utcnow())
    take_over(clinic)
    with session_scope(clinic.engine) as session:
        send_as_therapist(
            session,
            client=session.get(Client, clinic.client_a),
            therapist=therapist(session, clinic.alice),
            text="Hi Casey, it's Alice. Did you eat anything today?",
            now=utcnow(),
            minutes=MINUTES,
        )
    decision = text_from_client(clinic, "no")
    assert decision.hand_off is None
    with session_scope(clinic.engine) as session:
        assert session.execute(select(Escalation.id)).first() is None
    clinic.send_outbox()
    bot_said = sms_to_client(twilio_api)[2:]  # after the notice and Alice's question
    assert bot_said == []


def test_handing_back_tells_the_client_and_the_bot_answers_again(
    clinic: Clinic, twilio_api: TwilioStandin
) -> None:
    take_over(clinic)
    with session_scope(clinic.engine) as session:
        hand_back(
            session,
            client=session.get(Client, clinic.client_a),
            therapist=therapist(session, clinic.alice),
            now=utcnow(),
        )
        assert not is_taken_over(session, clinic.client_a, utcnow())
    decision = text_from_client(clinic, "hi")
    assert decision.hand_off is not None
    clinic.send_outbox()
    assert "handed you back to the WiseMind coach" in sms_to_client(twilio_api)[-1]


def test_a_forgotten_take_over_times_out_and_the_client_is_told(
    clinic: Clinic, twilio_api: TwilioStandin
) -> None:
    take_over(clinic)
    later = utcnow() + timedelta(minutes=MINUTES + 1)
    with session_scope(clinic.engine) as session:
        assert not is_taken_over(session, clinic.client_a, later)
        assert expire_takeovers(session, later) == 1
        assert expire_takeovers(session, later) == 0
        ended = session.execute(select(Takeover)).scalar_one()
        assert ended.end_reason == TakeoverEnd.TIMED_OUT
    clinic.send_outbox()
    assert "no longer writing here" in sms_to_client(twilio_api)[-1]


def test_writing_without_taking_over_first_is_refused(clinic: Clinic) -> None:
    with session_scope(clinic.engine) as session, pytest.raises(TakeoverError):
        send_as_therapist(
            session,
            client=session.get(Client, clinic.client_a),
            therapist=therapist(session, clinic.alice),
            text="hello",
            now=utcnow(),
            minutes=MINUTES,
        )


def test_a_client_who_opted_out_is_not_written_to(clinic: Clinic) -> None:
    with session_scope(clinic.engine) as session:
        client = session.get(Client, clinic.client_a)
        client.opted_out_at = utcnow()
        with pytest.raises(TakeoverError, match="opted out"):
            start_takeover(
                session,
                client=client,
                therapist=therapist(session, clinic.alice),
                now=utcnow(),
                minutes=MINUTES,
            )
        assert not session.execute(
            select(Message).where(Message.direction == Direction.OUTBOUND)
        ).first()
