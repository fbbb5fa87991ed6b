"""Rasa's conversations are stored in WiseMind's own database, on each backend."""

from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import inspect

from bot.storage import create_engine_for
from bot.storage.migrate import upgrade
from bot.tracker_store import WiseMindTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
slots:
  client_first_name:
    type: text
    mappings: [{type: custom}]
"""
)


async def test_a_conversation_is_saved_and_read_back_from_the_wisemind_database(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    upgrade(database_url)
    store = WiseMindTrackerStore(domain=DOMAIN)
    tracker = DialogueStateTracker.from_events(
        "DEMO0001",
        [
            UserUttered("hi", {"name": "greet", "confidence": 1.0}),
            SlotSet("client_first_name", "Demo"),
        ],
        slots=DOMAIN.slots,
    )
    await store.save(tracker)

    restored = await store.retrieve("DEMO0001")
    assert restored is not None
    assert restored.get_slot("client_first_name") == "Demo"
    assert restored.latest_message is not None
    assert restored.latest_message.text == "hi"
    tables = set(inspect(create_engine_for(database_url)).get_table_names())
    assert {"events", "clients", "messages"} <= tables


async def test_the_tracker_store_ignores_the_url_in_endpoints_and_uses_the_setting(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISEMIND_DATABASE_URL", sqlite_url)
    store = WiseMindTrackerStore(domain=DOMAIN, host="sqlite:////nonexistent/elsewhere.db")
    assert str(store.engine.url) == sqlite_url
