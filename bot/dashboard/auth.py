"""Staff login for the dashboard: passwords, rate limits, and server-side sessions.

Plain functions on a session (no HTTP), so they can be tested directly.

- Passwords verify with :mod:`bot.passwords`; a legacy scrypt hash is
  replaced by an argon2 one at the first successful login.
- Failed logins are audit rows (``login_failed``), which makes them the rate
  limiter's memory too: it holds across processes and restarts, and admins
  read it in the audit log. Too many failures for one account, or from one
  address, within :data:`FAILURE_WINDOW` refuse further attempts, even with
  the right password, until the window passes.
- A login is a :class:`~bot.storage.models.StaffSession` row keyed by the
  SHA-256 of a random token the browser holds (signed, in a cookie), so that
  logging out and the idle timeout end it for good, whatever the browser keeps.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.clinic import therapist_by_email
from bot.passwords import hash_password, needs_rehash, verify_password
from bot.storage.models import AuditLog, StaffSession, Therapist

#: How far back failed logins count against an account or an address.
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
#: Higher than per account: several staff may share a clinic's address.
MAX_FAILURES_PER_IP = 20
SESSION_TOKEN_BYTES = 32
#: ``last_seen_at`` is written at most this often, to spare the database a write per click.
TOUCH_INTERVAL = timedelta(seconds=30)

LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGIN_THROTTLED = "login_throttled"
LOGOUT = "logout"
#: What every refused login says: it never tells whether the account exists.
WRONG_CREDENTIALS = "That email and password do not match an active account."
THROTTLED = "Too many failed attempts. Wait 15 minutes, or ask an admin to help."


@dataclass(frozen=True)
class LoginOutcome:
    """A login attempt's result: the therapist, or why not (a sentence to show)."""

    therapist: Therapist | None
    refusal: str = ""


def attempt_login(
    session: Session, *, email: str, password: str, ip: str | None, now: datetime
) -> LoginOutcome:
    """Check a login, counting failures per account and per address (see module docstring)."""
    account = therapist_by_email(session, email)
    account_id = account.id if account is not None else None
    if _throttled(session, account_id, ip, now):
        audit.record(session, action=LOGIN_THROTTLED, actor_therapist_id=account_id, ip=ip)
        return LoginOutcome(None, THROTTLED)
    if (
        account is None
        or not account.active
        or not verify_password(password, account.password_hash)
    ):
        audit.record(session, action=LOGIN_FAILED, actor_therapist_id=account_id, ip=ip)
        return LoginOutcome(None, WRONG_CREDENTIALS)
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    audit.record(session, action=LOGIN, actor_therapist_id=account.id, ip=ip)
    return LoginOutcome(account)


def _throttled(session: Session, account_id: int | None, ip: str | None, now: datetime) -> bool:
    since = now - FAILURE_WINDOW
    failures = select(func.count(AuditLog.id)).where(
        AuditLog.action == LOGIN_FAILED, AuditLog.at > since
    )
    if account_id is not None:
        per_account = session.execute(
            failures.where(AuditLog.actor_therapist_id == account_id)
        ).scalar_one()
        if per_account >= MAX_FAILURES_PER_ACCOUNT:
            return True
    if ip is not None:
        per_ip = session.execute(failures.where(AuditLog.ip == ip)).scalar_one()
        if per_ip >= MAX_FAILURES_PER_IP:
            return True
    return False


def open_session(session: Session, therapist: Therapist, *, ip: str | None, now: datetime) -> str:
    """Start a login for ``therapist``; returns the token for the browser (shown once)."""
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    session.add(
        StaffSession(
            token_hash=_digest(token),
            therapist_id=therapist.id,
            created_at=now,
            last_seen_at=now,
            ip=ip,
        )
    )
    session.flush()
    return token


def current_staff(
    session: Session, token: str, *, now: datetime, idle: timedelta
) -> Therapist | None:
    """The active therapist logged in with ``token``, or None (unknown, ended, idle too long).

    An idle session is ended here, so it cannot come back to life.
    """
    row = session.execute(
        select(StaffSession).where(StaffSession.token_hash == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > idle:
        row.ended_at = now
        return None
    if not row.therapist.active:
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL:
        row.last_seen_at = now
    return row.therapist


def close_session(session: Session, token: str, *, ip: str | None, now: datetime) -> None:
    """Log out: the token stops working at once."""
    row = session.execute(
        select(StaffSession).where(StaffSession.token_hash == _digest(token))
    ).scalar_one_or_none()
    if row is not None and row.ended_at is None:
        row.ended_at = now
        audit.record(session, action=LOGOUT, actor_therapist_id=row.therapist_id, ip=ip)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()
