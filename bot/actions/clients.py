"""Finding the client a conversation belongs to.

Rasa conversation ids are client codes (never phone numbers), so one client
has one history whichever channel they text from.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from bot.clinic import client_by_code
from bot.storage import session_scope
from bot.storage.models import Client


@contextmanager
def client_session(tracker: Tracker) -> Iterator[tuple[Session, Client | None]]:
    """A database session and the conversation's client (None if not enrolled)."""
    with session_scope() as session:
        yield session, client_by_code(session, tracker.sender_id)


def first_name(client: Client) -> str:
    """How the bot addresses the client: the first word of the name on file."""
    return client.name.split()[0] if client.name.strip() else "there"
