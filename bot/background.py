"""Running a whole WiseMind (``wisemind run``) in the background on free ports.

Tests and benchmarks need the real servers, started the way an operator
starts them, on a private database and ports that do not clash with a
developer's own ``make run``. This is that one way of doing it.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.settings import PROJECT_ROOT

START_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 30


class StartError(RuntimeError):
    """``wisemind run`` exited or did not answer in time; carries the log's tail."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class BackgroundWiseMind:
    """Where the background servers are, and the settings they were given."""

    rasa_url: str
    action_url: str
    #: ``GET /health``: every process up and the scheduler's heartbeat fresh.
    health_url: str
    #: Where the dashboard listens (pages may link to a public address in front of it).
    dashboard_url: str
    api_token: str
    database_url: str
    env: dict[str, str]
    log_path: Path
    pid: int


@contextmanager
def background_wisemind(
    var_dir: Path,
    database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    rasa_port: int | None = None,
) -> Iterator[BackgroundWiseMind]:
    """Start ``wisemind run`` with its state in ``var_dir``; stop it on exit.

    ``rasa_port`` may be chosen beforehand (see :func:`free_port`) when the
    environment must name it, e.g. in ``WISEMIND_PUBLIC_URL``.
    """
    rasa_port, action_port = rasa_port or free_port(), free_port()
    health_port, dashboard_port = free_port(), free_port()
    database_url = database_url or f"sqlite:///{var_dir / 'wisemind.db'}"
    env = {
        **os.environ,
        "WISEMIND_VAR_DIR": str(var_dir),
        "WISEMIND_DATABASE_URL": database_url,
        "WISEMIND_API_TOKEN": secrets.token_urlsafe(24),
        "WISEMIND_RASA_PORT": str(rasa_port),
        "WISEMIND_ACTION_PORT": str(action_port),
        "WISEMIND_ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
        "WISEMIND_HEALTH_PORT": str(health_port),
        "WISEMIND_DASHBOARD_PORT": str(dashboard_port),
        "WISEMIND_DASHBOARD_URL": f"http://127.0.0.1:{dashboard_port}",
        "RASA_TELEMETRY_ENABLED": "false",
        **(extra_env or {}),
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
    running = BackgroundWiseMind(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=f"http://127.0.0.1:{action_port}",
        health_url=f"http://127.0.0.1:{health_port}/health",
        dashboard_url=f"http://127.0.0.1:{dashboard_port}",
        api_token=env["WISEMIND_API_TOKEN"],
        database_url=database_url,
        env=env,
        log_path=log_path,
        pid=process.pid,
    )
    try:
        _wait_until_answering(
            process,
            log_path,
            [
                f"{running.action_url}/health",
                f"{running.rasa_url}/webhooks/local/",
                f"{running.dashboard_url}/healthz",
            ],
        )
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(
    process: subprocess.Popen[bytes], log_path: Path, urls: list[str]
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(f"wisemind run exited early:\n{log_path.read_text()[-4000:]}")
        if all(_answers(url) for url in urls):
            return
        time.sleep(1)
    # Not killed here: the caller's SIGTERM lets the supervisor stop its children, which
    # run in process groups of their own and would outlive a killed supervisor.
    raise StartError(f"wisemind run did not start in time:\n{log_path.read_text()[-4000:]}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
