"""The one message log: every message in and out, on every channel.

Channels store an inbound message before anything processes it, so nothing a
client sends is lost, and a webhook the provider retries is recognised by its
``provider_id`` and processed once. Outbound messages are logged as ``queued``
and move through the statuses of :class:`~bot.storage.enums.MessageStatus` as
the outbox sends them. Message content lives here (``body``) and nowhere else
but an escalation's evidence.
"""

from __future__ import annotations

from sqlalchemy import and_, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.enums import (
    ADDRESS_MAX_LENGTH,
    ERROR_CODE_MAX_LENGTH,
    PROVIDER_ID_MAX_LENGTH,
    Channel,
    Direction,
    Lane,
    MessageStatus,
)
from bot.storage.models import Client, Message, utcnow

#: How many messages a transcript shows unless asked for more.
TRANSCRIPT_LIMIT = 200


def record_inbound(
    session: Session,
    *,
    channel: str,
    address: str,
    body: str,
    provider_id: str | None = None,
    client_id: int | None = None,
) -> Message | None:
    """Log an inbound message as ``received``; None if the provider already delivered it.

    A provider retries a webhook it thinks failed, possibly while the first
    delivery is still being handled by another process. Rather than look first
    (which two processes could do at once), the insert runs in a SAVEPOINT and
    the unique ``(channel, direction, provider_id)`` decides: the loser's
    savepoint is rolled back and the rest of the caller's transaction stands.
    """
    _check_address(channel, address)
    _check_provider_id(provider_id)
    message = Message(
        client_id=client_id,
        channel=channel,
        direction=Direction.INBOUND,
        address=address,
        body=body,
        provider_id=provider_id,
        status=MessageStatus.RECEIVED,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        if provider_id is None or not _inbound_exists(session, channel, provider_id):
            raise  # not a retry: a bad client_id or the like
        return None
    return message


def record_outbound(
    session: Session,
    *,
    client_id: int | None,
    channel: str,
    address: str,
    body: str,
    status: str = MessageStatus.QUEUED,
) -> Message:
    """Log an outbound message, numbered after the conversation's previous replies.

    The conversation is the client's (all channels together), or for a sender
    who is not a client, that channel and address. On PostgreSQL the client's
    row is locked so that concurrent replies get distinct numbers; SQLite
    transactions are serialised already (see :mod:`bot.storage.database`).
    """
    _check_address(channel, address)
    _check_status(status)
    if client_id is None:
        conversation = and_(
            Message.client_id.is_(None), Message.channel == channel, Message.address == address
        )
    else:
        # FOR NO KEY UPDATE: serialises replies, not inserts that merely reference the client.
        session.execute(
            select(Client.id).where(Client.id == client_id).with_for_update(key_share=True)
        )
        conversation = Message.client_id == client_id
    last = session.execute(
        select(func.max(Message.sequence)).where(
            Message.direction == Direction.OUTBOUND, conversation
        )
    ).scalar_one()
    message = Message(
        client_id=client_id,
        channel=channel,
        direction=Direction.OUTBOUND,
        address=address,
        body=body,
        status=status,
        sequence=(last or 0) + 1,
    )
    session.add(message)
    session.flush()
    return message


def record_outbound_many(
    session: Session, messages: list[tuple[int, str, str, str, str | None]]
) -> None:
    """Log many outbound messages to clients at once, each numbered as :func:`record_outbound` does.

    ``messages`` holds ``(client_id, channel, address, body, buttons_json)``,
    numbered in the order given. For bulk notifications (reminders due in
    the same minute), where several queries per message would not keep up:
    the clients' rows are locked (as :func:`record_outbound` does) and their
    last numbers read in two statements, and one more inserts every message.
    """
    if not messages:
        return
    for _, channel, address, _, _ in messages:
        _check_address(channel, address)
    client_ids = sorted({client_id for client_id, *_ in messages})
    # Same row locks as record_outbound, taken in one statement.
    session.execute(
        select(Client.id).where(Client.id.in_(client_ids)).with_for_update(key_share=True)
    )
    last = dict(
        session.execute(
            select(Message.client_id, func.max(Message.sequence))
            .where(Message.direction == Direction.OUTBOUND, Message.client_id.in_(client_ids))
            .group_by(Message.client_id)
        ).all()
    )
    sequences = []
    for client_id, *_ in messages:
        last[client_id] = (last.get(client_id) or 0) + 1
        sequences.append(last[client_id])
    if session.get_bind().dialect.name == "postgresql":
        _insert_outbound_unnest(session, messages, sequences)
        return
    now = utcnow()
    session.execute(
        insert(Message),
        [
            {
                "client_id": client_id, "channel": channel, "direction": Direction.OUTBOUND,
                "address": address, "body": body, "buttons": buttons,
                "status": MessageStatus.QUEUED, "attempts": 0, "sequence": sequence,
                "created_at": now, "updated_at": now,
            }
            for (client_id, channel, address, body, buttons), sequence in zip(
                messages, sequences, strict=True
            )
        ],
    )  # fmt: skip


#: One INSERT ... SELECT over arrays: a handful of parameters for any number of messages,
#: where a VALUES row per message costs PostgreSQL and the driver far more.
_OUTBOUND_FROM_ARRAYS = text(
    "INSERT INTO messages (client_id, channel, direction, address, body, buttons, status,"
    " attempts, sequence, crisis_replied, lane, created_at, updated_at)"
    " SELECT client_id, channel, :direction, address, body, buttons, :status,"
    " 0, sequence, false, :lane, :now, :now"
    " FROM unnest(CAST(:client_ids AS integer[]), CAST(:channels AS text[]),"
    " CAST(:addresses AS text[]), CAST(:bodies AS text[]), CAST(:buttons AS text[]),"
    " CAST(:sequences AS integer[]))"
    " AS outbound(client_id, channel, address, body, buttons, sequence)"
)


def _insert_outbound_unnest(
    session: Session,
    messages: list[tuple[int, str, str, str, str | None]],
    sequences: list[int],
) -> None:
    client_ids, channels, addresses, bodies, buttons = (
        list(column) for column in zip(*messages, strict=True)
    )
    session.execute(
        _OUTBOUND_FROM_ARRAYS,
        {
            "direction": Direction.OUTBOUND, "status": MessageStatus.QUEUED,
            "lane": Lane.NORMAL, "now": utcnow(), "client_ids": client_ids,
            "channels": channels, "addresses": addresses, "bodies": bodies,
            "buttons": buttons, "sequences": sequences,
        },
    )  # fmt: skip


def mark_status(
    session: Session,
    message_id: int,
    status: str,
    *,
    error: str | None = None,
    provider_id: str | None = None,
) -> Message:
    """Move a message to ``status``, with the provider's id once it has one.

    ``error`` is a short code (``twilio-30003``, ``timeout``), never content;
    it is cleared when the status moves on without one. Retry bookkeeping
    (``attempts``, ``next_attempt_at``) belongs to the outbox.
    """
    _check_status(status)
    _check_provider_id(provider_id)
    if error is not None and len(error) > ERROR_CODE_MAX_LENGTH:
        raise ValueError(f"error must be a short code, at most {ERROR_CODE_MAX_LENGTH} characters")
    message = session.get(Message, message_id)
    if message is None:
        raise LookupError(f"no message with id {message_id}")
    message.status = status
    message.error = error
    if provider_id is not None:
        message.provider_id = provider_id
    session.flush()
    return message


#: Delivery reports a provider may send late or out of order: a final one
#: (delivered, undeliverable) is never replaced by a mere "sent".
_FINAL_DELIVERY = (MessageStatus.DELIVERED, MessageStatus.UNDELIVERABLE)


def record_delivery(
    session: Session, channel: str, provider_id: str, status: str, *, error: str | None = None
) -> Message | None:
    """Apply a provider's delivery report to the outbound message it names.

    Reports arrive out of order (Twilio may send "sent" after "undelivered"):
    a message whose delivery is settled stays settled. None if no message has
    that provider id.
    """
    message = outbound_by_provider_id(session, channel, provider_id)
    if message is None:
        return None
    if message.status in _FINAL_DELIVERY and status not in _FINAL_DELIVERY:
        return message
    return mark_status(session, message.id, status, error=error)


def outbound_by_provider_id(session: Session, channel: str, provider_id: str) -> Message | None:
    """The outbound message a provider knows by ``provider_id`` (for delivery callbacks)."""
    return session.execute(
        select(Message).where(
            Message.channel == channel,
            Message.direction == Direction.OUTBOUND,
            Message.provider_id == provider_id,
        )
    ).scalar_one_or_none()


def transcript(session: Session, client_id: int, limit: int = TRANSCRIPT_LIMIT) -> list[Message]:
    """The client's latest ``limit`` messages, both ways, oldest first (as a chat reads)."""
    latest = session.execute(
        select(Message)
        .where(Message.client_id == client_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    ).scalars()
    return list(reversed(latest.all()))


def _inbound_exists(session: Session, channel: str, provider_id: str) -> bool:
    return (
        session.execute(
            select(Message.id).where(
                Message.channel == channel,
                Message.direction == Direction.INBOUND,
                Message.provider_id == provider_id,
            )
        ).first()
        is not None
    )


def _check_address(channel: str, address: str) -> None:
    if channel not in Channel.ALL:
        raise ValueError(f"unknown channel {channel!r}; expected one of {Channel.ALL}")
    if not address or len(address) > ADDRESS_MAX_LENGTH:
        raise ValueError(f"address must be 1 to {ADDRESS_MAX_LENGTH} characters")


def _check_provider_id(provider_id: str | None) -> None:
    if provider_id is not None and not 0 < len(provider_id) <= PROVIDER_ID_MAX_LENGTH:
        raise ValueError(f"provider_id must be 1 to {PROVIDER_ID_MAX_LENGTH} characters")


def _check_status(status: str) -> None:
    if status not in MessageStatus.ALL:
        raise ValueError(f"unknown message status {status!r}; expected one of {MessageStatus.ALL}")
