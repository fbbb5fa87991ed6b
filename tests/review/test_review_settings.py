"""Review: settings are read from disk again on the crisis path, long after start-up.

``bot/crisis_contacts.py::crisis_contacts`` and
``bot/safety/followup.py::escalate_risky_answer`` call ``load_settings()``,
which re-reads ``.env`` and ``var/secrets.env`` and re-validates everything.
Start-up validation does not protect the running servers: an operator half
way through editing ``.env`` (a Telegram token pasted, its secret not yet)
makes every crisis reply raise, and the page queued in the same transaction
is rolled back with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.intake import FloodControl, receive
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.models import Escalation
from tests.review.conftest import CRISIS, PRIMARY_PHONE, queued_to, sms


def test_a_half_edited_env_file_does_not_stop_the_page_of_a_running_server(
    engine: Engine,
    settings: Settings,
    unlimited: FloodControl,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WISEMIND_HOME", str(tmp_path))
    monkeypatch.setenv("WISEMIND_VAR_DIR", str(tmp_path / "var"))
    # The servers started fine; now the operator is adding Telegram to .env, one line at a time.
    (tmp_path / ".env").write_text("WISEMIND_TELEGRAM_TOKEN=123456:ABC-new-bot\n")
    decision = receive(sms(CRISIS), settings, engine=engine, flood=unlimited)
    with session_scope(engine) as session:
        escalated = session.execute(select(Escalation.id)).first() is not None
    assert escalated and queued_to(engine, PRIMARY_PHONE), (
        f"no escalation, no page (deferred={decision.deferred}): the crisis reply could not be "
        "built, and the page went down with it"
    )
