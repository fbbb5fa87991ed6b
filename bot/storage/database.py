"""Engines and sessions for WiseMind's one database (SQLite by default, PostgreSQL at scale).

Several processes share the database: the Rasa server, the action server, the
scheduler and the dashboard. On SQLite that means one file written by all of
them, so every connection is tuned for it:

- ``journal_mode=WAL``: readers never block the writer, nor the writer readers.
- ``busy_timeout``: a writer waits for the lock instead of failing at once.
- ``foreign_keys=ON``: SQLite does not enforce foreign keys unless asked to.
- ``synchronous=NORMAL``: safe with WAL (a power cut may lose the last commit,
  never corrupt the file) and much faster than ``FULL``.
- Transactions start with ``BEGIN IMMEDIATE``. The Python driver's own
  transaction handling breaks SAVEPOINTs (which the message log relies on to
  recognise provider retries), and a deferred transaction that reads and then
  writes fails with ``database is locked`` (without waiting) when another
  process committed in between. Taking the write lock at ``BEGIN`` makes every
  transaction wait its turn instead (keep them short). Other processes' plain
  reads, such as Rasa's tracker store, still run alongside thanks to WAL.

On PostgreSQL a statement waits for another transaction's lock at most
``lock_timeout`` (as an SQLite writer waits at most its busy time-out), then
fails: a stalled transaction (a paused process, a cut connection whose locks
live on until TCP notices, hours later) must not hold the outbox, whose lease
on a message counts on every try at recording a send ending in time.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.orm import Session

from bot.log_config import quiet_library_loggers
from bot.settings import process_settings

# Every process that opens the database imports this module first (before alembic logs
# its plugins at import): keep library loggers quiet there.
quiet_library_loggers()

#: How long (ms) an SQLite writer waits for another process's transaction to end.
SQLITE_BUSY_TIMEOUT_MS = 15_000
#: How long (ms) a PostgreSQL statement waits for another transaction's lock.
POSTGRES_LOCK_TIMEOUT_MS = 10_000

#: How long to wait before trying a locked PRAGMA again.
PRAGMA_RETRY_SECONDS = 0.05
_SQLITE_PRAGMAS = (
    # busy_timeout first, so that switching the file to WAL waits for a lock too.
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)


def create_engine_for(url: str) -> Engine:
    """A new engine for ``url`` (SQLAlchemy 2.0-style API), tuned for its backend.

    ``hide_parameters``: a database error names the statement, never its values
    (a message's text is a parameter, and errors reach the log).

    Prefer :func:`get_engine`, which shares one engine per URL within a process;
    this is for tests and tools that need an engine of their own.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    # pool_pre_ping: a connection dropped by a server restart is replaced, not reported.
    return create_engine(
        parsed,
        future=True,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args={"options": f"-c lock_timeout={POSTGRES_LOCK_TIMEOUT_MS}"},
    )


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, hide_parameters=True)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy (see _begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            _execute_pragma(cursor, pragma)
    finally:
        cursor.close()


def _execute_pragma(cursor: Any, pragma: str) -> None:
    """Run one PRAGMA, waiting out a lock the busy timeout does not cover.

    Two processes opening a new file at once both switch it to WAL; SQLite
    answers the loser "database is locked" at once, without its busy handler.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute(pragma)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(PRAGMA_RETRY_SECONDS)


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def get_engine(url: str | None = None) -> Engine:
    """The process's engine for ``url`` (default: the configured database URL)."""
    return _shared_engine(url or process_settings().database_url)


@functools.cache
def _shared_engine(url: str) -> Engine:
    return create_engine_for(url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session in one transaction: committed if the block succeeds, else rolled back.

    Objects stay readable after the block (``expire_on_commit=False``), so a
    caller can use what it loaded once the transaction is over.
    """
    with (
        Session(engine or get_engine(), future=True, expire_on_commit=False) as session,
        session.begin(),
    ):
        yield session


def database_now(session: Session) -> datetime:
    """The database's clock, aware UTC: one time for every process, whatever its host's clock.

    Processes on several hosts share a PostgreSQL database, and host clocks
    drift; comparing one host's time with a timestamp another host wrote (a
    lease's expiry, a claim's age) could make two schedulers active at once.
    PostgreSQL's ``clock_timestamp()`` is the server's real time (``now()``
    would be the start of the transaction). An SQLite file is only ever used
    by processes on its own host, so there this host's clock is the database's.
    """
    if session.get_bind().dialect.name == "postgresql":
        moment: datetime = session.execute(select(func.clock_timestamp())).scalar_one()
        return moment.astimezone(timezone.utc)
    return datetime.now(timezone.utc)
