"""Running the clinic: staff accounts, clients and their channels, consent, the on-call rota.

Plain functions on a SQLAlchemy session, shared by the CLI, the dashboard and
the action server. Each one validates its input and raises :class:`ClinicError`
with a one-line message a person can act on; none of them commits (the
caller's ``session_scope`` does).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.passwords import generate_password, hash_password
from bot.storage.enums import (
    ADDRESS_MAX_LENGTH,
    CLIENT_CODE_LENGTH,
    CONSENT_VERSION_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    ENROLMENT_CODE_LENGTH,
    ENROLMENT_CODE_LIFETIME,
    NAME_MAX_LENGTH,
    Channel,
    Locale,
    OncallRole,
    Role,
)
from bot.storage.models import (
    Client,
    ClientIdentity,
    EnrolmentCode,
    OncallShift,
    Therapist,
    unique_code,
    utcnow,
)

#: E.164: a plus sign and 8 to 15 digits, the first not 0.
E164_PATTERN = re.compile(r"\+[1-9]\d{7,14}")
#: Separators people type inside phone numbers and codes, dropped before checking.
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
_CODE_SEPARATORS = re.compile(r"[\s-]")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
#: Telegram chat ids are integers (negative for groups).
TELEGRAM_CHAT_ID_PATTERN = re.compile(r"-?\d{1,20}")
PASSWORD_MIN_LENGTH = 12
#: Long passphrases are welcome; this only bounds the work one login makes the hasher do.
PASSWORD_MAX_LENGTH = 1024
#: 00:00–00:00 on a rota shift means the whole day.
MIDNIGHT = time(0)


class ClinicError(ValueError):
    """Input a clinic operation cannot accept; the message is one line for a person."""


class AddressTaken(ClinicError):
    """A phone number or Telegram chat that already belongs to a client (``owner``)."""

    def __init__(self, channel: str, address: str, owner: Client) -> None:
        super().__init__(f"The {channel} address {address} already belongs to a client.")
        self.owner = owner


def add_therapist(
    session: Session,
    *,
    email: str,
    name: str,
    role: str = Role.THERAPIST,
    sms_number: str | None = None,
    telegram_chat_id: str | int | None = None,
    password: str | None = None,
    must_change_password: bool = False,
) -> tuple[Therapist, str]:
    """Create a staff account; returns it with its password, the only time it is shown.

    A password is generated unless one is given. Pages go by SMS when there is
    a number, otherwise by Telegram. ``must_change_password``: the person
    choosing it is not the account's owner, who must replace it at their
    first login.
    """
    email = normalise_email(email)
    name = _check_name(name)
    if role not in Role.ALL:
        raise ClinicError(f"Role must be one of {', '.join(Role.ALL)}, not {role!r}.")
    sms = normalise_phone(sms_number) if sms_number is not None else None
    chat_id = normalise_telegram_chat_id(telegram_chat_id) if telegram_chat_id is not None else None
    if password is not None:
        check_password_strength(password)
    if therapist_by_email(session, email) is not None:
        raise ClinicError(f"There is already an account for {email}.")
    if sms is not None and _therapist_exists(session, Therapist.sms_number == sms):
        raise ClinicError(f"Another account already uses the number {sms}.")
    if chat_id is not None and _therapist_exists(session, Therapist.telegram_chat_id == chat_id):
        raise ClinicError(f"Another account already uses the Telegram chat {chat_id}.")
    password = password or generate_password()
    therapist = Therapist(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        sms_number=sms,
        telegram_chat_id=chat_id,
        page_channel=Channel.SMS if sms is not None or chat_id is None else Channel.TELEGRAM,
        must_change_password=must_change_password,
    )
    session.add(therapist)
    session.flush()
    return therapist, password


def check_password_strength(password: str) -> str:
    """``password`` if it is long enough for a staff account (length is what counts)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ClinicError(f"Passwords must be at least {PASSWORD_MIN_LENGTH} characters long.")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ClinicError(f"Passwords must be at most {PASSWORD_MAX_LENGTH} characters long.")
    return password


def therapist_by_email(session: Session, email: str) -> Therapist | None:
    """The account for ``email``, whatever its case; None if there is none."""
    wanted = email.strip().lower()
    return session.execute(select(Therapist).where(Therapist.email == wanted)).scalar_one_or_none()


def add_client(
    session: Session,
    *,
    name: str,
    therapist_email: str,
    timezone: str,
    locale: str = Locale.EN,
    sms_number: str | None = None,
    telegram_chat_id: str | int | None = None,
) -> tuple[Client, EnrolmentCode]:
    """Enrol a client in a therapist's caseload; returns the client and an enrolment code.

    Channels given here are linked at once (the therapist registered them);
    the client can link others by sending the enrolment code.
    """
    name = _check_name(name)
    therapist = _active_therapist(session, therapist_email)
    check_timezone(timezone)
    if locale not in Locale.ALL:
        raise ClinicError(f"Language must be one of {', '.join(Locale.ALL)}, not {locale!r}.")
    identities = []
    if sms_number is not None:
        identities.append((Channel.SMS, normalise_phone(sms_number)))
    if telegram_chat_id is not None:
        identities.append((Channel.TELEGRAM, normalise_telegram_chat_id(telegram_chat_id)))
    for channel, address in identities:
        owner = client_for_identity(session, channel, address)
        if owner is not None:
            raise AddressTaken(channel, address, owner)
    client = Client(
        code=unique_code(session, Client.code, CLIENT_CODE_LENGTH),
        name=name,
        therapist_id=therapist.id,
        timezone=timezone,
        locale=locale,
    )
    session.add(client)
    session.flush()
    for channel, address in identities:
        session.add(ClientIdentity(client_id=client.id, channel=channel, address=address))
    code = new_enrolment_code(session, client, created_by=therapist)
    return client, code


def reassign_client(session: Session, client: Client, therapist_email: str) -> Therapist:
    """Move ``client`` to another active therapist's caseload (a therapist leaving, cover)."""
    therapist = _active_therapist(session, therapist_email)
    if therapist.id == client.therapist_id:
        raise ClinicError(f"{client.code} is already in {therapist.name}'s caseload.")
    client.therapist_id = therapist.id
    session.flush()
    session.expire(client, ["therapist"])
    return therapist


def new_enrolment_code(
    session: Session, client: Client, *, created_by: Therapist | None = None
) -> EnrolmentCode:
    """A fresh one-time code for ``client`` (earlier codes stay valid until they expire)."""
    now = utcnow()
    code = EnrolmentCode(
        code=unique_code(session, EnrolmentCode.code, ENROLMENT_CODE_LENGTH),
        client_id=client.id,
        created_by=created_by.id if created_by is not None else None,
        created_at=now,
        expires_at=now + ENROLMENT_CODE_LIFETIME,
    )
    session.add(code)
    session.flush()
    return code


def redeem_enrolment_code(session: Session, code: str, *, channel: str, address: str) -> Client:
    """Link the sender's channel to the client the code was issued for.

    ``code`` may be typed in any case, with spaces or dashes. A code works
    once; sending it again from the channel it linked is harmless.
    """
    address = normalise_address(channel, address)
    enrolment = session.execute(
        select(EnrolmentCode).where(EnrolmentCode.code == normalise_code(code)).with_for_update()
    ).scalar_one_or_none()
    if enrolment is None:
        raise ClinicError("That code is not valid. Please check it with your therapist.")
    client = enrolment.client
    linked = client_for_identity(session, channel, address)
    if linked is not None and linked.id != client.id:
        raise ClinicError(
            "This account is already linked to someone else. Please ask your therapist."
        )
    if enrolment.used_at is not None:
        if linked is not None:
            return client
        raise ClinicError(
            "That code has already been used. Please ask your therapist for a new one."
        )
    if enrolment.expires_at <= utcnow():
        raise ClinicError("That code has expired. Please ask your therapist for a new one.")
    if client.discharged_at is not None:
        raise ClinicError("That code is no longer valid. Please contact your clinic.")
    enrolment.used_at = utcnow()
    if linked is None:
        session.add(ClientIdentity(client_id=client.id, channel=channel, address=address))
    session.flush()
    return client


def client_for_identity(session: Session, channel: str, address: str) -> Client | None:
    """The client who owns this channel address; None for an unknown (or malformed) sender.

    Discharged and opted-out clients are returned too: callers decide what they may get.
    """
    if channel not in Channel.ALL:
        raise ClinicError(f"Unknown channel {channel!r}; expected one of {', '.join(Channel.ALL)}.")
    try:
        address = normalise_address(channel, address)
    except ClinicError:
        return None
    return session.execute(
        select(Client)
        .join(ClientIdentity, ClientIdentity.client_id == Client.id)
        .where(ClientIdentity.channel == channel, ClientIdentity.address == address)
    ).scalar_one_or_none()


def therapist_for_identity(session: Session, channel: str, address: str) -> Therapist | None:
    """The active staff member paged at this SMS number or Telegram chat, if any."""
    try:
        address = normalise_address(channel, address)
    except ClinicError:
        return None
    column = {Channel.SMS: Therapist.sms_number, Channel.TELEGRAM: Therapist.telegram_chat_id}
    if channel not in column:
        return None
    return session.execute(
        select(Therapist).where(column[channel] == address, Therapist.active.is_(True))
    ).scalar_one_or_none()


def client_by_code(session: Session, code: str) -> Client | None:
    """The client whose code (their Rasa conversation id) this is, typed any which way."""
    return session.execute(
        select(Client).where(Client.code == normalise_code(code))
    ).scalar_one_or_none()


def record_consent(session: Session, client: Client, version: str) -> None:
    """Note that the client agreed, now, to the terms of ``version``."""
    version = version.strip()
    if not 0 < len(version) <= CONSENT_VERSION_MAX_LENGTH:
        raise ClinicError(f"Consent version must be 1 to {CONSENT_VERSION_MAX_LENGTH} characters.")
    client.consent_at = utcnow()
    client.consent_version = version
    session.flush()


def set_oncall(
    session: Session,
    *,
    therapist_email: str,
    role: str,
    weekday: int | None = None,
    start: time = MIDNIGHT,
    end: time = MIDNIGHT,
) -> OncallShift:
    """Put a therapist on the rota (clinic time zone); the same shift twice is one shift.

    ``weekday`` 0 (Monday) to 6, or None for every day. ``end`` before
    ``start`` runs past midnight into the next day; 00:00–00:00 is all day.
    """
    therapist = _active_therapist(session, therapist_email)
    check_shift(RotaShift(role, weekday, start, end))
    shift = session.execute(
        select(OncallShift).where(
            OncallShift.therapist_id == therapist.id,
            OncallShift.role == role,
            OncallShift.weekday.is_(None) if weekday is None else OncallShift.weekday == weekday,
            OncallShift.start_time == start,
            OncallShift.end_time == end,
        )
    ).scalar_one_or_none()
    if shift is None:
        shift = OncallShift(
            therapist_id=therapist.id, role=role, weekday=weekday, start_time=start, end_time=end
        )
        session.add(shift)
        session.flush()
    return shift


def remove_oncall(session: Session, shift_id: int) -> OncallShift:
    """Take a shift off the rota; returns it (deleted) so the caller can say which."""
    shift = session.get(OncallShift, shift_id)
    if shift is None:
        raise ClinicError(f"There is no shift {shift_id} on the rota.")
    session.delete(shift)
    session.flush()
    return shift


@dataclass(frozen=True)
class RotaShift:
    """A shift's times, on the rota or only proposed (see :func:`oncall_gaps`)."""

    role: str
    weekday: int | None
    start_time: time
    end_time: time


def check_shift(shift: RotaShift) -> RotaShift:
    """``shift`` if it can go on the rota; a :class:`ClinicError` saying why not otherwise."""
    if shift.role not in OncallRole.ALL:
        raise ClinicError(
            f"On-call role must be one of {', '.join(OncallRole.ALL)}, not {shift.role!r}."
        )
    if shift.weekday is not None and not 0 <= shift.weekday <= 6:
        raise ClinicError("Weekday must be 0 (Monday) to 6 (Sunday), or empty for every day.")
    if shift.start_time == shift.end_time and shift.start_time != MIDNIGHT:
        raise ClinicError("A shift cannot end when it starts; use 00:00 to 00:00 for all day.")
    return shift


def parse_clock(value: str) -> time:
    """A rota time typed as ``HH:MM``; ``24:00`` is midnight at the end of the day."""
    hours, _, minutes = value.strip().partition(":")
    if value.strip() == "24:00":
        return MIDNIGHT
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ClinicError(f"Expected a time like 09:00, got {value!r}.")
    if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        raise ClinicError(f"Expected a time like 09:00, got {value!r}.")
    return time(int(hours), int(minutes))


def oncall_for(
    session: Session, at: datetime, clinic_tz: str | tzinfo, *, include_demo: bool = True
) -> dict[str, Therapist | None]:
    """Who is on call at ``at``: ``{"primary": ..., "backup": ...}`` (None if nobody).

    When several shifts cover the moment, a shift for that weekday beats an
    every-day one (so a rota can carve out exceptions), then the newest wins.
    Inactive accounts are never on call; demo staff only with ``include_demo``.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ClinicError("The time to look up the rota for must be timezone-aware.")
    tz = ZoneInfo(check_timezone(clinic_tz)) if isinstance(clinic_tz, str) else clinic_tz
    local = at.astimezone(tz)
    query = (
        select(OncallShift)
        .join(Therapist, Therapist.id == OncallShift.therapist_id)
        .where(Therapist.active.is_(True))
        .order_by(OncallShift.id)
    )
    if not include_demo:
        query = query.where(Therapist.is_demo.is_(False))
    shifts = session.execute(query).scalars()
    on_call: dict[str, Therapist | None] = dict.fromkeys(OncallRole.ALL)
    best: dict[str, tuple[bool, int]] = {}
    for shift in shifts:
        if not _covers(shift, local):
            continue
        rank = (shift.weekday is not None, shift.id)
        if shift.role not in best or rank > best[shift.role]:
            best[shift.role] = rank
            on_call[shift.role] = shift.therapist
    return on_call


@dataclass(frozen=True)
class RotaGap:
    """A stretch of the week with nobody on call in one role (clinic-local times)."""

    role: str
    start: datetime
    end: datetime

    def describe(self) -> str:
        if self.end - self.start >= _WEEK:
            return f"{self.role}: nobody at any time"
        return f"{self.role}: nobody from {self.start:%a %H:%M} to {self.end:%a %H:%M}"


#: A Monday with no daylight-saving change in the week after it: the rota's model week.
_MODEL_WEEK = datetime(2026, 1, 5)
_ROTA_STEP = timedelta(minutes=1)
_WEEK = timedelta(days=7)


def oncall_gaps(
    session: Session,
    *,
    include_demo: bool = True,
    adding: Sequence[RotaShift] = (),
    leave_out: Collection[int] = (),
) -> list[RotaGap]:
    """Every stretch of the weekly rota where a role has no active therapist.

    Shifts repeat weekly, so checking one week minute by minute finds every
    gap. Without ``include_demo``, demo staff cover nothing; nor do the
    therapists in ``leave_out`` (ids of those who cannot be paged). ``adding``:
    shifts of active staff not on the rota yet, to show what a change would leave.
    """
    query = (
        select(OncallShift)
        .join(Therapist, Therapist.id == OncallShift.therapist_id)
        .where(Therapist.active.is_(True), Therapist.id.not_in(list(leave_out)))
    )
    if not include_demo:
        query = query.where(Therapist.is_demo.is_(False))
    shifts: list[OncallShift | RotaShift] = [*session.execute(query).scalars(), *adding]
    gaps: list[RotaGap] = []
    for role in OncallRole.ALL:
        role_shifts = [shift for shift in shifts if shift.role == role]
        role_gaps: list[RotaGap] = []
        gap_start: datetime | None = None
        moment = _MODEL_WEEK
        while moment < _MODEL_WEEK + _WEEK:
            covered = any(_covers(shift, moment) for shift in role_shifts)
            if not covered and gap_start is None:
                gap_start = moment
            elif covered and gap_start is not None:
                role_gaps.append(RotaGap(role, gap_start, moment))
                gap_start = None
            moment += _ROTA_STEP
        if gap_start is not None:
            role_gaps.append(RotaGap(role, gap_start, moment))
        wraps = role_gaps and role_gaps[0].start == _MODEL_WEEK
        if len(role_gaps) > 1 and wraps and role_gaps[-1].end == _MODEL_WEEK + _WEEK:
            # The week wraps around: Friday evening to Monday morning is one gap.
            first, last = role_gaps[0], role_gaps.pop()
            role_gaps[0] = RotaGap(role, last.start, first.end + _WEEK)
        gaps += role_gaps
    return gaps


def _covers(shift: OncallShift | RotaShift, local: datetime) -> bool:
    """Whether ``shift`` covers the clinic-local moment ``local``."""
    now, today, yesterday = local.time(), local.weekday(), (local.weekday() - 1) % 7
    on_day = shift.weekday in (None, today)
    start, end = shift.start_time, shift.end_time
    if start == end:  # only 00:00–00:00 is allowed: the whole day
        return on_day
    if start < end:
        return on_day and start <= now < end
    # Past midnight: the evening belongs to the shift's weekday, the early hours to the next day.
    return (on_day and now >= start) or (shift.weekday in (None, yesterday) and now < end)


def normalise_email(email: str) -> str:
    """``email`` lower-cased and trimmed, if it looks like an address."""
    email = email.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise ClinicError(f"{email!r} does not look like an email address.")
    return email


def normalise_phone(number: str) -> str:
    """``number`` in E.164 (``+15005550006``); spaces, dashes, dots and brackets are dropped."""
    compact = _PHONE_SEPARATORS.sub("", number)
    if not E164_PATTERN.fullmatch(compact):
        raise ClinicError(
            f"{number!r} is not a phone number in international format, like +15005550006."
        )
    return compact


def normalise_telegram_chat_id(chat_id: str | int) -> str:
    """A Telegram chat id as the string stored (``777000``)."""
    text = str(chat_id).strip()
    if not TELEGRAM_CHAT_ID_PATTERN.fullmatch(text):
        raise ClinicError(f"{text!r} is not a Telegram chat id (a whole number).")
    return text


def normalise_address(channel: str, address: str) -> str:
    """A channel address in stored form: E.164 for SMS, a chat id for Telegram."""
    if channel == Channel.SMS:
        return normalise_phone(address)
    if channel == Channel.TELEGRAM:
        return normalise_telegram_chat_id(address)
    if channel == Channel.LOCAL:
        address = address.strip()
        if not 0 < len(address) <= ADDRESS_MAX_LENGTH:
            raise ClinicError(f"A local address must be 1 to {ADDRESS_MAX_LENGTH} characters.")
        return address
    raise ClinicError(f"Unknown channel {channel!r}; expected one of {', '.join(Channel.ALL)}.")


def normalise_code(code: str) -> str:
    """A client or enrolment code as stored: upper case, without spaces or dashes."""
    return _CODE_SEPARATORS.sub("", code).upper()


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone (``America/New_York``)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ClinicError(
            f"{name!r} is not a known time zone; use a name like America/New_York."
        ) from None
    return name


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not 0 < len(name) <= NAME_MAX_LENGTH:
        raise ClinicError(f"A name must be 1 to {NAME_MAX_LENGTH} characters.")
    return name


def _active_therapist(session: Session, email: str) -> Therapist:
    therapist = therapist_by_email(session, email)
    if therapist is None or not therapist.active:
        raise ClinicError(f"There is no active account for {email.strip().lower()}.")
    return therapist


def _therapist_exists(session: Session, condition: object) -> bool:
    return session.execute(select(Therapist.id).where(condition)).first() is not None
