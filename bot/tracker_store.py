"""Rasa's SQL tracker store, on WiseMind's own database.

Configured in ``endpoints.yml``. It takes its URL from ``WISEMIND_DATABASE_URL``
(the same setting every WiseMind process reads) so conversations and clinic
data live in one database, and on SQLite it applies the same WAL mode and busy
timeout as :mod:`bot.storage.database`, so the Rasa server and the action
server can write to one file at once.
"""

from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy import event

from bot.settings import load_settings
from bot.storage.database import SQLITE_BUSY_TIMEOUT_MS


class WiseMindTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose URL and SQLite tuning come from WiseMind's settings."""

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("host", None)
        super().__init__(
            domain=domain,
            host=load_settings().database_url,
            event_broker=event_broker,
            **kwargs,
        )
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _wait_for_sqlite_lock)


def _wait_for_sqlite_lock(dbapi_connection: Any, _record: Any) -> None:
    """WAL and a busy timeout, leaving Rasa's own transaction handling alone."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()
