"""What SMS and Telegram share: replies go to the outbox, messages are processed in the background.

Rasa hands a reply to an ``OutputChannel``; ours stores it in the outbox (a
quick database write, off the event loop) and the scheduler sends it, so a slow
or failing provider never holds up the Rasa server. Each provider formats a
reply into the parts it can carry (:meth:`OutboxOutput.parts`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import message_log
from bot.gateway import PROCESSING_ERROR_REPLY, Inbound, with_crisis_contacts
from bot.outbox import Button, enqueue
from bot.storage import session_scope
from bot.storage.enums import Direction, MessageStatus
from bot.storage.models import Client, ClientIdentity, Message, utcnow

logger = logging.getLogger(__name__)

#: Unprocessed messages older than this are not answered after a restart.
RECOVERY_WINDOW = timedelta(hours=24)
#: Younger ones may still be in another server's hands.
RECOVERY_MIN_AGE = timedelta(seconds=30)

#: A message part and the choices to attach to it.
Part = tuple[str, Sequence[Button]]


class OutboxOutput(OutputChannel):
    """Stores the bot's replies to one client, in order, for the outbox to send."""

    channel = ""

    def __init__(self, client_id: int | None, address: str) -> None:
        self.client_id = client_id
        self.address = address

    def parts(self, text: str, buttons: Sequence[Button]) -> list[Part]:
        """How the provider carries ``text`` with ``buttons``; one part by default."""
        return [(text, buttons)]

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
            self.enqueue_in(session, text, buttons)

    def enqueue_in(self, session: Session, text: str, buttons: Sequence[Button] = ()) -> None:
        """Queue ``text`` in the caller's transaction (replies the webhook itself decides)."""
        for body, part_buttons in self.parts(text, buttons):
            enqueue(
                session,
                client_id=self.client_id,
                channel=self.channel,
                address=self.address,
                body=body,
                buttons=part_buttons,
            )


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


class BackgroundTasks:
    """Runs webhook processing after the response, keeping references until done."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def hand_to_rasa(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    inbound: Inbound,
    text: str,
    output: OutputChannel,
    input_channel: str,
) -> bool:
    """Let Rasa process a stored message; False (logged, never the text) if it failed.

    A message that failed stays ``received`` in the message log, for the care team.
    """
    assert inbound.conversation_id is not None
    try:
        await on_new_message(
            UserMessage(
                text,
                output,
                inbound.conversation_id,
                input_channel=input_channel,
                metadata=inbound.metadata,
            )
        )
    except Exception:
        logger.exception("processing failed for message %s", inbound.message_id)
        return False
    if inbound.message_id is not None:
        await asyncio.to_thread(_mark_processed, inbound.message_id)
    return True


async def process_inbound(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    inbound: Inbound,
    text: str,
    output: OutboxOutput,
    input_channel: str,
) -> None:
    """Hand a stored message to Rasa; on failure, tell the client what to do."""
    if not await hand_to_rasa(on_new_message, inbound, text, output, input_channel):
        await output.store(with_crisis_contacts(PROCESSING_ERROR_REPLY), ())


def _unprocessed(channel: str, now: datetime) -> list[tuple[Inbound, str, str]]:
    """Inbound messages stored but never processed (the server stopped first)."""
    with session_scope() as session:
        rows = session.execute(
            select(Message.id, Message.client_id, Message.address, Message.body, Client.code)
            .join(Client, Client.id == Message.client_id)
            .where(
                Message.channel == channel,
                Message.direction == Direction.INBOUND,
                Message.status == MessageStatus.RECEIVED,
                Message.created_at > now - RECOVERY_WINDOW,
                Message.created_at < now - RECOVERY_MIN_AGE,
            )
            .order_by(Message.id)
        ).all()
    return [
        (Inbound(conversation_id=code, message_id=id_, client_id=client_id), address, body)
        for id_, client_id, address, body, code in rows
    ]


async def recover_unprocessed(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    output_type: type[OutboxOutput],
    input_channel: str,
) -> None:
    """Process what a previous run stored but did not get to, oldest first.

    Nothing a client sent is lost to a crash or restart between storing a
    message and processing it; a message older than :data:`RECOVERY_WINDOW` is
    left for the care team to read rather than answered a day late.
    """
    pending = await asyncio.to_thread(_unprocessed, output_type.channel, utcnow())
    if pending:
        logger.warning("processing %d %s messages left unprocessed", len(pending), input_channel)
    for inbound, address, body in pending:
        output = output_type(inbound.client_id, address)
        await process_inbound(on_new_message, inbound, body, output, input_channel)


def _mark_processed(message_id: int) -> None:
    with session_scope() as session:
        message_log.mark_status(session, message_id, MessageStatus.PROCESSED)
