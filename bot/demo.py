"""The demo clinic behind ``wisemind demo seed``: always the same people, never known passwords.

Seeding is idempotent: the first run creates an admin, two therapists on call
around the clock (primary and backup), and one enrolled, consented client;
later runs find them and change nothing. Passwords are generated when an
account is created, returned once for the CLI to print, and kept in a private
file (mode 0600) under ``var/`` so that a later run can say where they are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from bot.clinic import add_client, add_therapist, client_by_code, set_oncall, therapist_by_email
from bot.dashboard.demo_data import seed_demo_history
from bot.settings import load_settings
from bot.storage.enums import Locale, OncallRole, Role
from bot.storage.models import utcnow

CREDENTIALS_FILENAME = "demo-credentials.txt"
#: The demo client's fixed code, so ``wisemind chat`` and the docs can name the conversation.
DEMO_CLIENT_CODE = "DEMO0001"
#: Recorded as the consent version: this consent was seeded, not given by a person.
DEMO_CONSENT_VERSION = "demo-seed"


@dataclass(frozen=True)
class DemoStaff:
    email: str
    name: str
    role: str
    sms_number: str | None = None
    #: Their place on the rota: every day, all day.
    oncall_role: str | None = None


@dataclass(frozen=True)
class DemoClient:
    name: str
    therapist_email: str
    timezone: str
    sms_number: str
    telegram_chat_id: str


DEMO_STAFF = (
    DemoStaff("admin@demo.clinic", "Demo Admin", Role.ADMIN),
    DemoStaff(
        "therapist@demo.clinic",
        "Dr. Demo Therapist",
        Role.THERAPIST,
        sms_number="+15005550001",
        oncall_role=OncallRole.PRIMARY,
    ),
    DemoStaff(
        "backup@demo.clinic",
        "Dr. Demo Backup",
        Role.THERAPIST,
        sms_number="+15005550003",
        oncall_role=OncallRole.BACKUP,
    ),
)
DEMO_CLIENT = DemoClient(
    name="Demo Client",
    therapist_email="therapist@demo.clinic",
    timezone="America/New_York",
    sms_number="+15005550006",
    telegram_chat_id="777000",
)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    #: The password, when this run created the account; None when it already existed.
    password: str | None


@dataclass(frozen=True)
class DemoCredentials:
    """What ``wisemind demo seed`` reports."""

    accounts: tuple[DemoAccount, ...]
    client_code: str
    #: Where the generated passwords are kept (written on the run that created accounts).
    credentials_file: Path

    @property
    def created(self) -> bool:
        """Whether this run created any account (and so has passwords to show)."""
        return any(account.password is not None for account in self.accounts)


def seed_demo(session: Session, *, credentials_file: Path | None = None) -> DemoCredentials:
    """Create whatever part of the demo clinic is missing; leave the rest untouched."""
    path = credentials_file or load_settings().var_dir / CREDENTIALS_FILENAME
    accounts = tuple(_ensure_staff(session, staff) for staff in DEMO_STAFF)
    _ensure_client(session, DEMO_CLIENT)
    _ensure_history(session)
    new_passwords = {a.email: a.password for a in accounts if a.password is not None}
    if new_passwords:
        _save_passwords(path, new_passwords)
    return DemoCredentials(accounts=accounts, client_code=DEMO_CLIENT_CODE, credentials_file=path)


def _ensure_staff(session: Session, staff: DemoStaff) -> DemoAccount:
    if therapist_by_email(session, staff.email) is not None:
        return DemoAccount(staff.email, staff.role, password=None)
    _, password = add_therapist(
        session, email=staff.email, name=staff.name, role=staff.role, sms_number=staff.sms_number
    )
    if staff.oncall_role is not None:
        set_oncall(session, therapist_email=staff.email, role=staff.oncall_role)
    return DemoAccount(staff.email, staff.role, password)


def _ensure_client(session: Session, demo: DemoClient) -> None:
    if client_by_code(session, DEMO_CLIENT_CODE) is not None:
        return
    client, enrolment = add_client(
        session,
        name=demo.name,
        therapist_email=demo.therapist_email,
        timezone=demo.timezone,
        locale=Locale.EN,
        sms_number=demo.sms_number,
        telegram_chat_id=demo.telegram_chat_id,
    )
    now = utcnow()
    client.code = DEMO_CLIENT_CODE  # fixed instead of random, so the demo can name it
    client.consent_at = now
    client.consent_version = DEMO_CONSENT_VERSION
    enrolment.used_at = now  # enrolled: the therapist registered both channels
    session.flush()


def _ensure_history(session: Session) -> None:
    """Sixty days of diary cards, practices and messages, for a living dashboard."""
    client = client_by_code(session, DEMO_CLIENT_CODE)
    therapist = therapist_by_email(session, DEMO_CLIENT.therapist_email)
    if client is not None and therapist is not None:
        seed_demo_history(session, client, therapist, utcnow())


def _save_passwords(path: Path, new_passwords: dict[str, str]) -> None:
    """Merge ``new_passwords`` into the credentials file, readable by its owner only."""
    passwords = _read_passwords(path) | new_passwords
    lines = [
        "# WiseMind demo clinic: passwords generated by `wisemind demo seed`.",
        "# Keep this file private; change the passwords before real use.",
        *(f"{email} {password}" for email, password in passwords.items()),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp")
    # Created 0600 from the start: the passwords are never readable by others, even briefly.
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(staging, 0o600)  # in case a stale staging file had looser permissions
    os.replace(staging, path)


def _read_passwords(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    passwords: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            email, _, password = line.partition(" ")
            passwords[email] = password
    return passwords
