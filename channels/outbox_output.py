"""What SMS and Telegram share: replies go to the outbox, the assistant runs in the background.

Rasa hands a reply to an ``OutputChannel``; ours stores it in the outbox (a
quick database write, off the event loop) and the scheduler sends it, so a slow
or failing provider never holds up the Rasa server. Each provider registers
how it splits a reply (:func:`bot.intake.register_reply_format`).

The intake pipeline decides whether the assistant sees a message; here it is
handed to Rasa after the webhook has answered, and :func:`keep_recovering`
finishes, every few seconds or as soon as it is woken, what was left to it: a
failure or a crash, a message taken in while no Rasa server ran (Twilio's
Fallback URL, Telegram's webhook on the dashboard's process), or one that
waits behind an older message of the same client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from sqlalchemy import select

from bot.crisis_messages import with_numbers
from bot.intake import (
    PROCESSING_ERROR_REPLY,
    HandOff,
    claim_handoffs,
    finish_handoff,
    queue_assistant_reply,
    screen_pending,
)
from bot.outbox import Button
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.models import Client, ClientIdentity

logger = logging.getLogger(__name__)

#: How often a Rasa server looks for messages left unanswered when nobody wakes it.
RECOVERY_SECONDS = 5.0

#: A message part and the choices to attach to it.
Part = tuple[str, Sequence[Button]]


class OutboxOutput(OutputChannel):
    """Stores the bot's replies to one client, in order, for the outbox to send."""

    channel = ""

    def __init__(self, client_id: int | None, address: str) -> None:
        self.client_id = client_id
        self.address = address

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.store(text, ())

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        choices = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in buttons]
        await self.store(text, choices)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.store(image, ())

    async def store(self, text: str, buttons: Sequence[Button]) -> None:
        """Queue ``text`` (split as the provider needs) for the outbox."""
        await asyncio.to_thread(self._store_now, text, buttons)

    def _store_now(self, text: str, buttons: Sequence[Button]) -> None:
        with session_scope() as session:
            queue_assistant_reply(
                session, client_id=self.client_id, channel=self.channel,
                address=self.address, text=text, buttons=buttons,
            )  # fmt: skip


class ConversationOutput(OutputChannel):
    """Messages Rasa sends on its own (``trigger_intent``, e.g. a reminder), by conversation.

    Rasa asks the input channel named in ``?output_channel=`` for an output
    channel without saying to whom (:meth:`InputChannel.get_output_channel`);
    the recipient is the conversation id, a client code, resolved here to the
    client's address on that channel. A client with no address on it gets
    nothing (logged, never the text).
    """

    def __init__(self, output_type: type[OutboxOutput]) -> None:
        self.output_type = output_type

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        output = await self._output_for(recipient_id)
        if output is not None:
            await output.send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        output = await self._output_for(recipient_id)
        if output is not None:
            await output.send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        output = await self._output_for(recipient_id)
        if output is not None:
            await output.send_image_url(recipient_id, image, **kwargs)

    async def _output_for(self, client_code: str) -> OutboxOutput | None:
        found = await asyncio.to_thread(_address_of, client_code, self.output_type.channel)
        if found is None:
            logger.warning(
                "no %s address for conversation %s", self.output_type.channel, client_code
            )
            return None
        return self.output_type(*found)


def _address_of(client_code: str, channel: str) -> tuple[int, str] | None:
    """The client's id and first linked address on ``channel``."""
    with session_scope() as session:
        row = session.execute(
            select(Client.id, ClientIdentity.address)
            .join(ClientIdentity, ClientIdentity.client_id == Client.id)
            .where(Client.code == client_code, ClientIdentity.channel == channel)
            .order_by(ClientIdentity.id)
            .limit(1)
        ).first()
    return (row[0], row[1]) if row is not None else None


async def hand_to_rasa(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    hand_off: HandOff,
    output: OutputChannel,
    input_channel: str,
) -> bool:
    """Let Rasa answer a stored message; False (logged, never the text) if it failed.

    A message Rasa failed on is marked ``failed`` in the message log, for the care team.
    """
    try:
        await on_new_message(
            UserMessage(
                hand_off.text,
                output,
                hand_off.conversation_id,
                input_channel=input_channel,
                metadata=hand_off.metadata,
            )
        )
    except Exception:
        logger.exception("processing failed for message %s", hand_off.message_id)
        answered = False
    else:
        answered = True
    await asyncio.to_thread(finish_handoff, hand_off.message_id, answered=answered)
    return answered


async def process_inbound(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    hand_off: HandOff,
    output: OutboxOutput,
    input_channel: str,
) -> None:
    """Hand a stored message to Rasa; on failure, tell the client what to do, in their language."""
    if not await hand_to_rasa(on_new_message, hand_off, output, input_channel):
        await output.store(with_numbers(PROCESSING_ERROR_REPLY, hand_off.language), ())


async def keep_recovering(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    output_type: type[OutboxOutput],
    input_channel: str,
    settings: Settings,
    wake: asyncio.Event,
) -> None:
    """Finish what was left undone, at start, then every few seconds or when ``wake`` is set.

    First any message stored but never screened (so a page left undone by a
    crash goes out as this server starts), then, on every pass, messages
    screened but never answered by the assistant, oldest first. ``wake`` is
    set when a message was left here to be answered now (it waits behind an
    older one, or the dashboard's process took it in): the next pass starts
    at once rather than after :data:`RECOVERY_SECONDS`.
    """
    try:
        await asyncio.to_thread(screen_pending, settings)
    except Exception:
        logger.exception("screening unscreened messages at start failed")
    while True:
        wake.clear()  # a wake from here on is for a message this pass may not see
        try:
            pending = await asyncio.to_thread(claim_handoffs, output_type.channel)
        except Exception:
            logger.exception("looking for unanswered %s messages failed", input_channel)
            pending = []
        if pending:  # info, not a warning: every Telegram message comes this way now
            logger.info("answering %d %s messages left to recovery", len(pending), input_channel)
        by_client: dict[int, list[HandOff]] = {}
        for hand_off in pending:
            by_client.setdefault(hand_off.client_id, []).append(hand_off)
        # Clients side by side (one slow conversation holds up no other), each in order.
        failures = await asyncio.gather(
            *(
                _answer_in_order(on_new_message, output_type, input_channel, hand_offs)
                for hand_offs in by_client.values()
            ),
            return_exceptions=True,
        )
        for failure in failures:
            if isinstance(failure, Exception):
                logger.error("answering a recovered %s message failed: %s",
                             input_channel, type(failure).__name__)  # fmt: skip
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(wake.wait(), RECOVERY_SECONDS)


async def _answer_in_order(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    output_type: type[OutboxOutput],
    input_channel: str,
    hand_offs: Sequence[HandOff],
) -> None:
    """Hand one client's recovered messages to Rasa one after the other, oldest first."""
    for hand_off in hand_offs:
        output = output_type(hand_off.client_id, hand_off.address)
        await process_inbound(on_new_message, hand_off, output, input_channel)
