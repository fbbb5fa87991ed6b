"""The scheduler process (``wisemind scheduler``): WiseMind's background work.

It sends the outbox (every SMS and Telegram message), so that sending never
happens on the Rasa server's event loop, and it is where timed work lives:
everything it does is driven by rows in the database, so a restart loses
nothing and picks up where the last run stopped.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.outbox import OutboxWorker, Sender
from bot.settings import Settings
from bot.storage.enums import Channel

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


async def run_scheduler(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    senders = build_senders(settings)
    logger.info("scheduler started; sending on: %s", ", ".join(senders) or "no channel")
    await OutboxWorker(senders).run(stop)
    logger.info("scheduler stopped")
