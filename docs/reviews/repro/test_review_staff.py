"""Review 7b: therapists and the crisis line answering on the paging number.

Real SQLite and PostgreSQL, the real detector, intake pipeline and escalation;
the demo clinic's staff stand in for a real rota (see ``tests/test_intake.py``).
Each test fails today because of the hole its docstring describes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.intake import FloodControl, receive
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.models import Page, Therapist
from tests.test_intake import (  # noqa: F401  (fixtures)
    ADMIN_PHONE,
    BACKUP_PHONE,
    CRISIS,
    PRIMARY_PHONE,
    _escalation_status,
    engine,
    queued_to,
    settings,
    sms,
    unlimited,
)

CRISIS_LINE = "+15005550099"


def _admin_has_a_phone(engine: Engine) -> None:  # noqa: F811
    with session_scope(engine) as session:
        admin = session.execute(
            select(Therapist).where(Therapist.email == "admin@demo.clinic")
        ).scalar_one()
        admin.sms_number = ADMIN_PHONE


def _tiers_paged(engine: Engine) -> list[str]:  # noqa: F811
    with session_scope(engine) as session:
        return [str(t) for t in session.execute(select(Page.tier).order_by(Page.id)).scalars()]


def test_the_crisis_line_texting_stop_to_the_paging_number_is_made_known(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
    unlimited: FloodControl,  # noqa: F811
) -> None:
    """What a clinic would see: someone at the clinic's crisis line replies STOP to a page
    (or to the 10-minute repeats). Twilio blocks every later SMS to that number, so the last
    tier of every chain fails silently from then on. A therapist's STOP is recorded, skipped
    and told to the admins (review 7 #13); the crisis line's STOP gets "Reply ACK <code> to
    acknowledge an alert", nothing is recorded, no admin is told, and `oncall check` shows
    no gap."""
    import dataclasses

    _admin_has_a_phone(engine)
    settings = dataclasses.replace(settings, clinic_crisis_line=CRISIS_LINE)
    receive(sms("STOP", 1, sender=CRISIS_LINE), settings, engine=engine, flood=unlimited)
    assert "ACK <code>" not in queued_to(engine, CRISIS_LINE)[-1]
    assert any("STOP" in text for text in queued_to(engine, ADMIN_PHONE)), queued_to(
        engine, ADMIN_PHONE
    )
