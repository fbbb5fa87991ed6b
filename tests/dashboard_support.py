"""Fixtures for the dashboard tests: a small clinic on a real SQLite database, the app.

The clinic has two therapists with one client each, an admin, and an on-call
rota; SMS is configured against the Twilio stand-in (``twilio_api``), so
pages and take-over messages are real outbox rows that the outbox worker can
send to it. The dashboard is served either through Starlette's TestClient
(fast checks of access, CSRF and headers) or by uvicorn on a free port for
the browser tests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select
from starlette.testclient import TestClient

from bot.background import free_port
from bot.clinic import add_client, add_therapist, record_consent, set_oncall
from bot.dashboard.app import create_app
from bot.escalation import RiskOutcome, record_risk
from bot.intake import FloodControl, InboundMessage, receive
from bot.message_log import record_inbound
from bot.outbox import OutboxWorker
from bot.scheduler import build_senders
from bot.settings import Settings, TwilioSettings, load_settings
from bot.storage import session_scope
from bot.storage.database import create_engine_for
from bot.storage.enums import Channel, OncallRole, Role
from bot.storage.migrate import upgrade
from bot.storage.models import AuditLog, Client, Therapist, utcnow
from tests.standins import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, TwilioStandin

PASSWORD = "correct horse battery staple"
CLINIC_NUMBER = "+15005550000"
ALICE_PHONE = "+15550000101"
BOB_PHONE = "+15550000102"
CLIENT_A_PHONE = "+15550000201"
CLIENT_B_PHONE = "+15550000202"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass
class Clinic:
    """Who is in the test clinic (ids), and how to reach its database."""

    url: str
    engine: Engine
    settings: Settings
    alice: str  # therapist of client_a, primary on call
    bob: str  # therapist of client_b, not on call
    admin: str
    client_a: int
    client_b: int

    def client(self, client_id: int) -> Client:
        with session_scope(self.engine) as session:
            found = session.get(Client, client_id)
            assert found is not None
            return found

    def risky_message(self, client_id: int, text: str) -> RiskOutcome:
        """A high-risk SMS from the client, escalated and paged as the intake pipeline does."""
        with session_scope(self.engine) as session:
            client = session.get(Client, client_id)
            assert client is not None
            phone = client.identities[0].address
            message = record_inbound(
                session, channel=Channel.SMS, address=phone, body=text, client_id=client.id
            )
            assert message is not None
            return record_risk(
                session,
                client,
                level="high",
                categories=["active_ideation"],
                evidence=text,
                now=utcnow(),
                settings=self.settings,
                source_message_id=message.id,
            )

    def client_texts(self, client_id: int, text: str) -> None:
        """An SMS from the client through the intake pipeline (stored, screened, triaged)."""
        with session_scope(self.engine) as session:
            client = session.get(Client, client_id)
            assert client is not None
            phone = client.identities[0].address
        message = InboundMessage(Channel.SMS, phone, text, provider_id=f"SM{uuid4().hex}")
        receive(message, self.settings, engine=self.engine, flood=FloodControl(burst=100))

    def send_outbox(self) -> int:
        """The scheduler's outbox worker until nothing is due: SMS go to the Twilio stand-in."""

        async def drain() -> int:
            # The Twilio client needs a running event loop to be built.
            senders = build_senders(self.settings)
            worker, sent = OutboxWorker(senders), 0
            while batch := await worker.send_due():
                sent += batch
            for sender in senders.values():
                await sender.client.http_client.close()  # type: ignore[attr-defined]
            return sent

        # In a thread of its own: Playwright's sync API keeps an event loop in this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, drain()).result()


@pytest.fixture
def clinic(sqlite_clinic: Clinic) -> Clinic:
    """The test clinic (SQLite). A module that needs both backends overrides this with
    :func:`clinic_on` as a fixture parametrized over ``BACKENDS``."""
    return sqlite_clinic


#: The databases a module's tests run on when it overrides ``clinic`` (see :func:`clinic_on`).
BACKENDS = ("sqlite", "postgresql")


def clinic_on(request: pytest.FixtureRequest) -> Clinic:
    """The clinic on the backend ``request.param`` names."""
    fixture = {"sqlite": "sqlite_clinic", "postgresql": "pg_clinic"}[request.param]
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


@pytest.fixture
def sqlite_clinic(
    tmp_path: Path, twilio_api: TwilioStandin, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Clinic]:
    # The outbox worker and the intake pipeline read the configuration like any process.
    monkeypatch.setenv("WISEMIND_VAR_DIR", str(tmp_path))
    clinic = build_clinic(f"sqlite:///{tmp_path / 'dashboard.db'}", twilio_api, monkeypatch)
    yield clinic
    twilio_api.reset()
    clinic.engine.dispose()


def rows_of(clinic: Clinic, query: Select) -> list[Any]:
    """What ``query`` selects from the clinic's database, detached for assertions."""
    with session_scope(clinic.engine) as session:
        return list(session.execute(query).scalars())


def audit_rows(clinic: Clinic, action: str) -> list[AuditLog]:
    """The audit log's rows for ``action``, oldest first."""
    return rows_of(clinic, select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))


def csrf_of(html: str) -> str:
    match = CSRF_META.search(html)
    assert match, "page has no CSRF meta tag"
    return match.group(1)


class Browser:
    """A TestClient session: log in, then GET and POST with the page's CSRF token."""

    def __init__(self, http: TestClient) -> None:
        self.http = http
        self.csrf = csrf_of(http.get("/login").text)

    def login(self, email: str, password: str = PASSWORD) -> int:
        reply = self.http.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": self.csrf},
            follow_redirects=False,
        )
        if reply.status_code == 303:
            self.csrf = csrf_of(self.http.get("/caseload").text)
        return reply.status_code

    def post(self, path: str, **data: str) -> httpx.Response:
        return self.http.post(path, data={"csrf_token": self.csrf, **data}, follow_redirects=False)


@pytest.fixture
def http(clinic: Clinic) -> Iterator[TestClient]:
    with TestClient(create_app(clinic.settings, clinic.engine)) as client:
        yield client


@pytest.fixture
def browser(http: TestClient) -> Browser:
    return Browser(http)


@pytest.fixture
def http_admin(clinic: Clinic) -> Iterator[Browser]:
    """Another browser on the same dashboard, for a second person at the same time."""
    with TestClient(create_app(clinic.settings, clinic.engine)) as http:
        yield Browser(http)


@pytest.fixture
def browser_at(clinic: Clinic) -> Iterator[Callable[[str], Browser]]:
    """Browsers on other addresses than TestClient's: ``browser_at("203.0.113.7")``."""
    with ExitStack() as stack:

        def open_at(ip: str) -> Browser:
            app = create_app(clinic.settings, clinic.engine)
            return Browser(stack.enter_context(TestClient(app, client=(ip, 50000))))

        yield open_at


@dataclass
class LiveDashboard:
    url: str
    clinic: Clinic


@contextmanager
def serving(settings: Settings, engine: Engine) -> Iterator[Settings]:
    """The dashboard under uvicorn on a free port, in this process (as in production).

    Yields the settings with ``dashboard_url`` pointing at it.
    """
    port = free_port()
    settings = dataclasses.replace(settings, dashboard_url=f"http://127.0.0.1:{port}")
    config = uvicorn.Config(
        create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the dashboard did not start"
    try:
        yield settings
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_dashboard(clinic: Clinic) -> Iterator[LiveDashboard]:
    """The test clinic's dashboard, served (see :func:`serving`)."""
    with serving(clinic.settings, clinic.engine) as settings:
        clinic.settings = settings
        yield LiveDashboard(settings.dashboard_url, clinic)


# --- the clinic on any database, and raw logins -------------------------------------------


def build_clinic(url: str, twilio_api: TwilioStandin, monkeypatch: pytest.MonkeyPatch) -> Clinic:
    """The test clinic on the database at ``url`` (SQLite for :func:`clinic`, PostgreSQL
    for :func:`pg_clinic`: a race between requests is decided by the database)."""
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
