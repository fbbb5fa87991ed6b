"""Take-over: a therapist writes to a client in person while the bot stays silent.

From the dashboard (an escalation, a client page) a therapist starts a
take-over: the client is told their therapist is writing to them here now, the
therapist's messages go out through the client's own channel via the outbox
(its crisis lane, never behind the bot's backlog), marked in the message log
as theirs (``messages.from_therapist_id``), and the intake pipeline stops
handing the client's messages to Rasa (:func:`is_taken_over`). The crisis
detector still screens every message before that check, so a risky message
still pages; the bot's own pending safety question is dropped when the
take-over starts, and it asks none while the therapist is writing. It ends
when the therapist hands back, or ``WISEMIND_TAKEOVER_MINUTES`` after their
last message (:func:`expire_takeovers`, run by the scheduler); the client is
told either way. Once an SMS client texts STOP, nothing more is texted to
them: the therapist's messages are refused (call them instead) and the
notices are not sent.

Plain functions on a session, like :mod:`bot.clinic`: they never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.outbox import OUTBOX_CHANNELS, enqueue, latest_inbound
from bot.safety import followup
from bot.storage.enums import Channel, Lane, Locale, TakeoverEnd
from bot.storage.models import Client, Message, Takeover, Therapist

#: A therapist's message is a message, not an essay: SMS splits it, but keep it readable.
MESSAGE_MAX_CHARS = 1600

STARTED_NOTICE = {
    Locale.EN: (
        "{therapist} from your care team is writing to you here now. The WiseMind coach is "
        "paused until they hand back."
    ),
    Locale.ES: (
        "{therapist}, de tu equipo de cuidado, te está escribiendo por aquí ahora. El "
        "asistente WiseMind queda en pausa hasta que te devuelva a él."
    ),
}
#: When someone other than the person who took over writes too (an admin, the on-call):
#: the client always knows who is writing to them.
JOINED_NOTICE = {
    Locale.EN: "{therapist} from your care team is also writing to you here now.",
    Locale.ES: "{therapist}, de tu equipo de cuidado, también te está escribiendo por aquí ahora.",
}
ENDED_NOTICE = {
    Locale.EN: "{therapist} has handed you back to the WiseMind coach. Text MENU to continue.",
    Locale.ES: "{therapist} te ha devuelto al asistente WiseMind. Escribe MENU para seguir.",
}
TIMED_OUT_NOTICE = {
    Locale.EN: (
        "{therapist} is no longer writing here, so the WiseMind coach is back. Text MENU to "
        "continue."
    ),
    Locale.ES: (
        "{therapist} ya no está escribiendo por aquí, así que vuelve el asistente WiseMind. "
        "Escribe MENU para seguir."
    ),
}


class TakeoverError(ValueError):
    """A take-over step that cannot be taken; the message is one line for a person."""


def active_takeover(session: Session, client_id: int, now: datetime) -> Takeover | None:
    """The client's take-over in force at ``now``, if any."""
    return session.execute(
        select(Takeover)
        .where(
            Takeover.client_id == client_id,
            Takeover.ended_at.is_(None),
            Takeover.expires_at > now,
        )
        .order_by(Takeover.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def is_taken_over(session: Session, client_id: int, now: datetime) -> bool:
    """Whether a therapist is writing to this client: then the bot must stay silent."""
    return active_takeover(session, client_id, now) is not None


def client_channel(session: Session, client: Client) -> tuple[str, str]:
    """Where to write to the client: the SMS or Telegram they last wrote from, else the first.

    Raises :class:`TakeoverError` for a client with neither (a local chat only).
    """
    latest = latest_inbound(session, client.id)
    if latest is not None:
        return latest.channel, latest.address
    for identity in client.identities:
        if identity.channel in OUTBOX_CHANNELS:
            return identity.channel, identity.address
    raise TakeoverError(f"Client {client.code} has no SMS or Telegram to write to.")


def start_takeover(
    session: Session, *, client: Client, therapist: Therapist, now: datetime, minutes: int
) -> Takeover:
    """Start (or, if one is in force, join) a take-over; the client is told who is writing.

    A second person joining a take-over in force (an admin, the paged on-call
    therapist) is introduced to the client by name (:data:`JOINED_NOTICE`),
    once, so their words never arrive as the first person's.
    """
    current = active_takeover(session, client.id, now)
    if current is not None:
        current.expires_at = max(current.expires_at, now + timedelta(minutes=minutes))
        session.flush()
        _introduce(session, current, client, therapist)
        return current
    if client.opted_out_at is not None:
        raise TakeoverError(f"Client {client.code} has opted out of messages (STOP).")
    channel, address = client_channel(session, client)
    takeover = Takeover(
        client_id=client.id,
        therapist_id=therapist.id,
        channel=channel,
        address=address,
        started_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    session.add(takeover)
    session.flush()
    # The therapist asks their own questions now: "no" to theirs is not "not safe" to the bot's.
    followup.clear_pending_question(session, client)
    _notify(session, takeover, client, therapist, STARTED_NOTICE)
    return takeover


def send_as_therapist(
    session: Session,
    *,
    client: Client,
    therapist: Therapist,
    text: str,
    now: datetime,
    minutes: int,
) -> Message:
    """Queue ``text`` to the client from ``therapist``; the take-over's clock starts again."""
    text = text.strip()
    if not text:
        raise TakeoverError("Write a message first.")
    if len(text) > MESSAGE_MAX_CHARS:
        raise TakeoverError(f"A message must be at most {MESSAGE_MAX_CHARS} characters.")
    takeover = active_takeover(session, client.id, now)
    if takeover is None:
        raise TakeoverError("Take over the conversation before writing to the client.")
    if _stopped(takeover, client):
        raise TakeoverError(
            f"Client {client.code} texted STOP: no more texts may be sent to them. "
            "Call them instead, or hand back."
        )
    takeover.expires_at = now + timedelta(minutes=minutes)
    _introduce(session, takeover, client, therapist)
    message = enqueue(
        session,
        client_id=client.id,
        channel=takeover.channel,
        address=takeover.address,
        body=text,
        lane=Lane.CRISIS,
    )
    message.from_therapist_id = therapist.id
    session.flush()
    return message


def _introduce(session: Session, takeover: Takeover, client: Client, therapist: Therapist) -> None:
    """Tell the client that ``therapist`` writes too, unless they took over or were introduced.

    The notice is marked as theirs, which is how a later message knows they were.
    """
    if therapist.id == takeover.therapist_id:
        return
    introduced = session.execute(
        select(Message.id)
        .where(
            Message.client_id == client.id,
            Message.from_therapist_id == therapist.id,
            Message.created_at >= takeover.started_at,
        )
        .limit(1)
    ).first()
    if introduced is not None:
        return
    notice = _notify(session, takeover, client, therapist, JOINED_NOTICE)
    if notice is not None:
        notice.from_therapist_id = therapist.id
        session.flush()


def _stopped(takeover: Takeover, client: Client) -> bool:
    """The client texted STOP and the take-over writes by SMS: carriers forbid any more texts.

    (STOP is an SMS rule: a take-over on Telegram goes on. The crisis path's own
    rules for replies after STOP live in the intake and are not changed here.)
    """
    return takeover.channel == Channel.SMS and client.opted_out_at is not None


def hand_back(session: Session, *, client: Client, therapist: Therapist, now: datetime) -> Takeover:
    """End the take-over: the bot answers again, and the client is told."""
    takeover = active_takeover(session, client.id, now)
    if takeover is None:
        raise TakeoverError("This conversation is not taken over.")
    _end(session, takeover, now, TakeoverEnd.HANDED_BACK, ENDED_NOTICE, by=therapist)
    return takeover


def expire_takeovers(session: Session, now: datetime) -> int:
    """End every take-over past its time and tell the client; returns how many ended."""
    due = (
        session.execute(
            select(Takeover).where(Takeover.ended_at.is_(None), Takeover.expires_at <= now)
        )
        .scalars()
        .all()
    )
    for takeover in due:
        _end(session, takeover, now, TakeoverEnd.TIMED_OUT, TIMED_OUT_NOTICE, by=None)
    return len(due)


def _end(
    session: Session,
    takeover: Takeover,
    now: datetime,
    reason: str,
    notice: dict[str, str],
    *,
    by: Therapist | None,
) -> None:
    takeover.ended_at = now
    takeover.end_reason = reason
    session.flush()
    _notify(session, takeover, takeover.client, by or takeover.therapist, notice)


def _notify(
    session: Session,
    takeover: Takeover,
    client: Client,
    therapist: Therapist,
    notice: dict[str, str],
) -> Message | None:
    """Tell the client, on the take-over's channel, in their language (a system message);
    nothing over SMS once they texted STOP.

    In the crisis lane, like the therapist's own messages: a person is writing
    to someone likely in crisis, and nothing the bot queued earlier (a reply
    in retry back-off) may hold them up.
    """
    if _stopped(takeover, client):
        return None
    text = notice.get(client.locale, notice[Locale.EN]).format(therapist=therapist.name)
    return enqueue(
        session,
        client_id=client.id,
        channel=takeover.channel,
        address=takeover.address,
        body=text,
        lane=Lane.CRISIS,
    )
