"""One active reminder scheduler: a lease row in the database, renewed while alive.

Any number of scheduler processes may run against one database; the one
holding the lease materialises and sends reminders, the others wait as
standby and take over once the holder stops renewing (it died) or gives the
lease up (it stopped). A lease row rather than a PostgreSQL advisory lock
works on SQLite too and survives a connection drop without losing the job.
Claims use row locks besides, so even two holders could not send twice.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.storage.database import database_now
from bot.storage.models import SchedulerLease

REMINDERS_LEASE = "reminders"
#: A standby takes over at most this long (plus one renewal period) after the holder died.
LEASE_SECONDS = 8.0
#: How often the holder renews the lease and a standby tries to take it.
RENEW_SECONDS = 1.0


def holder_name() -> str:
    """Identifies this process in the lease row (host, pid, and a nonce for pid reuse)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def acquire(session: Session, name: str, holder: str, ttl: float = LEASE_SECONDS) -> bool:
    """Take or renew the lease for ``ttl`` seconds of the database's clock; True while held."""
    now = database_now(session)
    expires = now + timedelta(seconds=ttl)
    renewed = session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.holder == holder, SchedulerLease.expires_at <= now),
        )
        .values(holder=holder, expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    if renewed.rowcount == 1:
        return True
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = session.execute(
        insert(SchedulerLease)
        .values(name=name, holder=holder, expires_at=expires)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return bool(created.rowcount == 1)


def release(session: Session, name: str, holder: str) -> None:
    """Give the lease up at once, so a standby need not wait for it to expire."""
    session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=database_now(session))
        .execution_options(synchronize_session=False)
    )
