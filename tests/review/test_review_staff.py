"""Review: who counts as staff when a number is shared, and what a therapist's reply does.

Real database, the real intake pipeline and escalation code.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.clinic import add_client
from bot.intake import FloodControl, receive
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.models import Escalation
from tests.review.conftest import (
    CRISIS,
    PRIMARY_PHONE,
    pages_to,
    queued_to,
    sms,
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
