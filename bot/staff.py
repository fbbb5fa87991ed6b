"""Staff accounts over their life: deactivating, reactivating, changing a password.

Adding an account is :func:`bot.clinic.add_therapist`; what happens when a
person leaves touches more than the account row, so it lives here, once, for
the dashboard and any other caller:

- a deactivated account cannot log in, and its open dashboard sessions end
  at once (not at their idle timeout);
- it is never paged again: the rota skips inactive staff
  (:func:`bot.clinic.oncall_for`), and pages still waiting on it move on to
  the next tier now (:func:`bot.escalation.withdraw_pages`);
- a conversation it had taken over is handed back to the bot, and the client
  is told;
- its clients stay in its caseload until an admin reassigns them
  (:func:`bot.clinic.reassign_client`); the caller is told who they are.

An admin cannot deactivate their own account, and the last active admin
cannot be deactivated, so the clinic is never left without one. Plain
functions on a session, like :mod:`bot.clinic`: they never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.clinic import ClinicError, check_password_strength
from bot.escalation import withdraw_pages
from bot.passwords import hash_password, verify_password
from bot.storage.enums import Role
from bot.storage.models import Client, StaffSession, Takeover, Therapist
from bot.takeover import hand_back

#: The password page's answer to a wrong current password (the dashboard counts these).
WRONG_CURRENT_PASSWORD = "The current password is not right."


@dataclass(frozen=True)
class Deactivation:
    """What deactivating an account did, for the admin to read (and act on: the clients)."""

    therapist: Therapist
    sessions_ended: int
    pages_withdrawn: int
    takeovers_ended: int
    clients_to_reassign: list[Client]


def deactivate_therapist(
    session: Session, therapist: Therapist, *, by: Therapist, now: datetime
) -> Deactivation:
    """Close ``therapist``'s account, as the module docstring lists; ``by`` is the admin."""
    if therapist.id == by.id:
        raise ClinicError("You cannot deactivate your own account; ask another admin.")
    if not therapist.active:
        raise ClinicError(f"{therapist.email} is already inactive.")
    if therapist.role == Role.ADMIN and active_admin_count(session) <= 1:
        raise ClinicError(f"{therapist.email} is the clinic's last active admin.")
    therapist.active = False
    sessions = end_sessions(session, therapist, now)
    pages = withdraw_pages(session, therapist, now)
    taken_over = session.execute(
        select(Client)
        .join(Takeover, Takeover.client_id == Client.id)
        .where(
            Takeover.therapist_id == therapist.id,
            Takeover.ended_at.is_(None),
            Takeover.expires_at > now,
        )
    ).scalars()
    takeovers = 0
    for client in list(taken_over):
        hand_back(session, client=client, therapist=therapist, now=now)
        takeovers += 1
    clients = (
        session.execute(
            select(Client)
            .where(Client.therapist_id == therapist.id, Client.discharged_at.is_(None))
            .order_by(Client.name)
        )
        .scalars()
        .all()
    )
    session.flush()
    return Deactivation(therapist, sessions, pages, takeovers, list(clients))


def reactivate_therapist(session: Session, therapist: Therapist) -> Therapist:
    """Open a deactivated account again: it can log in, and its rota shifts count again."""
    if therapist.active:
        raise ClinicError(f"{therapist.email} is already active.")
    therapist.active = True
    session.flush()
    return therapist


def active_admin_count(session: Session) -> int:
    return int(
        session.execute(
            select(func.count(Therapist.id)).where(
                Therapist.role == Role.ADMIN, Therapist.active.is_(True)
            )
        ).scalar_one()
    )


def end_sessions(
    session: Session, therapist: Therapist, now: datetime, *, keep: int | None = None
) -> int:
    """End ``therapist``'s open dashboard sessions (all but the session id ``keep``)."""
    query = update(StaffSession).where(
        StaffSession.therapist_id == therapist.id, StaffSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(StaffSession.id != keep)
    result = session.execute(
        query.values(ended_at=now).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def change_password(
    session: Session,
    therapist: Therapist,
    *,
    current: str,
    new: str,
    now: datetime,
    keep_session: int | None = None,
) -> None:
    """Replace a password the owner knows; their other sessions end (one may be stolen).

    This is also how an initial password an admin saw is replaced
    (``must_change_password``).
    """
    if not verify_password(current, therapist.password_hash):
        raise ClinicError(WRONG_CURRENT_PASSWORD)
    check_password_strength(new)
    if new == current:
        raise ClinicError("Choose a new password, different from the current one.")
    therapist.password_hash = hash_password(new)
    therapist.must_change_password = False
    end_sessions(session, therapist, now, keep=keep_session)
    session.flush()
