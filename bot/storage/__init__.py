"""WiseMind's storage: one relational database (SQLite by default, PostgreSQL at scale).

- :mod:`bot.storage.database`: engines and sessions (``session_scope``).
- :mod:`bot.storage.models`: the tables.
- :mod:`bot.storage.enums`: their vocabularies and scales.
- :mod:`bot.storage.migrate`: bringing a database's schema up to date.
"""

from bot.storage.database import create_engine_for, database_now, get_engine, session_scope
from bot.storage.migrate import current_revision, upgrade

__all__ = [
    "create_engine_for",
    "current_revision",
    "database_now",
    "get_engine",
    "session_scope",
    "upgrade",
]
