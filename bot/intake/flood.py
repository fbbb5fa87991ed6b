"""Per-sender flood control, shared by every Rasa server through the database.

It throttles what a flood costs (replies and the assistant's work), never
what keeps a person safe: a throttled message is still stored and screened,
and a crisis reply and page still go out. The pipeline asks only once the
message has been screened, and a failure of flood control itself lets the
message through (see :func:`bot.intake.process_stored`).

The buckets are rows (``flood_buckets``), not memory: with several Rasa
servers on one database (PostgreSQL), a sender whose messages are spread
over them is throttled once, not once per server. Each decision is one
statement, so two servers taking a sender's last token at once cannot both
get it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.models import FloodBucket

#: A sender may send this many messages in a burst...
FLOOD_BURST = 30
#: ...and one more every this many seconds after that.
FLOOD_REFILL_SECONDS = 2.0


class FloodControl:
    """Token buckets by sender, kept in the database (a generic cell rate algorithm).

    A bucket is the moment it will be full again (``full_at``). A message is
    allowed while that moment is at most ``burst`` intervals ahead, and moves
    it one interval on; a refused message leaves it where it is.
    ``clock`` is wall-clock seconds, the same on every server.
    """

    def __init__(
        self,
        burst: int = FLOOD_BURST,
        refill_seconds: float = FLOOD_REFILL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.clock = clock

    def allow(self, session: Session, channel: str, address: str) -> bool:
        """Take a token for this sender in the caller's transaction; False when none is left."""
        now = self.clock()
        interval = self.refill_seconds
        bucket = FloodBucket.__table__
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        # Once idle long enough the bucket is full: it starts again from now.
        start = case((bucket.c.full_at > now, bucket.c.full_at), else_=now)
        statement = (
            dialect.insert(bucket)
            .values(channel=channel, address=address, full_at=now + interval)
            .on_conflict_do_update(
                index_elements=[bucket.c.channel, bucket.c.address],
                set_={"full_at": start + interval},
                where=start + interval <= now + self.burst * interval,
            )
        )
        # One row inserted or moved on: allowed; the WHERE refused the update: none left.
        return bool(session.execute(statement).rowcount)
