"""The reminder loop of the scheduler process: lease, materialise, claim, hand off.

Everything it knows is in the database: the occurrences (made ahead of time),
their claims, the lease that makes one scheduler the active one. Killed at
any point, a restarted (or standby) scheduler carries on from the rows.
Its passes read the time from the database too
(:func:`~bot.storage.database.database_now`), so a scheduler on a host whose
clock is off neither sends early or late nor mistakes another's fresh claim
for a stale one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from bot.reminders import delivery, lease, store
from bot.reminders.handoff import Handoff, OutboxHandoff, RasaTrigger
from bot.settings import Settings
from bot.storage import database_now, session_scope

logger = logging.getLogger(__name__)

#: How often the loop looks for due occurrences when idle.
TICK_SECONDS = 1.0
#: How often reminders are materialised ahead (changes materialise at once).
MATERIALISE_EVERY_SECONDS = 60.0


def handoff_for(settings: Settings) -> Handoff:
    """Rasa's conversation (the default), or straight to the outbox (see :mod:`.handoff`)."""
    if settings.reminder_handoff == "outbox":
        return OutboxHandoff()
    return RasaTrigger(settings.rasa_url, settings.api_token)


class ReminderLoop:
    """One scheduler's part in sending reminders; only the lease holder works."""

    def __init__(self, handoff: Handoff, holder: str | None = None) -> None:
        self.handoff = handoff
        self.holder = holder or lease.holder_name()
        self.active = False
        self._first_check = True
        self._materialised_at = -MATERIALISE_EVERY_SECONDS

    async def run(self, stop: asyncio.Event) -> None:
        renewing = asyncio.create_task(self._keep_lease(stop))
        try:
            while not stop.is_set():
                busy = False
                if self.active:
                    try:
                        busy = await self.step()
                    except Exception:
                        # A database hiccup must not stop reminders: log, retry next tick.
                        logger.exception("reminder pass failed")
                if not busy:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=TICK_SECONDS)
        finally:
            await renewing
            await self.handoff.close()
            if self.active:
                await asyncio.to_thread(self._release)

    async def _keep_lease(self, stop: asyncio.Event) -> None:
        """Take or renew the lease on its own clock, so a long pass never lets it lapse."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self._hold_lease)
            except Exception:
                logger.exception("reminder lease check failed")
                self.active = False
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=lease.RENEW_SECONDS)

    async def step(self) -> bool:
        """One pass (while this scheduler holds the lease); True when more may be due now."""
        if time.monotonic() - self._materialised_at >= MATERIALISE_EVERY_SECONDS:
            await asyncio.to_thread(self._materialise)
            self._materialised_at = time.monotonic()
        claimed, skipped = await self.handoff.send_due()
        if skipped:
            logger.info("skipped %d reminder occurrences", skipped)
        return claimed > 0 or skipped > 0

    def _hold_lease(self) -> bool:
        with session_scope() as session:
            holding = lease.acquire(session, lease.REMINDERS_LEASE, self.holder)
        if holding != self.active or self._first_check:
            # Said once at start too, so an operator sees a standby is waiting.
            logger.info("reminders: this scheduler is %s", "active" if holding else "standby")
            self._first_check = False
            self.active = holding
            if holding:
                with session_scope() as session:
                    stale = delivery.requeue_stale(session, database_now(session))
                if stale:
                    logger.warning("requeued %d reminders interrupted mid-hand-off", stale)
        return holding

    def _materialise(self) -> None:
        """Make the occurrences due soon, a batch of reminders per transaction."""
        made = 0
        while True:
            with session_scope() as session:
                batch = store.materialise(session, database_now(session))
            made += batch.occurrences
            if batch.reminders < store.MATERIALISE_BATCH:
                break
        if made:
            logger.info("materialised %d reminder occurrences", made)
        if made >= store.REFRESH_STATISTICS_AFTER:
            with session_scope() as session:
                store.refresh_statistics(session)

    def _release(self) -> None:
        with session_scope() as session:
            lease.release(session, lease.REMINDERS_LEASE, self.holder)


async def run_reminders(settings: Settings, stop: asyncio.Event) -> None:
    """The scheduler's reminder job (``wisemind scheduler`` calls this once)."""
    if not settings.reminders_enabled:
        logger.info("reminders are off (WISEMIND_REMINDERS_ENABLED=false)")
        return
    await ReminderLoop(handoff_for(settings)).run(stop)
