"""Review: a database error in Rasa's tracker store writes the client's words to the log.

WiseMind's own engines hide statement parameters (``hide_parameters=True``);
Rasa's SQL tracker store builds its own engine, without it. The event row
Rasa writes carries the message text, so any error on that insert (a lock
timeout, a full disk, a constraint) prints the client's words in the
traceback that ``channels/outbox_output.py::hand_to_rasa`` logs.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.storage.migrate import upgrade
from bot.tracker_store import WiseMindTrackerStore

WORDS = "i will hang myself with the rope tonight zqv42"


async def test_a_tracker_store_error_does_not_log_the_clients_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "wisemind.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    monkeypatch.setenv("WISEMIND_DATABASE_URL", url)
    store = WiseMindTrackerStore(domain=Domain.empty())
    with sqlite3.connect(path) as db:  # the database refuses the write (a stand-in for any error)
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN "
                   "SELECT RAISE(ABORT, 'disk full'); END")  # fmt: skip
    tracker = DialogueStateTracker.from_events("K7Q2XMPA", [UserUttered(WORDS)])
    logger = logging.getLogger("channels.outbox_output")
    with caplog.at_level(logging.ERROR):
        try:
            await store.save(tracker)
        except Exception:
            # What hand_to_rasa does with any error while Rasa handles a message.
            logger.exception("processing failed for message %s", 1)
    assert "disk full" in caplog.text  # the error was logged...
    assert "hang myself" not in caplog.text  # ...without the client's words
