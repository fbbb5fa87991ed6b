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
import functools
import logging
import threading
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
    release_handoff,
    renew_handoff,
    screen_pending,
)
from bot.intake.pipeline import HANDOFF_RENEWAL
from bot.outbox import Button
from bot.settings import Settings
from bot.storage import session_scope
from bot.storage.models import Client, ClientIdentity
from channels.webhook import BackgroundTasks

logger = logging.getLogger(__name__)

#: How often a Rasa server looks for messages left unanswered when nobody wakes it.
RECOVERY_SECONDS = 5.0

#: The first wait before closing an answered message is tried again; it doubles up to a pass's.
CLOSE_RETRY_SECONDS = 0.2

#: A message part and the choices to attach to it.
Part = tuple[str, Sequence[Button]]


class OutboxOutput(OutputChannel):
    """Stores the bot's replies to one client, in order, for the outbox to send."""

    channel = ""

    def __init__(self, client_id: int | None, address: str) -> None:
        self.client_id = client_id
        self.address = address
        #: Whether a reply was handed to the outbox (its write begun): the client may have it.
        self.replied = False

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
        # Set before the write: one cut off while its thread runs may still be stored.
        self.replied = True
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

    However the message came (the webhook, the recovery loop), this server's
    claim on it is renewed until the turn is closed, so that no server,
    this one included, takes it again during a turn of several slow
    actions. A message Rasa failed on is marked ``failed`` in the message
    log, for the care team. A turn cut off (the server stops) is ended by
    :func:`_end_cut_off_turn`: given up if the client has heard nothing
    yet, closed if they have.
    """
    renewing = asyncio.create_task(_keep_claim(hand_off.message_id))
    answered: bool | None = None  # until Rasa's turn ended
    closed = False
    try:
        answered = await _answer(on_new_message, hand_off, output, input_channel)
        await _close(hand_off.message_id, answered=answered)
        closed = True
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        if not closed:
            await _end_cut_off_turn(hand_off.message_id, answered, _replied(output))
    return answered


async def _answer(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    hand_off: HandOff,
    output: OutputChannel,
    input_channel: str,
) -> bool:
    """Rasa's turn on the message: True if it answered, False (logged, no words) if it failed."""
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
        return False
    return True


async def _keep_claim(message_id: int) -> None:
    """Renew the claim on a message every :data:`HANDOFF_RENEWAL`, until cancelled.

    A failed renewal is logged (the message id and the error's type) and the
    next one tried: the lease outlasts two of them.
    """
    while True:
        await asyncio.sleep(HANDOFF_RENEWAL.total_seconds())
        try:
            await asyncio.to_thread(renew_handoff, message_id)
        except Exception as error:
            logger.warning("renewing the claim on message %s failed: %s", message_id,
                           type(error).__name__)  # fmt: skip


async def _close(message_id: int, *, answered: bool) -> None:
    """Close the hand-off, tried again until it holds: Rasa never gets one message twice.

    Left open, the message would be handed to Rasa again once its claim ran
    out, and the client's next messages would wait the whole lease behind it.
    Meanwhile the claim is renewed and the client's next message waits, in
    order, for the close. Each failure is logged with the error's type only.
    """
    delay = CLOSE_RETRY_SECONDS
    while True:
        try:
            await asyncio.to_thread(finish_handoff, message_id, answered=answered)
        except Exception as error:
            logger.warning("closing message %s failed: %s; trying again in %.1f s", message_id,
                           type(error).__name__, delay)  # fmt: skip
        else:
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, RECOVERY_SECONDS)


def _replied(output: OutputChannel) -> bool:
    """Whether the turn already spoke to the client.

    Only an outbox's replies reach the client before the turn ends; the local
    channel's (a :class:`CollectingOutputChannel`) go out in the HTTP answer,
    which a cut-off turn never gives.
    """
    return isinstance(output, OutboxOutput) and output.replied


async def _end_cut_off_turn(message_id: int, answered: bool | None, replied: bool) -> None:
    """End a turn cut off by the server's stop: one try, then the lease ends it.

    A turn that had said nothing gives its claim up, so that the next server
    answers the client at once. One that had already queued a reply is
    closed, ``failed`` (visible to the care team in the message log) unless
    Rasa had answered and only the close was cut off: Rasa keeps no record
    of a turn it did not finish, so answering the message again would send
    the client the same replies twice (a crisis follow-up asked again) and
    run its actions twice. The crisis reply and page never wait on this:
    the intake pipeline sent them before the hand-off. Only one try, since
    the server is stopping; if it fails, the claim's lease runs out.
    """
    try:
        if answered is None and not replied:
            await asyncio.to_thread(release_handoff, message_id)
            return
        await asyncio.to_thread(finish_handoff, message_id, answered=bool(answered))
        if not answered:
            logger.warning("turn on message %s cut off after it replied: closed as failed",
                           message_id)  # fmt: skip
    except Exception as error:
        logger.warning("ending the cut-off turn on message %s failed: %s; it waits for its lease",
                       message_id, type(error).__name__)  # fmt: skip


async def process_inbound(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    hand_off: HandOff,
    output: OutboxOutput,
    input_channel: str,
) -> None:
    """Hand a stored message to Rasa; on failure, tell the client what to do, in their language."""
    if not await hand_to_rasa(on_new_message, hand_off, output, input_channel):
        await output.store(with_numbers(PROCESSING_ERROR_REPLY, hand_off.language), ())


async def answer_after_webhook(
    background: BackgroundTasks,
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    hand_off: HandOff,
    output: OutboxOutput,
    input_channel: str,
) -> None:
    """Let Rasa answer, after the webhook's answer, a message the webhook handed over.

    On a server already stopping (a request that ends during Sanic's drain)
    no turn starts, since nothing would be left to end it before the loop
    closes: the claim is given up here, in the request, so that the next
    server answers the client at once rather than after the lease. The
    crisis reply and page were the intake's, before this.
    """
    if not background.start(process_inbound(on_new_message, hand_off, output, input_channel)):
        await _end_cut_off_turn(hand_off.message_id, None, replied=False)


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
    older one, or the dashboard's process took it in), and when a turn ends:
    the next pass starts at once rather than after :data:`RECOVERY_SECONDS`.

    Each client's turn runs in its own task, and a pass does not wait for
    them: a client whose message arrives during another's slow turn (an
    action that hangs, up to Rasa's action timeout) is answered at once. A
    client with a turn in progress is skipped; their next message waits,
    unclaimed and in order, for the pass after that turn. Cancelled (the
    server stops), the loop cancels the turns in progress and waits for
    them; a turn cut off before it replied gives its claim up, so the next
    server answers the client at once, and one that had replied is closed
    (:func:`hand_to_rasa`), so it is not answered twice.
    """
    try:
        await asyncio.to_thread(screen_pending, settings)
    except Exception:
        logger.exception("screening unscreened messages at start failed")
    turns: dict[int, asyncio.Task[None]] = {}
    try:
        while True:
            wake.clear()  # a wake from here on is for a message this pass may not see
            await _claim_and_answer(on_new_message, output_type, input_channel, wake, turns)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), RECOVERY_SECONDS)
    finally:
        in_progress = list(turns.values())
        for task in in_progress:
            task.cancel()
        await asyncio.gather(*in_progress, return_exceptions=True)


async def _claim_and_answer(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    output_type: type[OutboxOutput],
    input_channel: str,
    wake: asyncio.Event,
    turns: dict[int, asyncio.Task[None]],
) -> None:
    """One pass: claim, and start a turn per client (each renews its own claim).

    ``turns`` (client id to task) holds the turns in progress; a turn takes
    itself out when it ends, and sets ``wake`` so that the client's next
    message is claimed at once. A pass cancelled while it claims (the server
    stops) keeps nothing it claimed (:class:`_Claim`).
    """
    claim = _Claim(output_type.channel, set(turns))
    try:
        claimed = await asyncio.to_thread(claim.run)
    except asyncio.CancelledError:
        # The server stops: what the thread took (or will take) is given back, not held.
        if taken := claim.abandon():
            await asyncio.to_thread(_give_back, taken)
        raise
    except Exception:
        logger.exception("claiming unanswered %s messages failed", input_channel)
        return
    if claimed:  # info, not a warning: every Telegram message comes this way now
        logger.info("answering %d %s messages left to recovery", len(claimed), input_channel)
    for hand_off in claimed:
        output = output_type(hand_off.client_id, hand_off.address)
        task = asyncio.create_task(process_inbound(on_new_message, hand_off, output, input_channel))
        turns[hand_off.client_id] = task
        task.add_done_callback(functools.partial(_turn_ended, turns, hand_off, input_channel, wake))


class _Claim:
    """A recovery pass's claim, run in a thread that the server's stop may leave behind.

    A cancellation ends the pass's wait at once, but no thread can be
    stopped: it runs on and commits its claim (a slow or locked database),
    and the result it returns is dropped with the ``CancelledError``. Left
    so, the claimed messages would be answered by no server, and the
    client's next ones would wait behind them, for the whole lease. So
    whichever of the two comes last gives the claim back (one try, as for
    a cut-off turn): the thread, if the pass was abandoned before it
    finished (:meth:`run`); the pass, if the thread had finished but its
    result had not reached it (:meth:`abandon`). The lock makes them agree,
    so a claim is neither given back twice nor kept. No turn has started
    on a claimed message yet, so giving it back never answers it twice;
    its crisis reply and page were the intake's.
    """

    def __init__(self, channel: str, busy: set[int]) -> None:
        self._channel = channel
        self._busy = busy
        self._lock = threading.Lock()
        self._abandoned = False
        self._claimed: list[HandOff] = []

    def run(self) -> list[HandOff]:
        """Claim (in the thread); give everything back at once if the pass has left."""
        claimed = claim_handoffs(self._channel, busy=self._busy)
        with self._lock:
            if not self._abandoned:
                self._claimed = claimed
                return claimed
        _give_back(claimed)
        return []

    def abandon(self) -> list[HandOff]:
        """Leave the claim (the pass is cancelled): what it took that the pass must give back."""
        with self._lock:
            self._abandoned = True
            return self._claimed


def _give_back(hand_offs: Sequence[HandOff]) -> None:
    """Release claims no turn was started for, one try each (then the lease ends them)."""
    for hand_off in hand_offs:
        try:
            release_handoff(hand_off.message_id)
        except Exception as error:
            logger.warning("giving back message %s failed: %s; it waits for its lease",
                           hand_off.message_id, type(error).__name__)  # fmt: skip


def _turn_ended(
    turns: dict[int, asyncio.Task[None]],
    hand_off: HandOff,
    input_channel: str,
    wake: asyncio.Event,
    task: asyncio.Task[None],
) -> None:
    """Take a turn out of ``turns``, log its failure (never the text), wake the loop."""
    del turns[hand_off.client_id]
    if not task.cancelled() and task.exception() is not None:
        # The message was closed: what failed came after it (the error reply to the client).
        logger.error("answering recovered %s message %s failed: %s", input_channel,
                     hand_off.message_id, type(task.exception()).__name__)  # fmt: skip
    wake.set()
