"""``wisemind demo seed``: the same demo clinic every time, with passwords nobody wrote down."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.clinic import client_by_code, client_for_identity, oncall_for, therapist_by_email
from bot.demo import DemoCredentials, seed_demo
from bot.passwords import verify_password
from bot.storage import session_scope
from bot.storage.database import create_engine_for
from bot.storage.enums import Channel, Role
from bot.storage.migrate import upgrade
from bot.storage.models import Base

STAFF = ("admin@demo.clinic", "therapist@demo.clinic", "backup@demo.clinic")


@pytest.fixture
def credentials_file(tmp_path: Path) -> Path:
    return tmp_path / "var" / "demo-credentials.txt"


def seed(engine: Engine, credentials_file: Path) -> DemoCredentials:
    with session_scope(engine) as session:
        return seed_demo(session, credentials_file=credentials_file)


def every_row(engine: Engine) -> dict[str, list[Any]]:
    """The whole content of WiseMind's tables, for before/after comparisons."""
    with engine.connect() as connection:
        return {
            table: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}"))]
            for table in sorted(Base.metadata.tables)
        }


def test_demo_seed_creates_the_documented_clinic(
    migrated_engine: Engine, credentials_file: Path
) -> None:
    result = seed(migrated_engine, credentials_file)
    assert [account.email for account in result.accounts] == list(STAFF)
    assert result.client_code == "DEMO0001"
    with session_scope(migrated_engine) as session:
        admin, therapist, backup = (therapist_by_email(session, email) for email in STAFF)
        assert admin is not None and admin.role == Role.ADMIN
        assert therapist is not None and backup is not None
        assert (therapist.name, therapist.sms_number, therapist.page_channel) == (
            "Dr. Demo Therapist",
            "+15005550001",
            Channel.SMS,
        )
        assert backup.sms_number == "+15005550003"

        client = client_by_code(session, "DEMO0001")
        assert client is not None
        assert (client.name, client.timezone, client.therapist) == (
            "Demo Client",
            "America/New_York",
            therapist,
        )
        assert client.consent_at is not None and client.consent_version
        assert client_for_identity(session, Channel.SMS, "+15005550006") is client
        assert client_for_identity(session, Channel.TELEGRAM, "777000") is client

        week = datetime(2026, 7, 6, tzinfo=timezone.utc)
        for hour in range(0, 24 * 7, 5):
            assert oncall_for(session, week + timedelta(hours=hour), "America/New_York") == {
                "primary": therapist,
                "backup": backup,
            }


def test_demo_seed_twice_leaves_the_same_clinic(
    migrated_engine: Engine, credentials_file: Path
) -> None:
    first = seed(migrated_engine, credentials_file)
    rows = every_row(migrated_engine)
    saved = credentials_file.read_text()
    second = seed(migrated_engine, credentials_file)
    assert every_row(migrated_engine) == rows
    assert credentials_file.read_text() == saved
    assert first.created and not second.created
    assert [account.password for account in second.accounts] == [None, None, None]
    assert second.credentials_file == credentials_file


def test_demo_passwords_are_kept_in_a_private_file_and_work(
    migrated_engine: Engine, credentials_file: Path
) -> None:
    result = seed(migrated_engine, credentials_file)
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    saved = dict(
        line.split(" ", 1)
        for line in credentials_file.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert saved == {account.email: account.password for account in result.accounts}
    with Session(migrated_engine, future=True) as session:
        for email, password in saved.items():
            account = therapist_by_email(session, email)
            assert account is not None and verify_password(password, account.password_hash)


def test_demo_passwords_are_generated_not_written_down(
    migrated_engine: Engine, credentials_file: Path, tmp_path: Path
) -> None:
    other_url = f"sqlite:///{tmp_path / 'other-clinic.db'}"
    upgrade(other_url)
    other_engine = create_engine_for(other_url)
    try:
        first = seed(migrated_engine, credentials_file)
        second = seed(other_engine, tmp_path / "other-credentials.txt")
    finally:
        other_engine.dispose()
    first_passwords = {account.password for account in first.accounts}
    second_passwords = {account.password for account in second.accounts}
    assert len(first_passwords) == 3 and not first_passwords & second_passwords
