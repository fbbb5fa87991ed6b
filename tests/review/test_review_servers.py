"""Review 7b, through the real servers: a check-in answered after an hour of silence.

A real ``wisemind run`` (Rasa, action server, scheduler) on SQLite with the Twilio
stand-in. The hour is staged by moving the conversation's stored times back by 65
minutes (Rasa's events, the message log, the core's pending question): what Rasa
and the core read to decide whether a session expired or a question is still open.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from bot.storage import session_scope
from bot.storage.models import Client, Message, PendingSafetyQuestion
from tests.servers import PRIMARY_ON_CALL, Phone, poll_until, settle
from tests.test_crisis import pages_about
from tests.test_crisis_followup import phone, reply_until  # noqa: F401  (fixture)

HOUR_AND_A_BIT = 65 * 60


def test_a_yes_to_are_you_having_thoughts_of_suicide_an_hour_later_pages_the_on_call_therapist(
    phone: Phone,  # noqa: F811
) -> None:
    """What a clinic would see: at 22:00 a client texts "honestly everyone would be better
    off without me" and is asked "are you having thoughts of suicide?". She puts the phone
    down and answers "yes" at 23:05. The core forgot its question after 60 minutes; Rasa
    started a new session after 60 minutes of silence (domain/core.yml) and its session
    start restores the crisis follow-up but not the check-in form. So "yes" is read as a
    plain "yes" by both: no escalation, no page, no crisis reply, and she gets whatever the
    bot says to a "yes" out of context. Every process is up."""
    assert "DIARY" in phone.reply_to("hi")
    reply_until(phone, "honestly everyone would be better off without me", "thoughts of suicide")
    with session_scope(phone.server.engine) as session:
        session.execute(
            # Rasa rebuilds each event from its JSON ``data`` (which has its own timestamp).
            text(
                "UPDATE events SET timestamp = timestamp - :s, data = json_set(data, "
                "'$.timestamp', json_extract(data, '$.timestamp') - :s) WHERE sender_id = :code"
            ),
            {"s": HOUR_AND_A_BIT, "code": phone.code},
        )
        client = session.execute(select(Client).where(Client.code == phone.code)).scalar_one()
        back = timedelta(seconds=HOUR_AND_A_BIT)
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
    settle(lambda: len(phone.sent_bodies()))
    replies = "\n".join(phone.sent_bodies()[before:])
    pages = poll_until(lambda: pages_about(phone.twilio, PRIMARY_ON_CALL, phone.code), bool, 20)
    assert pages, f"nobody paged; the client was sent: {replies!r}"
    assert "988" in replies
