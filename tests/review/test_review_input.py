"""Review: odd input and odd settings that lose a message or leak a secret."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.intake import FloodControl, InboundMessage, receive
from bot.settings import ConfigError, Settings
from bot.storage import session_scope
from bot.storage.models import Escalation
from tests.review.conftest import CRISIS, DEMO_CHAT, sms


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_a_crisis_message_with_a_nul_character_is_stored_screened_and_paged(
    engine: Engine, settings: Settings, unlimited: FloodControl, channel: str
) -> None:
    """A NUL (U+0000) is valid in a Twilio form and in Telegram JSON; PostgreSQL refuses it."""
    text = CRISIS + "\x00"
    if channel == "sms":
        message = sms(text)
    else:
        message = InboundMessage("telegram", DEMO_CHAT, text, provider_id="1:777000:5")
    try:
        decision = receive(message, settings, engine=engine, flood=unlimited)
    except Exception as error:  # Telegram: the webhook answers 500 and Telegram sends it again
        pytest.fail(f"the {channel} message was refused: {type(error).__name__}: {error}")
    with session_scope(engine) as session:
        escalated = session.execute(select(Escalation.id)).first() is not None
    assert escalated, f"nothing stored, nobody paged; the client got {decision.direct_reply!r}"


def test_a_malformed_redis_url_error_does_not_print_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.lock_store import WiseMindLockStore

    monkeypatch.setenv("WISEMIND_REDIS_URL", "redis//:s3cret-pass@redis.internal:6379/1")
    with pytest.raises(ConfigError) as refused:
        WiseMindLockStore()
    assert "s3cret-pass" not in str(refused.value)
