"""Review 3: what the client is told, and what staff are told, when paging goes wrong.

Real SQLite and PostgreSQL, the real detector, intake pipeline, escalation and outbox
records (the provider's refusals are recorded as the outbox records them). Each test fails
today because of the hole its docstring describes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.escalation import advance_pages
from bot.intake import FloodControl, receive
from bot.outbox import SendError, record_failure
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import MessageStatus, PageStatus
from bot.storage.models import Message, Page, utcnow
from tests.test_intake import (  # noqa: F401  (fixtures)
    CRISIS,
    DEMO_PHONE,
    engine,
    queued_to,
    settings,
    sms,
    unlimited,
)


def _providers_refuse_every_page(engine: Engine, settings: Settings) -> None:  # noqa: F811
    """Twilio refuses each page for good as it is sent (a mistyped number: 21211), and
    the scheduler moves the chain on, until it has run out."""
    for _ in range(10):
        with session_scope(engine) as session:
            live = (
                session.execute(
                    select(Page).where(Page.status.in_((PageStatus.PENDING, PageStatus.SENT)))
                )
                .scalars()
                .all()
            )
            for page in live:
                message = session.get(Message, page.message_id)
                if message is not None and message.status == MessageStatus.QUEUED:
                    record_failure(
                        session, page.message_id, SendError("twilio-21211", transient=False),
                        utcnow(),
                    )  # fmt: skip
            advance_pages(session, utcnow(), settings)


def test_a_client_told_a_person_was_alerted_hears_again_when_every_page_was_refused(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: the on-call primary's and the backup's numbers were typed
    wrong in the rota (valid E.164, nobody's phone; `oncall check` cannot tell). A client
    texts "i want to kill myself tonight" and reads at once "I've alerted a person from your
    care team. They will reach out to you." (the page was queued on a configured channel).
    Within a second Twilio refuses both pages for good; the chain runs out, the admins get
    a notice (by SMS, if they have a number), and the next round is in 10 minutes. The
    client is never told that nobody was reached: they wait for a call that is not coming,
    instead of calling 988 now. SPEC: "The client is told a person was alerted only when
    that is true.\""""
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    told = queued_to(engine, DEMO_PHONE)
    assert any("alerted a person" in text for text in told)
    _providers_refuse_every_page(engine, settings)
    with session_scope(engine) as session:
        handed_over = session.execute(
            select(Page.id)
            .join(Message, Message.id == Page.message_id)
            .where(Message.status.in_((MessageStatus.SENT, MessageStatus.DELIVERED)))
        ).all()
    assert handed_over == []  # no page ever reached a provider
    later = queued_to(engine, DEMO_PHONE)[len(told) :]
    assert any("988" in text for text in later), later


def test_the_same_crisis_words_sent_again_after_the_call_reopen_the_escalation(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: 22:00 "i want to kill myself tonight"; the on-call
    therapist acknowledges at 22:01, calls, and hangs up at 22:08 believing the client is
    settled. At 22:09 the client sends the same words again, deliberately (not a phone
    retrying a failed text: a new message, typed again). Anything identical within
    10 minutes of an escalated text counts as a re-send: no crisis reply, no re-opened
    escalation, no page; the therapist who just hung up never hears of it."""
    from datetime import timedelta

    from bot.escalation import acknowledge_escalation
    from bot.storage.models import Escalation, Therapist

    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        primary = session.execute(
            select(Therapist).where(Therapist.email == "therapist@demo.clinic")
        ).scalar_one()
        escalation_id = session.execute(select(Escalation.id)).scalar_one()
        acknowledge_escalation(
            session, escalation_id=escalation_id, therapist=primary, now=utcnow(), via="sms"
        )
        for message in session.execute(select(Message)).scalars():  # nine minutes pass
            message.created_at -= timedelta(minutes=9)
    receive(sms(CRISIS, 2), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        status = session.execute(select(Escalation.status)).scalar_one()
    assert status == "open", status  # re-opened: the therapist is paged again
