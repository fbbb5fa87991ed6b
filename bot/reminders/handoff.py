"""Passing due occurrences on: to Rasa (the real path), or straight to the outbox.

:class:`RasaTrigger` claims due occurrences (marked ``sending``), then calls
the Rasa server's HTTP API for each,
``POST /conversations/{client_code}/trigger_intent?output_channel=<channel>``
with the intent ``EXTERNAL_reminder`` and the occurrence's id as an entity:
the action ``action_deliver_reminder`` says the reminder in the client's
conversation, so a "yes" that follows continues it, and the reply leaves
through the client's channel's output channel into the outbox. What Rasa did
not take goes back to ``pending`` for a retry.

:class:`OutboxHandoff` renders the same words in the core and queues them in
the outbox in the claim's own transaction (:func:`send_due_to_outbox`), with
no conversation around them: it measures the scheduler on its own
(``benchmarks/bench_reminders.py``) and is what
``WISEMIND_REMINDER_HANDOFF=outbox`` selects when no Rasa server is meant to
take part.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import aiohttp
from sqlalchemy.orm import Session

from bot import message_log
from bot.reminders import delivery as deliveries
from bot.reminders.delivery import Claim
from bot.reminders.prompts import prompt_for
from bot.storage import database_now, session_scope
from bot.storage.enums import Channel

logger = logging.getLogger(__name__)

REMINDER_INTENT = "EXTERNAL_reminder"
#: The Rasa input channel (``credentials.yml``) whose output channel reaches each channel.
RASA_OUTPUT_CHANNELS = {Channel.SMS: "twilio_sms", Channel.TELEGRAM: "telegram"}
TRIGGER_TIMEOUT_SECONDS = 20.0
#: Hand-offs to Rasa at once: enough to keep it busy, few enough not to starve clients.
TRIGGER_CONCURRENCY = 8


class Handoff(Protocol):
    """Claims the occurrences due now and passes them on."""

    #: Occurrences claimed per pass: what one hand-off gets through in a few seconds.
    batch_size: int

    async def send_due(self) -> tuple[int, int]:
        """One batch: how many occurrences were claimed, and how many skipped."""
        ...

    async def close(self) -> None: ...


class RasaTrigger:
    """Triggers ``EXTERNAL_reminder`` in each client's Rasa conversation."""

    batch_size = 40

    def __init__(self, rasa_url: str, api_token: str) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.api_token = api_token
        self._http: aiohttp.ClientSession | None = None
        self._limit = asyncio.Semaphore(TRIGGER_CONCURRENCY)

    async def send_due(self) -> tuple[int, int]:
        claims, skipped = await asyncio.to_thread(self._claim)
        if claims:
            await self.hand_off(claims)
            await asyncio.to_thread(self._settle, [claim.delivery_id for claim in claims])
        return len(claims), skipped

    def _claim(self) -> tuple[list[Claim], int]:
        with session_scope() as session:
            now = database_now(session)
            deliveries.requeue_stale(session, now)
            return deliveries.claim_due(session, now, self.batch_size)

    @staticmethod
    def _settle(delivery_ids: list[int]) -> None:
        with session_scope() as session:
            untaken = deliveries.settle_handoffs(session, delivery_ids, database_now(session))
        if untaken:
            # Rasa or the action server failed them: retried within their grace windows.
            logger.warning("%d reminders not taken by the hand-off, retrying", len(untaken))

    async def hand_off(self, claims: Sequence[Claim]) -> set[int]:
        """Trigger each claim in its conversation; the ids Rasa accepted."""
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
    """Queues each reminder's words in the outbox, in the transaction that claims it."""

    batch_size = 1000

    async def send_due(self) -> tuple[int, int]:
        return await asyncio.to_thread(self.send_due_now)

    def send_due_now(self) -> tuple[int, int]:
        with session_scope() as session:
            return send_due_to_outbox(session, database_now(session), self.batch_size)

    async def close(self) -> None:
        return None


def send_due_to_outbox(
    session: Session, now: datetime, limit: int = deliveries.CLAIM_BATCH
) -> tuple[int, int]:
    """Claim what is due and queue its words, as one transaction; (claimed, skipped).

    The claim marks the occurrences sent (:func:`~bot.reminders.delivery.claim_due`
    with ``send_now``) and the messages are inserted in bulk in the same
    transaction: both happen or neither, and a row locked or already sent
    is never claimed, so each occurrence is queued exactly once.
    """
    claims, skipped = deliveries.claim_due(session, now, limit, send_now=True)
    messages = []
    for claim in claims:
        prompt = prompt_for(session, claim.delivery_id, claim, claim.timezone)
        buttons = buttons_json(prompt.buttons)
        messages.append((claim.client_id, claim.channel, claim.address, prompt.text, buttons))
    message_log.record_outbound_many(session, messages)
    return len(claims), skipped


@functools.cache
def buttons_json(buttons: tuple[tuple[str, str], ...]) -> str | None:
    """A prompt's choices as the outbox stores them; a few kinds of reminder, many messages."""
    if not buttons:
        return None
    return json.dumps([{"title": title, "payload": payload} for title, payload in buttons])
