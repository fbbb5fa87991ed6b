"""Review 3: Telegram while the Rasa server is down or restarting.

The dashboard's process (``create_app``, the process that serves Twilio's Fallback URL and
does not depend on Rasa), on real SQLite and PostgreSQL, with the real detector and intake.
Fails today because of the hole its docstring describes.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from bot.dashboard.app import create_app
from bot.settings import Settings, TelegramSettings
from bot.storage import session_scope
from bot.storage.models import Escalation
from channels.telegram import SECRET_HEADER
from tests.standins import text_update
from tests.test_intake import (  # noqa: F401  (fixtures)
    CRISIS,
    DEMO_CHAT,
    engine,
    queued_to,
    settings,
)

SECRET = "s" * 32


def test_a_telegram_crisis_message_is_taken_in_while_no_rasa_server_runs(
    engine: Engine,  # noqa: F811
    settings: Settings,  # noqa: F811
) -> None:
    """What a clinic would see: the Rasa server restarts (a crash, a deploy, the
    supervisor's back-off; loading the model takes minutes on the clinic's machine). An SMS
    sent meanwhile is taken in at Twilio's Fallback URL on the dashboard's process: the
    crisis reply and the page go out at once. A Telegram message has no such route: its
    webhook lives only on the Rasa server, so Telegram's delivery fails and is retried at
    Telegram's own growing intervals. "i want to kill myself tonight" sent on Telegram
    during a restart gets its crisis reply, and the on-call therapist their page, only
    after the model has loaded and Telegram has tried again: minutes, not 2 s. Screening
    "never depends on Rasa ... being up" (SPEC §6) holds for SMS only."""
    settings = dataclasses.replace(
        settings, telegram=TelegramSettings("123456:" + "A" * 35, SECRET), dashboard_secret="d" * 40
    )
    app = create_app(settings, engine)
    with TestClient(app) as http:
        answer = http.post(
            "/webhooks/telegram/webhook",
            json=text_update(9001, int(DEMO_CHAT), CRISIS),
            headers={SECRET_HEADER: SECRET},
        )
    assert answer.status_code == 200, answer.status_code
    with session_scope(engine) as session:
        assert session.execute(select(Escalation.level)).scalars().all() != []
    assert any("988" in text for text in queued_to(engine, DEMO_CHAT))
