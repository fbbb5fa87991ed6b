"""Review: who counts as staff when a number is shared, and what a therapist's reply does.

Real database, the real intake pipeline and escalation code.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.clinic import add_client
from bot.intake import FloodControl, receive
from bot.safety.followup import record_question
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import SafetyQuestion
from bot.storage.models import Escalation, utcnow
from bot.takeover import send_as_therapist, start_takeover
from tests.review.conftest import (
    CRISIS,
    DEMO_PHONE,
    PRIMARY_PHONE,
    demo_client,
    pages_to,
    queued_to,
    sms,
    therapist,
)


def _page_code(engine: Engine) -> str:
    (page,) = [p for p in queued_to(engine, PRIMARY_PHONE) if "Reply ACK" in p]
    return page.split("Reply ACK ")[1].split()[0]


def test_a_therapist_whose_number_is_also_a_test_clients_can_still_acknowledge(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """The on-call therapist tried the bot as a client with their own phone (nothing refused it)."""
    with session_scope(engine) as session:
        add_client(session, name="Dr Demo (testing)", therapist_email="therapist@demo.clinic",
                   timezone="America/New_York", sms_number=PRIMARY_PHONE)  # fmt: skip
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    code = _page_code(engine)
    receive(sms(f"ACK {code}", 2, sender=PRIMARY_PHONE), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        status = session.execute(select(Escalation.status)).scalar_one()
    assert status == "acknowledged", "the ACK went to the bot as a client message; paging goes on"


def test_a_therapists_ack_with_a_full_stop_or_a_note_still_acknowledges(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    receive(sms(CRISIS, 1), settings, engine=engine, flood=unlimited)
    code = _page_code(engine)
    receive(sms(f"Ack {code}.", 2, sender=PRIMARY_PHONE), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        status = session.execute(select(Escalation.status)).scalar_one()
    assert status == "acknowledged", queued_to(engine, PRIMARY_PHONE)[-1]


def test_a_no_to_the_therapist_during_a_take_over_is_not_read_as_not_safe_to_the_bot(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """The bot asked "are you safe right now?"; a therapist took over, asked another."""
    now = utcnow()
    with session_scope(engine) as session:
        client = demo_client(session)
        record_question(session, client, SafetyQuestion.SAFE_NOW, now)
        clinician = therapist(session, "therapist@demo.clinic")
        start_takeover(session, client=client, therapist=clinician, now=now, minutes=60)
        send_as_therapist(session, client=client, therapist=clinician, now=now, minutes=60,
                          text="Hi, it's Dr. Demo. Did you eat anything today?")  # fmt: skip
    before = len(queued_to(engine, DEMO_PHONE))
    receive(sms("no", 1), settings, engine=engine, flood=unlimited)
    bot_said = queued_to(engine, DEMO_PHONE)[before:]
    with session_scope(engine) as session:
        escalated = session.execute(select(Escalation.categories)).scalars().all()
    assert bot_said == [], f"the bot spoke during the take-over: {bot_said}"
    assert escalated == [], f"the answer to the therapist was escalated as {escalated}"


def test_a_therapist_who_texted_stop_to_the_paging_line_is_not_paged_as_if_reachable(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """Twilio blocks every later SMS to a number that texted STOP (error 21610)."""
    receive(sms("STOP", 1, sender=PRIMARY_PHONE), settings, engine=engine, flood=unlimited)
    answer = queued_to(engine, PRIMARY_PHONE)
    receive(sms(CRISIS, 2), settings, engine=engine, flood=unlimited)
    primary_pages = [p for p in pages_to(engine, PRIMARY_PHONE) if p.tier == "primary"]
    assert primary_pages == [], (
        f"the opted-out primary was paged first (the reply to their STOP was {answer}); "
        "Twilio refuses it and nobody is told they are off the rota"
    )


def test_risky_texts_from_many_unknown_numbers_do_not_page_the_on_call_phone_once_each(
    engine: Engine, settings: Settings, unlimited: FloodControl
) -> None:
    """Per-sender limits only: fifty throwaway numbers (or Telegram accounts) page fifty times."""
    for n in range(50):
        receive(sms(CRISIS, n, sender=f"+1555000{n:04d}"), settings, engine=engine, flood=unlimited)
    alerts = [p for p in queued_to(engine, PRIMARY_PHONE) if "unregistered" in p]
    assert len(alerts) <= 5, f"{len(alerts)} alerts to the on-call phone"
