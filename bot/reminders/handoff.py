"""Handing a claimed occurrence on: to Rasa (the real path), or straight to the outbox.

:class:`RasaTrigger` calls the Rasa server's HTTP API,
``POST /conversations/{client_code}/trigger_intent?output_channel=<channel>``
with the intent ``EXTERNAL_reminder`` and the occurrence's id as an entity:
the action ``action_deliver_reminder`` says the reminder in the client's
conversation, so a "yes" that follows continues it, and the reply leaves
through the client's channel's output channel into the outbox.

:class:`OutboxHandoff` renders the same words in the core and queues them in
the outbox directly, with no conversation around them: it measures the
scheduler on its own (``benchmarks/bench_reminders.py``) and is what
``WISEMIND_REMINDER_HANDOFF=outbox`` selects when no Rasa server is meant to
take part.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import aiohttp
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import message_log
from bot.reminders import delivery as deliveries
from bot.reminders.delivery import Claim
from bot.reminders.prompts import PROMPT_COLUMNS, prompt_for
from bot.storage import database_now, session_scope
from bot.storage.enums import Channel, SkipReason
from bot.storage.models import Client, Reminder, ReminderDelivery

logger = logging.getLogger(__name__)

REMINDER_INTENT = "EXTERNAL_reminder"
#: The Rasa input channel (``credentials.yml``) whose output channel reaches each channel.
RASA_OUTPUT_CHANNELS = {Channel.SMS: "twilio_sms", Channel.TELEGRAM: "telegram"}
TRIGGER_TIMEOUT_SECONDS = 20.0
#: Hand-offs to Rasa at once: enough to keep it busy, few enough not to starve clients.
TRIGGER_CONCURRENCY = 8


class Handoff(Protocol):
    """Passes claimed occurrences on; returns the ids it handed over successfully."""

    #: Occurrences claimed per pass: what one hand-off gets through in a few seconds.
    batch_size: int

    async def hand_off(self, claims: Sequence[Claim]) -> set[int]: ...

    async def close(self) -> None: ...


class RasaTrigger:
    """Triggers ``EXTERNAL_reminder`` in each client's Rasa conversation."""

    batch_size = 40

    def __init__(self, rasa_url: str, api_token: str) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.api_token = api_token
        self._http: aiohttp.ClientSession | None = None
        self._limit = asyncio.Semaphore(TRIGGER_CONCURRENCY)

    async def hand_off(self, claims: Sequence[Claim]) -> set[int]:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=TRIGGER_TIMEOUT_SECONDS)
            )
        results = await asyncio.gather(*(self._trigger(claim) for claim in claims))
        return {claim.delivery_id for claim, ok in zip(claims, results, strict=True) if ok}

    async def _trigger(self, claim: Claim) -> bool:
        assert self._http is not None
        url = f"{self.rasa_url}/conversations/{claim.client_code}/trigger_intent"
        params = {"output_channel": RASA_OUTPUT_CHANNELS[claim.channel], "token": self.api_token}
        body = {
            "name": REMINDER_INTENT,
            "entities": {"delivery_id": claim.delivery_id, "reminder_kind": claim.kind},
        }
        async with self._limit:
            try:
                async with self._http.post(url, params=params, json=body) as response:
                    if response.status == 200:
                        return True
                    logger.warning(
                        "Rasa refused reminder %s (HTTP %d)", claim.delivery_id, response.status
                    )
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                logger.warning(
                    "Rasa unreachable for reminder %s: %s", claim.delivery_id, type(exc).__name__
                )
        return False

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


class OutboxHandoff:
    """Queues each reminder's words in the outbox, marking it sent in the same transaction."""

    batch_size = 500

    async def hand_off(self, claims: Sequence[Claim]) -> set[int]:
        return await asyncio.to_thread(self.hand_off_now, claims)

    @staticmethod
    def hand_off_now(claims: Sequence[Claim]) -> set[int]:
        with session_scope() as session:
            return hand_to_outbox(session, claims, database_now(session))

    async def close(self) -> None:
        return None


def hand_to_outbox(session: Session, claims: Sequence[Claim], now: datetime) -> set[int]:
    """Queue each claimed reminder's words, in bulk; one already sent elsewhere is not queued.

    The same checks as :func:`~bot.reminders.prompts.open_delivery` (opt-out
    and crisis since the claim, then "sent" once), a few queries per batch.
    """
    by_id = {claim.delivery_id: claim for claim in claims}
    rows = session.execute(
        select(
            ReminderDelivery.id, Client.id.label("client_id"), Client.opted_out_at, *PROMPT_COLUMNS
        )
        .join(Reminder, Reminder.id == ReminderDelivery.reminder_id)
        .join(Client, Client.id == Reminder.client_id)
        .where(ReminderDelivery.id.in_(list(by_id)))
        .order_by(ReminderDelivery.due_at, ReminderDelivery.id)
    ).all()
    crisis = deliveries.in_crisis(session, {row.client_id for row in rows})
    sendable = []
    for row in rows:
        if row.opted_out_at is not None:
            deliveries.skip(session, row.id, SkipReason.OPTED_OUT)
        elif row.client_id in crisis:
            deliveries.skip(session, row.id, SkipReason.CRISIS)
        else:
            sendable.append(row.id)
    won = deliveries.begin_send_many(session, sendable, now)
    messages = []
    for row in rows:
        if row.id in won:
            prompt = prompt_for(session, row.id, row, row.timezone)
            claim = by_id[row.id]
            buttons = [{"title": title, "payload": payload} for title, payload in prompt.buttons]
            messages.append(
                (
                    claim.client_id,
                    claim.channel,
                    claim.address,
                    prompt.text,
                    json.dumps(buttons) if buttons else None,
                )
            )
    message_log.record_outbound_many(session, messages)
    return set(by_id)
