"""What ``wisemind run`` starts, and the set-up it does first.

Set-up is idempotent: migrate the database, seed the demo clinic, make sure
an API token exists, and train the model only if its inputs changed. Then the
Rasa server and the action server start under one :class:`Supervisor`.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from bot.log_config import QUIET_ENV
from bot.settings import Settings
from bot.supervisor import ProcessSpec

SECRETS_FILE = "secrets.env"


def ensure_api_token(settings: Settings) -> str:
    """The Rasa HTTP API token: from the environment, or generated once into var/."""
    return settings.api_token or _generate_secret(settings, "WISEMIND_API_TOKEN")


def ensure_dashboard_secret(settings: Settings) -> str:
    """The key that signs dashboard cookies: from the environment, or generated once into var/."""
    return settings.dashboard_secret or _generate_secret(settings, "WISEMIND_DASHBOARD_SECRET")


def _generate_secret(settings: Settings, name: str) -> str:
    secret = secrets.token_urlsafe(32)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    path = settings.var_dir / SECRETS_FILE
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as file:
        file.write(f"{name}={secret}\n")
    return secret


def process_env(settings: Settings, api_token: str) -> dict[str, str]:
    """The environment every child process shares, so all read the same settings."""
    return {
        "WISEMIND_HOME": str(settings.home),
        "WISEMIND_VAR_DIR": str(settings.var_dir),
        "WISEMIND_DATABASE_URL": settings.database_url,
        "WISEMIND_API_TOKEN": api_token,
        "WISEMIND_ACTION_SERVER_URL": settings.action_server_url,
        "RASA_TELEMETRY_ENABLED": "false",
        # Rasa logs message text at DEBUG: keep child processes at INFO.
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **QUIET_ENV,
    }


def process_specs(settings: Settings, model: Path, api_token: str) -> list[ProcessSpec]:
    """The Rasa server (HTTP API on, token-protected), the action server, the scheduler
    and the dashboard."""
    env = process_env(settings, api_token)
    python = sys.executable
    return [
        ProcessSpec(
            name="actions",
            command=[
                python, "-m", "bot.action_server", "--actions", "bot.actions",
                "--port", str(settings.action_port),
            ],
            ready_url=f"http://127.0.0.1:{settings.action_port}/health",
            # The action server has no authentication: never expose it beyond this host.
            env={**env, "SANIC_HOST": "127.0.0.1"},
        ),
        ProcessSpec(
            name="rasa",
            command=[
                python, "-m", "bot.rasa_server",
                "--model", str(model),
                "--interface", settings.rasa_host, "--port", str(settings.rasa_port),
                "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
            ],
            ready_url=f"{settings.rasa_url}/",
            env=env,
        ),
        ProcessSpec(
            name="scheduler",
            command=[python, "-m", "bot.cli", "scheduler"],
            env=env,
        ),
        ProcessSpec(
            name="dashboard",
            command=[python, "-m", "bot.dashboard"],
            ready_url=f"http://127.0.0.1:{settings.dashboard_port}/healthz",
            env={**env, "WISEMIND_DASHBOARD_SECRET": ensure_dashboard_secret(settings)},
        ),
    ]  # fmt: skip
