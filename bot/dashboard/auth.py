"""Staff login for the dashboard: passwords, rate limits, and server-side sessions.

Plain functions on a session or an engine (no HTTP), so they can be tested directly.

- Passwords verify with :mod:`bot.passwords`; a legacy scrypt hash is
  replaced by an argon2 one at the first successful login. An unknown email
  costs the same hash computation as a known one, so timing does not tell
  which accounts exist.
- Failed logins are audit rows (``login_failed``; ``login_checking`` while the
  password is being checked), which makes them the rate
  limiter's memory too: it holds across processes and restarts, and admins
  read it in the audit log. The limits, all over :data:`FAILURE_WINDOW`:

  * per account *and* address: a guesser locks that account out for their
    own address only, never for the therapist elsewhere (no lock-out by
    guessing);
  * per address, whatever the account: one machine cannot walk the staff list;
  * per account from everywhere (guessers on many addresses): past
    :data:`ACCOUNT_BACKOFF_AFTER` failures, each further attempt waits a
    doubling back-off after the latest failure, up to
    :data:`ACCOUNT_BACKOFF_LONGEST`.

  An email with no account is limited exactly as an account (its failures
  carry a digest of the email), so a lock-out message never tells a guesser
  which emails have accounts.

  A browser this account has logged in from before (a "known device": a
  signed cookie with the browser's random id, :mod:`.security`) is spared all
  three and has a limit of its own instead,
  :data:`MAX_FAILURES_PER_KNOWN_DEVICE` for that account on that browser. Its
  failures are recorded with the browser's id (``device …``) and count
  nowhere else. So guessers cannot lock a therapist out of a browser she has
  used, wherever they are, even at the clinic's one shared address: the
  on-call therapist paged in a crisis gets in from her own phone or the
  clinic's PC. A guesser, who has no such cookie (it is signed, and only a
  successful login to that account issues it), still meets every limit.

- A login is a :class:`~bot.storage.models.StaffSession` row keyed by the
  SHA-256 of a random token the browser holds (signed, in a cookie), so that
  logging out and the idle timeout end it for good, whatever the browser keeps.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, not_, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot import audit
from bot.clinic import therapist_by_email
from bot.dashboard.security import COOKIE_MAX_AGE_SECONDS, Device
from bot.passwords import hash_password, needs_rehash, verify_password
from bot.storage import session_scope
from bot.storage.models import AuditLog, StaffSession, Therapist

#: How far back failed logins count against an account or an address.
FAILURE_WINDOW = timedelta(minutes=15)
#: Failures for one account from one address before that address is refused for it.
MAX_FAILURES_PER_ACCOUNT_AND_IP = 5
#: Higher than per account: several staff may share a clinic's address.
MAX_FAILURES_PER_IP = 20
#: Failures for one account from all addresses before its back-off starts.
ACCOUNT_BACKOFF_AFTER = 10
#: Failures for one account on one browser it has logged in from before (its own bucket).
MAX_FAILURES_PER_KNOWN_DEVICE = 5
#: How a known device's failures are marked (the audit row's detail).
DEVICE_DETAIL = "device "
#: How failures for an email with no account are marked (then a digest of the email).
UNKNOWN_EMAIL_DETAIL = "email "
EMAIL_DIGEST_CHARS = 16
#: The first wait of the account-wide back-off; it doubles with each further failure.
ACCOUNT_BACKOFF_FIRST = timedelta(seconds=2)
ACCOUNT_BACKOFF_LONGEST = timedelta(minutes=5)
#: Wrong current passwords on the password page before the login is ended.
MAX_PASSWORD_PAGE_GUESSES = 3
#: Password checks (argon2, CPU-bound) run at once in one process; more wait their turn.
PASSWORD_CHECKS_AT_ONCE = 2
#: How long a login waits for its turn before it is told the dashboard is busy.
PASSWORD_CHECK_QUEUE = timedelta(seconds=10)
SESSION_TOKEN_BYTES = 32
#: A login ends this long after it began, however busy: a working day (as the cookie).
SESSION_LONGEST = timedelta(seconds=COOKIE_MAX_AGE_SECONDS)
#: ``last_seen_at`` is written at most this often, to spare the database a write per click.
TOUCH_INTERVAL = timedelta(seconds=30)

LOGIN = "login"
LOGIN_FAILED = "login_failed"
#: A login whose password is being checked: it counts as a failure until it is known.
LOGIN_CHECKING = "login_checking"
#: A wrong current password on the password page (someone at an unlocked browser?).
CHANGE_PASSWORD_FAILED = "change_password_failed"
#: What the limits count: failures, attempts still being checked, and wrong current
#: passwords on the password page (so a guesser there meets the login limits too).
COUNTED_AS_FAILURES = (LOGIN_FAILED, LOGIN_CHECKING, CHANGE_PASSWORD_FAILED)
LOGIN_THROTTLED = "login_throttled"
LOGOUT = "logout"
#: What every refused login says: it never tells whether the account exists.
WRONG_CREDENTIALS = "That email and password do not match an active account."
THROTTLED = "Too many failed attempts from this address. Wait 15 minutes, or ask an admin to help."
BUSY = "The dashboard is busy with other logins. Try again in a moment."
BACKED_OFF = (
    "Too many failed attempts for this account from elsewhere. Try again in a few minutes, "
    "or from a device you have logged in from before."
)


_password_checks = threading.BoundedSemaphore(PASSWORD_CHECKS_AT_ONCE)


@dataclass(frozen=True)
class LoginOutcome:
    """A login attempt's result: the therapist and the new login's token, or why not."""

    therapist: Therapist | None
    refusal: str = ""
    #: The browser's token for the login opened (:func:`open_session`), shown once.
    token: str = ""


def attempt_login(
    engine: Engine | None,
    *,
    email: str,
    password: str,
    ip: str | None,
    now: datetime,
    device: Device | None = None,
) -> LoginOutcome:
    """Check a login against the limits of the module docstring, then the password.

    Two short transactions, neither of them around the password check
    (argon2 takes a fraction of a second, and on SQLite every transaction
    holds the database's write lock, which the crisis path needs):

    1. check the limits and record the attempt as ``login_checking``, which
       counts as a failure until it is known to be none, so attempts made
       while this one is being checked see it;
    2. verify the password, outside any transaction;
    3. turn the attempt into ``login`` (and open the login) or ``login_failed``.

    At most :data:`PASSWORD_CHECKS_AT_ONCE` attempts are checked at a time in
    this process; the others wait their turn (up to :data:`PASSWORD_CHECK_QUEUE`)
    before touching the database, so a flood of logins cannot take every core
    from the crisis path either.

    ``device``: this browser's device cookie; for an account that has logged in
    from it before, the attempt is limited as a known device's.
    """
    if not _password_checks.acquire(timeout=PASSWORD_CHECK_QUEUE.total_seconds()):
        return LoginOutcome(None, BUSY)
    try:
        return _attempt_login(engine, email=email, password=password, ip=ip, now=now, device=device)
    finally:
        _password_checks.release()


def _attempt_login(
    engine: Engine | None,
    *,
    email: str,
    password: str,
    ip: str | None,
    now: datetime,
    device: Device | None,
) -> LoginOutcome:
    with session_scope(engine) as session:
        _one_attempt_at_a_time(session, ip, email)
        account = therapist_by_email(session, email)
        account_id = account.id if account is not None else None
        known = DEVICE_DETAIL + device.id if device and device.knows(account_id) else None
        # An unknown email is counted like an account, so a lock-out never tells them apart.
        typed = _unknown_email_detail(email) if account_id is None else None
        refusal = _refusal(session, account_id, typed, ip, now, known_device=known)
        detail = known or typed
        if refusal:
            audit.record(
                session, action=LOGIN_THROTTLED, actor_therapist_id=account_id, ip=ip, detail=detail
            )
            return LoginOutcome(None, refusal)
        attempt_id = audit.record(
            session, action=LOGIN_CHECKING, actor_therapist_id=account_id, ip=ip, detail=detail
        ).id
        usable = account is not None and account.active
        known_hash = account.password_hash if account is not None else None
    # An unknown email costs one hash too, so timing does not reveal who has an account.
    stored_hash = known_hash or _unknown_account_hash()
    matches = verify_password(password, stored_hash)
    upgraded = hash_password(password) if matches and needs_rehash(stored_hash) else None
    with session_scope(engine) as session:
        attempt = session.get(AuditLog, attempt_id)
        assert attempt is not None
        account = session.get(Therapist, account_id) if account_id is not None else None
        # The password may have changed, or the account been closed, while it was checked.
        current = account is not None and account.active and account.password_hash == stored_hash
        if account is None or not (usable and matches and current):
            attempt.action = LOGIN_FAILED
            return LoginOutcome(None, WRONG_CREDENTIALS)
        if upgraded is not None:
            account.password_hash = upgraded
        attempt.action = LOGIN
        token = open_session(session, account, ip=ip, now=now)
        return LoginOutcome(account, token=token)


def _one_attempt_at_a_time(session: Session, ip: str | None, email: str) -> None:
    """Make concurrent attempts for one address or one email count one after the other.

    Each attempt reads the failure counts and records itself in one
    transaction; two at once must not both read the count from before the
    other. SQLite's ``BEGIN IMMEDIATE`` already runs such transactions one at
    a time; on PostgreSQL (READ COMMITTED) transaction-scoped advisory locks
    on the address and the email do, always taken in that order so that two
    attempts never wait for each other's second lock.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in (f"login ip {ip}", f"login email {email.strip().lower()}"):
        session.execute(select(func.pg_advisory_xact_lock(_lock_number(key))))


def _lock_number(key: str) -> int:
    """A signed 64-bit number for ``key``, as PostgreSQL's advisory locks take."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def wrong_current_password(
    session: Session, login: StaffSession, *, ip: str | None, now: datetime
) -> bool:
    """Record a wrong current password typed on the password page; True if the login must end.

    Someone at an unlocked, logged-in browser could otherwise guess the
    password as fast as argon2 allows, unseen, and one hit would let them
    lock the owner out. Each miss is an audit row counted with the account's
    failed logins; after :data:`MAX_PASSWORD_PAGE_GUESSES` in
    :data:`FAILURE_WINDOW` the login ends, and logging in again meets the
    login limits.
    """
    audit.record(
        session, action=CHANGE_PASSWORD_FAILED, actor_therapist_id=login.therapist_id, ip=ip
    )
    misses = session.execute(
        select(func.count(AuditLog.id)).where(
            AuditLog.action == CHANGE_PASSWORD_FAILED,
            AuditLog.actor_therapist_id == login.therapist_id,
            AuditLog.at > now - FAILURE_WINDOW,
        )
    ).scalar_one()
    if misses < MAX_PASSWORD_PAGE_GUESSES:
        return False
    login.ended_at = now
    audit.record(
        session,
        action=LOGOUT,
        actor_therapist_id=login.therapist_id,
        detail="too many wrong current passwords",
        ip=ip,
    )
    return True


def account_backoff(failures: int) -> timedelta:
    """How long after its latest failure an account with ``failures`` takes the next attempt."""
    if failures < ACCOUNT_BACKOFF_AFTER:
        return timedelta(0)
    doublings = min(failures - ACCOUNT_BACKOFF_AFTER, 16)
    return min(ACCOUNT_BACKOFF_FIRST * 2**doublings, ACCOUNT_BACKOFF_LONGEST)


def _refusal(
    session: Session,
    account_id: int | None,
    unknown_email: str | None,
    ip: str | None,
    now: datetime,
    *,
    known_device: str | None,
) -> str:
    """Why this attempt is refused before the password is checked; empty if it is not.

    ``unknown_email``: for an email with no account, the detail its failures
    carry: they are limited exactly like an account's. ``known_device``: the
    detail marking this browser's failures, if it has logged in to this
    account before (then only its own limit applies).
    """
    failures = select(func.count(AuditLog.id), func.max(AuditLog.at)).where(
        AuditLog.action.in_(COUNTED_AS_FAILURES), AuditLog.at > now - FAILURE_WINDOW
    )
    if known_device is not None:
        own = session.execute(
            failures.where(
                AuditLog.actor_therapist_id == account_id, AuditLog.detail == known_device
            )
        ).one()[0]
        return THROTTLED if own >= MAX_FAILURES_PER_KNOWN_DEVICE else ""
    # A known device's failures are its own: they lock out no one else at its address.
    strangers = failures.where(
        or_(AuditLog.detail.is_(None), not_(AuditLog.detail.startswith(DEVICE_DETAIL)))
    )
    if ip is not None:
        from_here = session.execute(strangers.where(AuditLog.ip == ip)).one()[0]
        if from_here >= MAX_FAILURES_PER_IP:
            return THROTTLED
    of_account = strangers.where(
        AuditLog.actor_therapist_id == account_id
        if account_id is not None
        else AuditLog.detail == unknown_email
    )
    if ip is not None:
        pair = session.execute(of_account.where(AuditLog.ip == ip)).one()[0]
        if pair >= MAX_FAILURES_PER_ACCOUNT_AND_IP:
            return THROTTLED
    count, latest = session.execute(of_account).one()
    if latest is not None and now < latest + account_backoff(int(count)):
        return BACKED_OFF
    return ""


def _unknown_email_detail(email: str) -> str:
    """How failures for an email with no account are told apart: a digest, not the text typed
    (which may be a password typed in the wrong box)."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:EMAIL_DIGEST_CHARS]
    return UNKNOWN_EMAIL_DETAIL + digest


@cache
def _unknown_account_hash() -> str:
    """A hash no password matches, checked for unknown emails (made once per process)."""
    return hash_password(secrets.token_urlsafe(SESSION_TOKEN_BYTES))


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


def current_login(
    session: Session, token: str, *, now: datetime, idle: timedelta
) -> StaffSession | None:
    """The open login of an active account for ``token``, or None (unknown, ended, idle, old).

    An idle session, or one begun more than :data:`SESSION_LONGEST` ago however
    busy (the take-over page refreshes every 15 s), is ended here, so it cannot
    come back to life.
    """
    row = session.execute(
        select(StaffSession).where(StaffSession.token_hash == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > idle or now - row.created_at > SESSION_LONGEST:
        row.ended_at = now
        return None
    if not row.therapist.active:
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL:
        row.last_seen_at = now
    return row


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
