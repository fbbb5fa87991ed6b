"""Rasa's SQL tracker store, on WiseMind's own database, with short trackers.

Configured in ``endpoints.yml``. It takes its URL from ``WISEMIND_DATABASE_URL``
(the same setting every WiseMind process reads) so conversations and clinic
data live in one database, and on SQLite it applies the same WAL mode and busy
timeout as :mod:`bot.storage.database`, so the Rasa server and the action
server can write to one file at once. Like WiseMind's own engines, its engine
hides statement parameters: an event row carries the client's words, and a
database error must not put them in the log.

Keeping latency flat: for every message Rasa loads and replays every event of
the current session, and sends them all to the action server, so a client
who texts for an hour without a pause would get slower and slower replies
(measured: p50 200 ms at message 50, 890 ms at message 400). When a session
grows past :data:`COMPACT_AFTER_EVENTS` events between two turns, with no form
in progress, the store starts a new Rasa session carrying every slot over:
exactly what Rasa itself does after a pause (``session_config``). The full
history stays in the database; only what is loaded per message is bounded.
"""

from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.settings import process_settings
from bot.storage.database import SQLITE_BUSY_TIMEOUT_MS

#: A session longer than this (in events, about eight a message) is compacted.
COMPACT_AFTER_EVENTS = 100


class WiseMindTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` on WiseMind's database, compacting long sessions."""

    engine: Engine

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("host", None)
        super().__init__(
            domain=domain,
            host=process_settings().database_url,
            event_broker=event_broker,
            **kwargs,
        )
        # Rasa builds its engine without hide_parameters: replace it with one that hides them.
        url = self.engine.url
        self.engine.dispose()
        self.engine = create_engine(url, hide_parameters=True, **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _wait_for_sqlite_lock)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        if _should_compact(tracker):
            for carried in _new_session_events(tracker):
                tracker.update(carried)
            await super().save(tracker)


def _should_compact(tracker: DialogueStateTracker) -> bool:
    """Only between turns (the bot is listening) and never inside a form."""
    return (
        len(tracker.events) > COMPACT_AFTER_EVENTS
        and tracker.active_loop_name is None
        and tracker.latest_action_name == ACTION_LISTEN_NAME
    )


def _new_session_events(tracker: DialogueStateTracker) -> list[Any]:
    """A session start as Rasa writes one, with every set slot carried over.

    Events are created in order: the store finds a session's events by
    timestamp, from its ``SessionStarted`` on.
    """
    start = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted()]
    slots = [
        SlotSet(name, slot.value)
        for name, slot in tracker.slots.items()
        if slot.value is not None and name != "requested_slot"
    ]
    return [*start, *slots, ActionExecuted(ACTION_LISTEN_NAME)]


def _wait_for_sqlite_lock(dbapi_connection: Any, _record: Any) -> None:
    """WAL and a busy timeout, leaving Rasa's own transaction handling alone."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()
