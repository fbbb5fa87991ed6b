"""Session fixtures that run the real WiseMind: ``wisemind run`` on free ports.

Loading a Rasa model takes ~20 s, so the servers start once per test run and
every test gets its own client (a freshly enrolled client code, hence its own
conversation) talking to them over HTTP, exactly as ``wisemind chat`` does.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.actions.consent import CONSENT_VERSION
from bot.clinic import add_client, record_consent
from bot.settings import PROJECT_ROOT
from bot.storage import create_engine_for, session_scope
from bot.training import ensure_model

SERVER_START_TIMEOUT = 300
DEMO_THERAPIST = "therapist@demo.clinic"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningWiseMind:
    """The servers started by ``wisemind run`` for this test run."""

    rasa_url: str
    api_token: str
    database_url: str
    env: dict[str, str]
    log_path: Path
    engine: Engine

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


@pytest.fixture(scope="session")
def wisemind(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningWiseMind]:
    """``wisemind run`` on a temporary SQLite database and free ports."""
    var_dir = tmp_path_factory.mktemp("wisemind-var")
    rasa_port, action_port = free_port(), free_port()
    database_url = f"sqlite:///{var_dir / 'wisemind.db'}"
    env = {
        **os.environ,
        "WISEMIND_VAR_DIR": str(var_dir),
        "WISEMIND_DATABASE_URL": database_url,
        "WISEMIND_API_TOKEN": secrets.token_urlsafe(24),
        "WISEMIND_RASA_PORT": str(rasa_port),
        "WISEMIND_ACTION_PORT": str(action_port),
        "RASA_TELEMETRY_ENABLED": "false",
    }
    log_path = var_dir / "wisemind-run.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = RunningWiseMind(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        api_token=env["WISEMIND_API_TOKEN"],
        database_url=database_url,
        env=env,
        log_path=log_path,
        engine=create_engine_for(database_url),
    )
    try:
        _wait_until_running(process, log_path, action_port, rasa_port)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        server.engine.dispose()


def _wait_until_running(
    process: subprocess.Popen[bytes], log_path: Path, action_port: int, rasa_port: int
) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    urls = [
        f"http://127.0.0.1:{action_port}/health",
        f"http://127.0.0.1:{rasa_port}/webhooks/local/",
    ]
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"wisemind run exited early:\n{log_path.read_text()[-4000:]}")
        if all(_answers(url) for url in urls):
            return
        time.sleep(1)
    pytest.fail(f"wisemind run did not start in time:\n{log_path.read_text()[-4000:]}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def enrol_client(server: RunningWiseMind, *, consented: bool, name: str = "Test Client") -> str:
    """Register a new client in the running clinic; return their client code."""
    with session_scope(server.engine) as session:
        client, _ = add_client(
            session, name=name, therapist_email=DEMO_THERAPIST, timezone="America/New_York"
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
