"""Session fixtures that run the real WiseMind: ``wisemind run`` on free ports.

Loading a Rasa model takes ~20 s, so the servers start once per test run and
every test gets its own client (a freshly enrolled client code, hence its own
conversation) talking to them over HTTP, exactly as ``wisemind chat`` does.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy.engine import Engine

from bot import crisis_messages
from bot.actions.consent import CONSENT_VERSION
from bot.background import BackgroundWiseMind, StartError, background_wisemind, free_port
from bot.clinic import add_client, add_therapist, record_consent, set_oncall, therapist_by_email
from bot.settings import PROJECT_ROOT
from bot.storage import create_engine_for, session_scope
from bot.storage.migrate import upgrade
from bot.training import ensure_model
from tests.standins import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    DEFAULT_TOKEN,
    SentSms,
    TelegramStandin,
    TwilioStandin,
    inbound_sms_params,
    signed_twilio_webhook,
)

T = TypeVar("T")
#: The test clinic's therapist on call as primary; new clients join their caseload.
CLINIC_THERAPIST = "therapist@clinic.test"
#: How long tests wait for a reply to reach a provider stand-in.
REPLY_TIMEOUT = 30.0
#: No further message may arrive within this long for "exactly one" checks.
QUIET_SECONDS = 2.0


@dataclass
class RunningWiseMind:
    """The servers started by ``wisemind run`` for this test run."""

    rasa_url: str
    api_token: str
    database_url: str
    env: dict[str, str]
    log_path: Path
    engine: Engine
    health_url: str

    @classmethod
    def of(cls, running: BackgroundWiseMind) -> RunningWiseMind:
        return cls(
            rasa_url=running.rasa_url,
            api_token=running.api_token,
            database_url=running.database_url,
            env=running.env,
            log_path=running.log_path,
            engine=create_engine_for(running.database_url),
            health_url=running.health_url,
        )

    def post(self, payload: object, token: str | None = None) -> tuple[int, object]:
        """POST raw JSON to the local channel; return (status, decoded body)."""
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/local/webhook",
            data=data,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.api_token if token is None else token}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")


@dataclass
class ChatClient:
    """One client's conversation with the running bot."""

    server: RunningWiseMind
    code: str

    def say(self, text: str) -> list[str]:
        """Send ``text`` as this client; return the bot's reply texts."""
        status, body = self.server.post({"sender": self.code, "message": text})
        assert status == 200, body
        assert isinstance(body, list)
        return [reply["text"] for reply in body if reply.get("text")]

    def say_joined(self, text: str) -> str:
        """The replies to ``text`` as one string, for assertions on wording."""
        return "\n".join(self.say(text))


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current domain and data (trained once, then cached)."""
    model, _ = ensure_model(PROJECT_ROOT, PROJECT_ROOT / "models")
    return model


TELEGRAM_SECRET = "telegram-webhook-secret-for-tests"
CLINIC_SMS_NUMBER = "+15005550000"
CLINIC_CRISIS_LINE = "+15005550009"
PAGE_ACK_TIMEOUT_SECONDS = 6
#: The test clinic's on-call therapists (:func:`seed_test_clinic`).
PRIMARY_ON_CALL = "+15005550001"
BACKUP_ON_CALL = "+15005550003"
#: Pages link here: with real channels configured, a loopback dashboard link is refused.
DASHBOARD_URL = "https://dashboard.clinic.test"
#: The test clinic's staff: (e-mail, name, role, SMS number, on-call role).
CLINIC_STAFF = (
    ("admin@clinic.test", "Ada Admin", "admin", None, None),
    (CLINIC_THERAPIST, "Dr. Primary", "therapist", PRIMARY_ON_CALL, "primary"),
    ("backup@clinic.test", "Dr. Backup", "therapist", BACKUP_ON_CALL, "backup"),
)


def seed_test_clinic(database_url: str) -> None:
    """A real (not demo) clinic for servers with SMS and Telegram on.

    ``wisemind run`` seeds the demo clinic only on the embedded defaults, and
    demo staff are never paged once a real channel is configured.
    """
    upgrade(database_url)
    engine = create_engine_for(database_url)
    try:
        with session_scope(engine) as session:
            for email, name, role, sms, oncall_role in CLINIC_STAFF:
                if therapist_by_email(session, email) is not None:
                    continue
                add_therapist(session, email=email, name=name, role=role, sms_number=sms)
                if oncall_role is not None:
                    set_oncall(session, therapist_email=email, role=oncall_role)
    finally:
        engine.dispose()


@contextmanager
def clinic_wisemind(
    var_dir: Path,
    twilio_api: TwilioStandin,
    telegram_api: TelegramStandin,
    *,
    rasa_port: int | None = None,
    database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[BackgroundWiseMind]:
    """``wisemind run`` with both channels on the stand-ins and the test clinic on call."""
    rasa_port = rasa_port or free_port()
    database_url = database_url or f"sqlite:///{var_dir / 'wisemind.db'}"
    seed_test_clinic(database_url)
    env = {**provider_env(twilio_api, telegram_api, rasa_port), **(extra_env or {})}
    with background_wisemind(
        var_dir, database_url=database_url, extra_env=env, rasa_port=rasa_port
    ) as running:
        yield running


@pytest.fixture(scope="session")
def twilio_api() -> Iterator[TwilioStandin]:
    """Twilio's Messages API, on this machine."""
    with TwilioStandin() as standin:
        yield standin


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[TelegramStandin]:
    """Telegram's Bot API, on this machine."""
    with TelegramStandin() as standin:
        yield standin


def provider_env(
    twilio_api: TwilioStandin, telegram_api: TelegramStandin, rasa_port: int
) -> dict[str, str]:
    """Settings that point both channels at the stand-ins, with short page timeouts."""
    return {
        "WISEMIND_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
        "WISEMIND_TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
        "WISEMIND_TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "WISEMIND_TWILIO_FROM": CLINIC_SMS_NUMBER,
        "WISEMIND_TWILIO_API_URL": twilio_api.url,
        "WISEMIND_TELEGRAM_TOKEN": DEFAULT_TOKEN,
        "WISEMIND_TELEGRAM_SECRET": TELEGRAM_SECRET,
        "WISEMIND_TELEGRAM_API_URL": telegram_api.url,
        # Short enough for a test to wait out an unacknowledged page.
        "WISEMIND_PAGE_ACK_TIMEOUT_SECONDS": str(PAGE_ACK_TIMEOUT_SECONDS),
        "WISEMIND_CLINIC_CRISIS_LINE": CLINIC_CRISIS_LINE,
        "WISEMIND_DASHBOARD_URL": DASHBOARD_URL,
    }


@pytest.fixture(scope="session")
def wisemind(
    trained_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    twilio_api: TwilioStandin,
    telegram_api: TelegramStandin,
) -> Iterator[RunningWiseMind]:
    """``wisemind run`` on a temporary SQLite database and free ports, both channels on."""
    try:
        with clinic_wisemind(
            tmp_path_factory.mktemp("wisemind-var"),
            twilio_api,
            telegram_api,
            # Reminder tests start (and kill) schedulers of their own on this database.
            extra_env={"WISEMIND_REMINDERS_ENABLED": "false"},
        ) as running:
            server = RunningWiseMind.of(running)
            yield server
            server.engine.dispose()
    except StartError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def providers(
    twilio_api: TwilioStandin, telegram_api: TelegramStandin
) -> Iterator[tuple[TwilioStandin, TelegramStandin]]:
    """Both provider stand-ins, with failures a test scheduled undone after it."""
    yield twilio_api, telegram_api
    twilio_api.reset()
    telegram_api.reset()


def enrol_client(
    server: RunningWiseMind,
    *,
    consented: bool,
    name: str = "Test Client",
    sms_number: str | None = None,
    telegram_chat_id: str | None = None,
) -> str:
    """Register a new client in the running clinic; return their client code."""
    with session_scope(server.engine) as session:
        client, _ = add_client(
            session,
            name=name,
            therapist_email=CLINIC_THERAPIST,
            timezone="America/New_York",
            sms_number=sms_number,
            telegram_chat_id=telegram_chat_id,
        )
        if consented:
            record_consent(session, client, CONSENT_VERSION)
        return client.code


@pytest.fixture
def client(wisemind: RunningWiseMind) -> ChatClient:
    """A newly enrolled, consented client with a conversation of their own."""
    return ChatClient(wisemind, enrol_client(wisemind, consented=True, name="Alex Test"))


@pytest.fixture
def new_client(wisemind: RunningWiseMind) -> ChatClient:
    """A newly enrolled client who has not consented yet (their first contact)."""
    return ChatClient(wisemind, enrol_client(wisemind, consented=False, name="Sam New"))


#: No further reply may arrive within this long for "exactly one reply" checks.


#: A reply is complete once no further part has arrived for this long.
SETTLE_SECONDS = 0.8


@contextmanager
def reminder_scheduler(
    server: RunningWiseMind, log: Path, rasa_port: int | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``wisemind scheduler`` on the running clinic's database, reminders on.

    The session's ``wisemind run`` leaves reminders to such schedulers
    (``WISEMIND_REMINDERS_ENABLED=false`` for its own), so that a test can
    kill one mid-hand-off or point it at a stuck Rasa (``rasa_port``).
    """
    env = {**server.env, "WISEMIND_REMINDERS_ENABLED": "true"}
    if rasa_port is not None:
        env["WISEMIND_RASA_PORT"] = str(rasa_port)
    with scheduler_process(env, log) as process:
        yield process


@contextmanager
def scheduler_process(
    env: dict[str, str], log: Path, command: list[str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``wisemind scheduler`` (or ``python command``) with ``env``, output appended to ``log``;
    stopped afterwards."""
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, *(command or ["-m", "bot.cli", "scheduler"])],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def poll_until(
    fetch: Callable[[], T], done: Callable[[T], bool], timeout: float = REPLY_TIMEOUT
) -> T:
    """Fetch until ``done`` holds or ``timeout`` passes; return the last fetch either way."""
    deadline = time.monotonic() + timeout
    value = fetch()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = fetch()
    return value


def post_webhook(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST as a provider does; the status and body, errors included."""
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def settle(texts: Callable[[], list[str]]) -> None:
    """Wait until ``texts()`` stops growing: a reply may come as several messages.

    A crisis reply is three messages that leave one after another (each waits for
    the one before it to be sent), so on a loaded machine a gap between them can
    outlast the quiet period: once its numbers have arrived, wait for its last
    part, which says whether a person was alerted.
    """
    seen, quiet_since = len(texts()), time.monotonic()
    while time.monotonic() - quiet_since < SETTLE_SECONDS:
        time.sleep(0.1)
        now = len(texts())
        if now != seen:
            seen, quiet_since = now, time.monotonic()
    poll_until(texts, lambda sent: not _crisis_reply_unfinished(sent))


def _crisis_reply_unfinished(texts: list[str]) -> bool:
    """Whether the last crisis reply among ``texts`` still lacks its closing part."""
    started = [i for i, text in enumerate(texts) if text in _CRISIS_GROUNDING]
    if not started:
        return False
    return not any(text.startswith(_CRISIS_CLOSINGS) for text in texts[started[-1] :])


#: The parts of a crisis reply that open and close it (every language).
_CRISIS_GROUNDING = frozenset(crisis_messages.GROUNDING.values())
_CRISIS_CLOSINGS = tuple(crisis_messages.ALERTED.values()) + tuple(
    crisis_messages.NOT_REACHED.values()
)


def new_phone() -> str:
    return "+1555" + "".join(secrets.choice("0123456789") for _ in range(7))


def enrolled_phone(
    server: RunningWiseMind,
    twilio: TwilioStandin,
    *,
    consented: bool = True,
    name: str = "Test Client",
) -> Phone:
    """A new client of the running clinic, texting from a new phone."""
    number = new_phone()
    code = enrol_client(server, consented=consented, name=name, sms_number=number)
    return Phone(server, twilio, number, code)


@dataclass
class Phone:
    """A client's phone, texting the clinic's Twilio number."""

    server: RunningWiseMind
    twilio: TwilioStandin
    number: str
    code: str = ""

    @property
    def webhook_url(self) -> str:
        return f"{self.server.env['WISEMIND_PUBLIC_URL']}/webhooks/twilio_sms/webhook"

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        status, reply = post_webhook(self.webhook_url, body, headers)
        return status, reply.decode()

    def text(self, body: str, **options: object) -> tuple[int, str]:
        """Send ``body`` as Twilio would deliver it to our webhook."""
        params = inbound_sms_params(self.number, CLINIC_SMS_NUMBER, body, **options)  # type: ignore[arg-type]
        return self.post(*signed_twilio_webhook(self.webhook_url, params))

    def replies(self, count: int) -> list[SentSms]:
        """Wait until ``count`` messages have been sent to this phone; return them all."""
        sent = poll_until(lambda: self.twilio.messages_to(self.number), lambda s: len(s) >= count)
        assert len(sent) >= count, (
            f"expected {count} SMS to {self.number}, got {self.sent_bodies()}"
        )
        return sent

    def sent_bodies(self) -> list[str]:
        return [sms.body for sms in self.twilio.messages_to(self.number)]

    def reply_to(self, body: str) -> str:
        """Text ``body`` and return the text of the replies it gets (at least one)."""
        before = len(self.twilio.messages_to(self.number))
        status, _ = self.text(body)
        assert status == 200
        self.replies(before + 1)
        settle(self.sent_bodies)
        return "\n".join(self.sent_bodies()[before:])
