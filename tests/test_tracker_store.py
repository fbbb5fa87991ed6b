"""Rasa's conversations are stored in WiseMind's own database, on each backend."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import inspect

from bot.storage import create_engine_for
from bot.storage.migrate import upgrade
from bot.tracker_store import COMPACT_AFTER_EVENTS, WiseMindTrackerStore

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


async def test_a_long_session_is_compacted_between_turns_and_keeps_its_slots(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISEMIND_DATABASE_URL", sqlite_url)
    store = WiseMindTrackerStore(domain=DOMAIN)
    events: list[Any] = [SlotSet("client_first_name", "Demo")]
    for turn in range(COMPACT_AFTER_EVENTS // 2):
        events += [
            UserUttered(f"message {turn}", {"name": "greet", "confidence": 1.0}),
            ActionExecuted(ACTION_LISTEN_NAME),
        ]
    tracker = DialogueStateTracker.from_events("LONG0001", events, slots=DOMAIN.slots)
    await store.save(tracker)

    restored = await store.retrieve("LONG0001")
    assert restored is not None
    assert len(restored.events) < 10
    assert restored.get_slot("client_first_name") == "Demo"
    everything = await store.retrieve_full_tracker("LONG0001")
    assert everything is not None
    assert len(everything.events) > COMPACT_AFTER_EVENTS


async def test_a_session_is_never_compacted_in_the_middle_of_a_form(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISEMIND_DATABASE_URL", sqlite_url)
    store = WiseMindTrackerStore(domain=DOMAIN)
    events: list[Any] = [ActiveLoop("diary_form")]
    for turn in range(COMPACT_AFTER_EVENTS):
        events += [UserUttered(f"{turn}"), ActionExecuted(ACTION_LISTEN_NAME)]
    await store.save(DialogueStateTracker.from_events("FORM0001", events, slots=DOMAIN.slots))
    restored = await store.retrieve("FORM0001")
    assert restored is not None
    assert restored.active_loop_name == "diary_form"
    assert len(restored.events) == len(events)


#: A statement that makes the database refuse every new event, as a full disk would.
REFUSE_EVENTS = {
    "sqlite": [
        "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse()",
    ],
}


async def test_a_database_error_saving_a_conversation_logs_no_client_words(
    database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The event row carries the client's text; the error names the statement only."""
    words = "i will hang myself with the rope tonight zqv42"
    monkeypatch.setenv("WISEMIND_DATABASE_URL", database_url)
    upgrade(database_url)
    store = WiseMindTrackerStore(domain=DOMAIN)
    engine = create_engine_for(database_url)
    with engine.begin() as connection:
        for statement in REFUSE_EVENTS[engine.dialect.name]:
            connection.exec_driver_sql(statement)
    engine.dispose()
    tracker = DialogueStateTracker.from_events("K7Q2XMPA", [UserUttered(words)])
    with caplog.at_level(logging.ERROR):
        try:
            await store.save(tracker)
        except Exception:
            # What channels.outbox_output.hand_to_rasa does with any error in Rasa.
            logging.getLogger("channels.outbox_output").exception("processing failed")
    assert "disk full" in caplog.text
    assert "hang myself" not in caplog.text
