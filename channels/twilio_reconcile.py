"""Twilio sending that survives a crash mid-send without texting anyone twice.

If the scheduler dies after Twilio accepted a message but before the outbox
recorded it, the outbox requeues the message once its lease runs out. Before
sending it again, :meth:`ReconcilingTwilioSender.find_sent` asks Twilio's
Messages list whether a message with the same body already went to that
number since it was queued.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
from twilio.base.exceptions import TwilioRestException

from bot.outbox import Outgoing
from channels.twilio_sms import SEND_TIMEOUT_SECONDS, TwilioSender

#: How many of the number's latest messages are compared.
LOOKUP_LIMIT = 20
#: Twilio's timestamps have whole seconds: allow for the rounding.
CLOCK_SLACK = timedelta(seconds=2)


class ReconcilingTwilioSender(TwilioSender):
    """:class:`~channels.twilio_sms.TwilioSender` that can find a message Twilio already took."""

    async def find_sent(self, message: Outgoing) -> str | None:
        try:
            recent = await asyncio.wait_for(
                self.client.messages.list_async(
                    to=message.address, from_=self.config.from_number, limit=LOOKUP_LIMIT
                ),
                SEND_TIMEOUT_SECONDS,
            )
        except (TwilioRestException, aiohttp.ClientError, asyncio.TimeoutError):
            return None  # cannot tell: the outbox sends it again
        since = message.created_at - CLOCK_SLACK if message.created_at else None
        for sent in recent:
            created = sent.date_created
            if sent.body == message.body and (since is None or created is None or created >= since):
                return str(sent.sid)
        return None
