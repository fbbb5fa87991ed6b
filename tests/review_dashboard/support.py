"""The review's helpers: the dashboard test clinic on PostgreSQL too, and raw logins.

:func:`tests.dashboard_support.clinic` builds the clinic on SQLite; a race
between two requests is decided by the database, so the lock-out race is also
run on PostgreSQL with the same clinic (:func:`pg_clinic`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from bot.clinic import add_client, add_therapist, record_consent, set_oncall
from bot.settings import TwilioSettings, load_settings
from bot.storage import session_scope
from bot.storage.database import create_engine_for
from bot.storage.enums import OncallRole, Role
from bot.storage.migrate import upgrade
from bot.storage.models import Therapist
from tests.dashboard_support import (
    ALICE_PHONE,
    BOB_PHONE,
    CLIENT_A_PHONE,
    CLIENT_B_PHONE,
    CLINIC_NUMBER,
    PASSWORD,
    Clinic,
    csrf_of,
)
from tests.standins import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, TwilioStandin


def build_clinic(url: str, twilio_api: TwilioStandin, monkeypatch: pytest.MonkeyPatch) -> Clinic:
    """The same clinic as :func:`tests.dashboard_support.clinic`, on the database at ``url``."""
    twilio_api.clear()
    monkeypatch.setenv("WISEMIND_DATABASE_URL", url)
    monkeypatch.setenv("WISEMIND_TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
    monkeypatch.setenv("WISEMIND_TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
    monkeypatch.setenv("WISEMIND_TWILIO_FROM", CLINIC_NUMBER)
    monkeypatch.setenv("WISEMIND_TWILIO_API_URL", twilio_api.url)
    monkeypatch.setenv("WISEMIND_PUBLIC_URL", "https://coach.clinic.test")
    upgrade(url)
    engine = create_engine_for(url)
    settings = dataclasses.replace(
        load_settings(),
        dashboard_secret="test-secret-" + "x" * 40,
        twilio=TwilioSettings(
            DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, CLINIC_NUMBER, twilio_api.url
        ),
    )
    with session_scope(engine) as session:
        for email, name, role, phone in (
            ("alice@clinic.test", "Alice Ng", Role.THERAPIST, ALICE_PHONE),
            ("bob@clinic.test", "Bob Ray", Role.THERAPIST, BOB_PHONE),
            ("admin@clinic.test", "Ada Admin", Role.ADMIN, None),
        ):
            add_therapist(
                session, email=email, name=name, role=role, sms_number=phone, password=PASSWORD
            )
        set_oncall(session, therapist_email="alice@clinic.test", role=OncallRole.PRIMARY)
        clients = [
            add_client(
                session,
                name=name,
                therapist_email=email,
                timezone="America/New_York",
                sms_number=phone,
            )[0]
            for name, email, phone in (
                ("Casey Alpha", "alice@clinic.test", CLIENT_A_PHONE),
                ("Drew Beta", "bob@clinic.test", CLIENT_B_PHONE),
            )
        ]
        for client in clients:
            record_consent(session, client, "test")
        ids = clients[0].id, clients[1].id
    return Clinic(
        url, engine, settings, "alice@clinic.test", "bob@clinic.test", "admin@clinic.test", *ids
    )


@pytest.fixture
def pg_clinic(
    postgres_url: str, twilio_api: TwilioStandin, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> Iterator[Clinic]:
    monkeypatch.setenv("WISEMIND_VAR_DIR", str(tmp_path))
    clinic = build_clinic(postgres_url, twilio_api, monkeypatch)
    yield clinic
    twilio_api.reset()
    clinic.engine.dispose()


def therapist_id(clinic: Clinic, email: str) -> int:
    with session_scope(clinic.engine) as session:
        return int(
            session.execute(select(Therapist.id).where(Therapist.email == email)).scalar_one()
        )


def fresh_login_form(base_url: str) -> tuple[httpx.Client, str]:
    """A new browser on the live dashboard: its own cookie, and the login form's CSRF token."""
    http = httpx.Client(base_url=base_url, timeout=60)
    return http, csrf_of(http.get("/login").text)
