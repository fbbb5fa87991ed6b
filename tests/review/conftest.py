"""Fixtures for the review's reproductions: the demo clinic as a real one, SMS configured.

The same set-up as ``tests/test_intake.py``: a real database on each backend,
the real detector, the real intake pipeline and escalation code.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.demo import seed_demo
from bot.intake import FloodControl, InboundMessage
from bot.settings import Settings, TelegramSettings, TwilioSettings, load_settings
from bot.storage import session_scope
from bot.storage.models import Client, Escalation, Message, Page, Therapist
from tests.conftest import demo_staff_as_real_rota

DEMO_PHONE = "+15005550006"
DEMO_CHAT = "777000"
PRIMARY_PHONE = "+15005550001"
BACKUP_PHONE = "+15005550003"
CRISIS = "i want to kill myself tonight"


@pytest.fixture
def engine(migrated_engine: Engine, tmp_path: Path) -> Engine:
    """The demo clinic (client DEMO0001 at +15005550006 / chat 777000) as a real rota."""
    with session_scope(migrated_engine) as session:
        seed_demo(session, credentials_file=tmp_path / "credentials.txt")
        demo_staff_as_real_rota(session)
    return migrated_engine


@pytest.fixture
def settings() -> Settings:
    """SMS and Telegram configured, so pages can leave and the client may be told so."""
    return dataclasses.replace(
        load_settings(),
        twilio=TwilioSettings("AC" + "0" * 32, "token", "+15005550000"),
        telegram=TelegramSettings("123456:ABC", "secret"),
        clinic_timezone="America/New_York",
        dashboard_url="https://dashboard.clinic.test",
    )


@pytest.fixture
def unlimited() -> FloodControl:
    return FloodControl(burst=1000)


def sms(body: str, sid: int = 1, sender: str = DEMO_PHONE) -> InboundMessage:
    return InboundMessage("sms", sender, body, provider_id=f"SM{sid:032d}")


def queued_to(engine: Engine, address: str) -> list[str]:
    """Every outbound message to ``address``, oldest first."""
    with session_scope(engine) as session:
        return list(
            session.execute(
                select(Message.body)
                .where(Message.direction == "outbound", Message.address == address)
                .order_by(Message.id)
            ).scalars()
        )


def pages_to(engine: Engine, address: str) -> list[Page]:
    with session_scope(engine) as session:
        pages = list(session.execute(select(Page).where(Page.address == address)).scalars())
        session.expunge_all()
        return pages


def demo_client(session: Session) -> Client:
    return session.execute(select(Client).where(Client.code == "DEMO0001")).scalar_one()


def therapist(session: Session, email: str) -> Therapist:
    return session.execute(select(Therapist).where(Therapist.email == email)).scalar_one()


def the_escalation(session: Session) -> Escalation:
    return session.execute(select(Escalation)).scalar_one()
