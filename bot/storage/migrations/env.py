"""Alembic's entry point for WiseMind's schema (run through :mod:`bot.storage.migrate`).

The database may be shared with Rasa's SQL tracker store, which creates and
owns its own ``events`` table: migrations only ever see the tables of
:data:`target_metadata` (see :func:`~bot.storage.migrate.include_object`).
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import event, text

from bot.storage.database import create_engine_for
from bot.storage.migrate import include_object
from bot.storage.models import Base

target_metadata = Base.metadata
#: The PostgreSQL advisory lock held while migrating (an arbitrary number, ours alone).
MIGRATION_LOCK_KEY = 947_361_001


def _suspend_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite's batch mode rebuilds a table by copying it and dropping the old
    # one; with foreign keys enforced, that drop would cascade to child rows.
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def run_migrations() -> None:
    if context.is_offline_mode():
        raise RuntimeError("offline (--sql) migrations are not supported: run them on a database")
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: run migrations through bot.storage.migrate")
    engine = create_engine_for(url)
    is_sqlite = engine.dialect.name == "sqlite"
    if is_sqlite:
        event.listen(engine, "connect", _suspend_foreign_keys)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                include_object=include_object,
                render_as_batch=is_sqlite,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # Every process may migrate at start-up: one at a time, each waiting
                    # however long the one before takes (the running app's lock time-out
                    # is not for migrations). SQLite's BEGIN IMMEDIATE already serialises them.
                    connection.execute(text("SET LOCAL lock_timeout = 0"))
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations()
