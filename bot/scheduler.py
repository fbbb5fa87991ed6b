"""The scheduler process (``wisemind scheduler``): WiseMind's background work.

It sends the outbox (every SMS and Telegram message), so that sending never
happens on the Rasa server's event loop, and it is where timed work lives:
everything it does is driven by rows in the database, so a restart loses
nothing and picks up where the last run stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import datetime

from bot.escalation import advance_pages
from bot.intake import screen_pending, strangers
from bot.outbox import OutboxWorker, Sender
from bot.readiness import HEARTBEAT_SECONDS, SCHEDULER, beat, check_dashboard_url
from bot.reminders.loop import run_reminders
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import Channel
from bot.storage.models import utcnow
from bot.takeover import expire_takeovers

#: How often unacknowledged pages are checked against their deadlines.
PAGE_CHECK_SECONDS = 1.0
#: How often messages left unscreened by a failure after storing are screened again.
SCREEN_RETRY_SECONDS = 2.0
#: How often take-overs are checked against their time-outs.
TAKEOVER_CHECK_SECONDS = 5.0
#: How often risky messages from unregistered senders held back from alerts are looked at.
STRANGER_SUMMARY_SECONDS = 5.0

logger = logging.getLogger(__name__)


def build_senders(settings: Settings) -> dict[str, Sender]:
    """A sender for each configured channel (provider code lives in ``channels/``)."""
    senders: dict[str, Sender] = {}
    if settings.twilio is not None:
        from channels.twilio_reconcile import ReconcilingTwilioSender

        senders[Channel.SMS] = ReconcilingTwilioSender(settings.twilio, settings.public_url)
    if settings.telegram is not None:
        from channels.telegram import TelegramSender

        senders[Channel.TELEGRAM] = TelegramSender(settings.telegram)
    return senders


async def every(seconds: float, work: Callable[[], object], what: str, stop: asyncio.Event) -> None:
    """Run ``work`` in a thread every ``seconds`` until ``stop``; a failed pass is logged."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(work)
        except Exception:
            # Never let one bad pass stop paging: log it and try again next tick.
            logger.exception("%s failed", what)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)


def _advance_pages(settings: Settings) -> None:
    with session_scope() as session:
        advance_pages(session, utcnow(), settings)


def _end_takeovers() -> None:
    """Hand conversations back to the bot when a take-over times out (the client is told)."""
    with session_scope() as session:
        expire_takeovers(session, utcnow())


def _summarise_strangers(settings: Settings) -> None:
    """One alert for the risky messages from unregistered senders held back in a busy window."""
    with session_scope() as session:
        strangers.send_summary(session, utcnow(), settings)


def _heartbeat(started_at: datetime) -> None:
    with session_scope() as session:
        beat(session, SCHEDULER, started_at, utcnow())


async def run_scheduler(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    check_dashboard_url(settings)
    senders = build_senders(settings)
    started_at = utcnow()
    logger.info("scheduler started; sending on: %s", ", ".join(senders) or "no channel")
    try:
        await asyncio.gather(
            OutboxWorker(senders).run(stop),
            # Messages stored but not screened (a failure or crash after storing): finish them.
            every(SCREEN_RETRY_SECONDS, lambda: screen_pending(settings), "screening", stop),
            every(PAGE_CHECK_SECONDS, lambda: _advance_pages(settings), "advancing pages", stop),
            every(HEARTBEAT_SECONDS, lambda: _heartbeat(started_at), "heartbeat", stop),
            # A take-over the therapist forgot ends on time, and the client is told.
            every(TAKEOVER_CHECK_SECONDS, _end_takeovers, "ending timed-out take-overs", stop),
            every(
                STRANGER_SUMMARY_SECONDS,
                lambda: _summarise_strangers(settings),
                "alerting about unregistered senders",
                stop,
            ),  # fmt: skip
            run_reminders(settings, stop),
        )
    finally:
        await asyncio.gather(*(sender.close() for sender in senders.values()))
    logger.info("scheduler stopped")
