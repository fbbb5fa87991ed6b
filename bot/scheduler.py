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

from bot.escalation import advance_pages
from bot.outbox import OutboxWorker, Sender
from bot.reminders.loop import run_reminders
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.enums import Channel
from bot.storage.models import utcnow

#: How often unacknowledged pages are checked against their deadlines.
PAGE_CHECK_SECONDS = 1.0

logger = logging.getLogger(__name__)


def build_senders(settings: Settings) -> dict[str, Sender]:
    """A sender for each configured channel (provider code lives in ``channels/``)."""
    senders: dict[str, Sender] = {}
    if settings.twilio is not None:
        from channels.twilio_sms import TwilioSender

        senders[Channel.SMS] = TwilioSender(settings.twilio, settings.public_url)
    if settings.telegram is not None:
        from channels.telegram import TelegramSender

        senders[Channel.TELEGRAM] = TelegramSender(settings.telegram)
    return senders


async def advance_pages_forever(settings: Settings, stop: asyncio.Event) -> None:
    """Move unacknowledged and failed pages to the next tier, every second."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(_advance_pages, settings)
        except Exception:
            # Never let one bad pass stop paging: log it and try again next tick.
            logger.exception("advancing pages failed")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=PAGE_CHECK_SECONDS)


def _advance_pages(settings: Settings) -> None:
    with session_scope() as session:
        advance_pages(session, utcnow(), settings)


async def run_scheduler(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    senders = build_senders(settings)
    logger.info("scheduler started; sending on: %s", ", ".join(senders) or "no channel")
    await asyncio.gather(
        OutboxWorker(senders).run(stop),
        advance_pages_forever(settings, stop),
        run_reminders(settings, stop),
    )
    logger.info("scheduler stopped")
