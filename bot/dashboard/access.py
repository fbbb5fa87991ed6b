"""Who may see what: a therapist their own caseload, an admin everything.

Every page that shows a client or an escalation loads it through these
functions, so the rule lives in one place and a URL naming someone else's
client gets :class:`Forbidden` (a 403, and an audit row) rather than the page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.escalation import ACTIVE
from bot.storage.enums import Role
from bot.storage.models import Client, Escalation, Page, Therapist
from bot.takeover import active_takeover


class Forbidden(PermissionError):
    """The therapist may not see this; the message names ids only."""


class AdminOnly(Forbidden):
    """A page or action for the clinic's admins (staff, rota, audit log); the message is a path."""


class NotFound(LookupError):
    """There is no such record."""


def is_admin(therapist: Therapist) -> bool:
    return therapist.role == Role.ADMIN


def caseload_filter(therapist: Therapist) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Client` for the clients ``therapist`` may see."""
    if is_admin(therapist):
        return Client.id.is_not(None)
    return Client.therapist_id == therapist.id


def client_for(session: Session, therapist: Therapist, client_id: int) -> Client:
    """The client, if ``therapist`` may see them; else :class:`Forbidden` or :class:`NotFound`."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"client {client_id}")
    if not is_admin(therapist) and client.therapist_id != therapist.id:
        raise Forbidden(f"client {client_id}")
    return client


def escalation_filter(therapist: Therapist) -> ColumnElement[bool]:
    """Escalations ``therapist`` may see: their clients', and any they were paged about.

    The on-call therapist who gets a page is often not the client's own; the
    page links here, so they must be able to read it and act on it (as the
    lifecycle API allows).
    """
    if is_admin(therapist):
        return Escalation.id.is_not(None)
    paged = exists().where(Page.escalation_id == Escalation.id, Page.therapist_id == therapist.id)
    own = Escalation.client_id.in_(select(Client.id).where(Client.therapist_id == therapist.id))
    return or_(own, paged)


def escalation_for(session: Session, therapist: Therapist, escalation_id: int) -> Escalation:
    """The escalation, if ``therapist`` may see it; else :class:`Forbidden` or :class:`NotFound`."""
    if session.get(Escalation, escalation_id) is None:
        raise NotFound(f"escalation {escalation_id}")
    allowed = session.execute(
        select(Escalation).where(Escalation.id == escalation_id, escalation_filter(therapist))
    ).scalar_one_or_none()
    if allowed is None:
        raise Forbidden(f"escalation {escalation_id}")
    return allowed


def may_write_to(session: Session, therapist: Therapist, client: Client, now: datetime) -> bool:
    """Take-over: the client's therapist, an admin, or whoever was paged about an escalation
    of theirs that is still active (open or acknowledged).

    Once it is resolved, the paged therapist (often on call for another's
    client) keeps only a take-over of their own that is still in force, to
    write in and hand back; they cannot start a new one.
    """
    if is_admin(therapist) or client.therapist_id == therapist.id:
        return True
    paged = session.execute(
        select(Page.id)
        .join(Escalation, Escalation.id == Page.escalation_id)
        .where(
            Escalation.client_id == client.id,
            Escalation.status.in_(ACTIVE),
            Page.therapist_id == therapist.id,
        )
        .limit(1)
    ).first()
    if paged is not None:
        return True
    current = active_takeover(session, client.id, now)
    return current is not None and current.therapist_id == therapist.id


def writable_client(
    session: Session, therapist: Therapist, client_id: int, now: datetime
) -> Client:
    """The client, if ``therapist`` may take over their conversation (see :func:`may_write_to`)."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"client {client_id}")
    if not may_write_to(session, therapist, client, now):
        raise Forbidden(f"client {client_id}")
    return client
