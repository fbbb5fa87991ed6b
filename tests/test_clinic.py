"""Running the clinic: accounts, passwords, enrolment, consent and the on-call rota."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from bot.clinic import (
    ClinicError,
    add_client,
    add_therapist,
    client_by_code,
    client_for_identity,
    oncall_for,
    record_consent,
    redeem_enrolment_code,
    set_oncall,
)
from bot.passwords import generate_password, hash_password, verify_password
from bot.storage.enums import CODE_ALPHABET, Channel, OncallRole, Role
from bot.storage.models import Client, EnrolmentCode, utcnow

NEW_YORK = ZoneInfo("America/New_York")
#: Monday 6 July 2026, in the clinic's time zone.
MONDAY = datetime(2026, 7, 6, tzinfo=NEW_YORK)


def therapist(session: Session, email: str = "ana@clinic.test", **fields: Any) -> str:
    """A new therapist account; returns its email."""
    add_therapist(session, email=email, name="Dr. Ana Lopez", **fields)
    return email


def enrol(session: Session, **fields: Any) -> tuple[Client, EnrolmentCode]:
    """A new client of a new therapist, with their enrolment code."""
    return add_client(
        session,
        name="Robin Example",
        therapist_email=therapist(session),
        timezone="America/Chicago",
        **fields,
    )


# Passwords


def test_a_password_hash_verifies_only_its_password() -> None:
    stored = hash_password("correct horse battery")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)


def test_password_hashes_are_salted_and_carry_their_parameters() -> None:
    first, second = hash_password("same"), hash_password("same")
    assert first != second
    assert first.startswith("$argon2id$")


@pytest.mark.parametrize("stored", ["", "plain", "md5$1$2$3$aa$bb", "scrypt$x$8$1$aa$bb"])
def test_a_malformed_hash_never_verifies(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_generated_passwords_are_long_and_different() -> None:
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20
    assert all(len(password) >= 16 for password in passwords)


# Staff accounts


def test_add_therapist_returns_a_generated_password_once(db_session: Session) -> None:
    account, password = add_therapist(
        db_session, email="  Ana@Clinic.Test ", name="Dr. Ana", sms_number="+1 500-555-0001"
    )
    assert account.email == "ana@clinic.test"
    assert account.sms_number == "+15005550001"
    assert account.page_channel == Channel.SMS
    assert account.role == Role.THERAPIST
    assert password not in account.password_hash
    assert verify_password(password, account.password_hash)


def test_add_therapist_pages_by_telegram_without_a_phone(db_session: Session) -> None:
    account, _ = add_therapist(db_session, email="t@clinic.test", name="T", telegram_chat_id=4242)
    assert (account.telegram_chat_id, account.page_channel) == ("4242", Channel.TELEGRAM)


def test_add_therapist_refuses_a_second_account_for_an_email(db_session: Session) -> None:
    therapist(db_session, "ana@clinic.test")
    with pytest.raises(ClinicError, match="already an account"):
        therapist(db_session, "ANA@clinic.test")


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"email": "not-an-email"}, "email address"),
        ({"email": "ana@localhost"}, "email address"),
        ({"sms_number": "5005550001"}, "international format"),
        ({"sms_number": "+1555"}, "international format"),
        ({"telegram_chat_id": "@ana"}, "Telegram chat id"),
        ({"role": "superuser"}, "Role"),
        ({"password": "short"}, "at least 12"),
        ({"name": "   "}, "name"),
    ],
)
def test_add_therapist_refuses_bad_input(
    db_session: Session, fields: dict[str, str], problem: str
) -> None:
    arguments = {"email": "ana@clinic.test", "name": "Dr. Ana"} | fields
    with pytest.raises(ClinicError, match=problem):
        add_therapist(db_session, **arguments)


def test_two_accounts_cannot_share_a_pager(db_session: Session) -> None:
    therapist(db_session, "a@clinic.test", sms_number="+15005550001")
    with pytest.raises(ClinicError, match="already uses the number"):
        therapist(db_session, "b@clinic.test", sms_number="+15005550001")


# Clients and enrolment


def test_add_client_links_given_channels_and_issues_an_enrolment_code(
    db_session: Session,
) -> None:
    client, code = add_client(
        db_session,
        name="Robin  Example",
        therapist_email=therapist(db_session),
        timezone="Europe/Madrid",
        locale="es",
        sms_number="+34600000001",
        telegram_chat_id="555",
    )
    assert (client.name, client.timezone, client.locale) == ("Robin Example", "Europe/Madrid", "es")
    assert len(client.code) == 8 and set(client.code) <= set(CODE_ALPHABET)
    assert (client.quiet_start, client.quiet_end) == (time(22), time(8))
    assert client.consent_at is None
    assert client_for_identity(db_session, Channel.SMS, "+34600000001") is client
    assert client_for_identity(db_session, Channel.TELEGRAM, "555") is client
    assert len(code.code) == 8 and set(code.code) <= set(CODE_ALPHABET)
    assert code.used_at is None
    assert code.expires_at - code.created_at == timedelta(days=14)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "time zone"),
        ({"timezone": "../etc/passwd"}, "time zone"),
        ({"locale": "fr"}, "Language"),
        ({"therapist_email": "nobody@clinic.test"}, "no active account"),
        ({"sms_number": "555-0100"}, "international format"),
    ],
)
def test_add_client_refuses_bad_input(
    db_session: Session, fields: dict[str, str], problem: str
) -> None:
    arguments = {
        "name": "Robin",
        "therapist_email": therapist(db_session),
        "timezone": "UTC",
    } | fields
    with pytest.raises(ClinicError, match=problem):
        add_client(db_session, **arguments)


def test_a_phone_belongs_to_one_client(db_session: Session) -> None:
    enrol(db_session, sms_number="+15005550006")
    with pytest.raises(ClinicError, match="already belongs to a client"):
        add_client(
            db_session,
            name="Other",
            therapist_email="ana@clinic.test",
            timezone="UTC",
            sms_number="+15005550006",
        )


def test_enrolment_code_links_a_phone_once(db_session: Session) -> None:
    client, enrolment = enrol(db_session)
    sms = {"channel": Channel.SMS, "address": "+15005550006"}
    assert redeem_enrolment_code(db_session, enrolment.code, **sms) is client
    assert enrolment.used_at is not None
    assert client_for_identity(db_session, **sms) is client
    # The same phone sending the code again is harmless; another phone cannot reuse it.
    assert redeem_enrolment_code(db_session, enrolment.code, **sms) is client
    assert len(client.identities) == 1
    with pytest.raises(ClinicError, match="already been used"):
        redeem_enrolment_code(
            db_session, enrolment.code, channel=Channel.SMS, address="+15005550007"
        )


def test_enrolment_code_may_be_typed_in_any_case_with_spaces_and_dashes(
    db_session: Session,
) -> None:
    client, enrolment = enrol(db_session)
    typed = f" {enrolment.code[:4].lower()}-{enrolment.code[4:]} "
    linked = redeem_enrolment_code(db_session, typed, channel=Channel.TELEGRAM, address="777000")
    assert linked is client


def test_unknown_enrolment_code_is_refused(db_session: Session) -> None:
    enrol(db_session)
    with pytest.raises(ClinicError, match="not valid"):
        redeem_enrolment_code(db_session, "ZZZZZZZZ", channel=Channel.SMS, address="+15005550006")


def test_expired_enrolment_code_is_refused(db_session: Session) -> None:
    _, enrolment = enrol(db_session)
    enrolment.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(ClinicError, match="expired"):
        redeem_enrolment_code(
            db_session, enrolment.code, channel=Channel.SMS, address="+15005550006"
        )


def test_a_channel_linked_to_one_client_cannot_be_taken_by_another(db_session: Session) -> None:
    enrol(db_session, sms_number="+15005550006")
    other, enrolment = add_client(
        db_session, name="Other", therapist_email="ana@clinic.test", timezone="UTC"
    )
    with pytest.raises(ClinicError, match="linked to someone else"):
        redeem_enrolment_code(
            db_session, enrolment.code, channel=Channel.SMS, address="+15005550006"
        )
    assert other.identities == []


def test_client_by_code_ignores_case_and_spaces(db_session: Session) -> None:
    client, _ = enrol(db_session)
    assert client_by_code(db_session, f" {client.code.lower()} ") is client
    assert client_by_code(db_session, "NOSUCHCD") is None


@pytest.mark.parametrize(
    ("channel", "address"),
    [(Channel.SMS, "+15005550099"), (Channel.SMS, "call me"), (Channel.TELEGRAM, "-")],
)
def test_an_unknown_or_malformed_sender_is_nobody(
    db_session: Session, channel: str, address: str
) -> None:
    enrol(db_session, sms_number="+15005550006")
    assert client_for_identity(db_session, channel, address) is None


def test_consent_is_recorded_with_its_version(db_session: Session) -> None:
    client, _ = enrol(db_session)
    record_consent(db_session, client, "2026-11-v1")
    assert client.consent_version == "2026-11-v1"
    assert client.consent_at is not None
    assert utcnow() - client.consent_at < timedelta(minutes=1)
    with pytest.raises(ClinicError):
        record_consent(db_session, client, "")


# The on-call rota


def on_call(session: Session, at: datetime) -> dict[str, str | None]:
    """Who is on call at ``at``, by email."""
    return {
        role: None if person is None else person.email
        for role, person in oncall_for(session, at, "America/New_York").items()
    }


def test_all_day_shifts_cover_every_moment(db_session: Session) -> None:
    set_oncall(db_session, therapist_email=therapist(db_session, "p@c.test"), role="primary")
    set_oncall(db_session, therapist_email=therapist(db_session, "b@c.test"), role="backup")
    for hours in (0, 3.5, 12, 23.99, 24 * 5 + 7):
        assert on_call(db_session, MONDAY + timedelta(hours=hours)) == {
            OncallRole.PRIMARY: "p@c.test",
            OncallRole.BACKUP: "b@c.test",
        }


def test_nobody_on_call_is_none(db_session: Session) -> None:
    assert on_call(db_session, MONDAY) == {"primary": None, "backup": None}


def test_a_weekday_shift_overrides_the_every_day_shift(db_session: Session) -> None:
    set_oncall(db_session, therapist_email=therapist(db_session, "daily@c.test"), role="primary")
    set_oncall(
        db_session,
        therapist_email=therapist(db_session, "monday@c.test"),
        role="primary",
        weekday=0,
        start=time(9),
        end=time(17),
    )
    assert on_call(db_session, MONDAY.replace(hour=10))["primary"] == "monday@c.test"
    assert on_call(db_session, MONDAY.replace(hour=17))["primary"] == "daily@c.test"
    assert on_call(db_session, MONDAY + timedelta(days=1, hours=10))["primary"] == "daily@c.test"


def test_an_overnight_shift_runs_into_the_next_morning(db_session: Session) -> None:
    set_oncall(
        db_session,
        therapist_email=therapist(db_session, "night@c.test"),
        role="primary",
        weekday=0,
        start=time(22),
        end=time(8),
    )
    assert on_call(db_session, MONDAY.replace(hour=21))["primary"] is None
    assert on_call(db_session, MONDAY.replace(hour=23))["primary"] == "night@c.test"
    assert on_call(db_session, MONDAY + timedelta(days=1, hours=7))["primary"] == "night@c.test"
    assert on_call(db_session, MONDAY + timedelta(days=1, hours=8))["primary"] is None
    assert on_call(db_session, MONDAY.replace(hour=7))["primary"] is None  # Sunday night's


def test_the_rota_is_read_in_the_clinics_time_zone(db_session: Session) -> None:
    set_oncall(
        db_session,
        therapist_email=therapist(db_session),
        role="primary",
        weekday=0,
        start=time(9),
        end=time(17),
    )
    ten_in_new_york = datetime(2026, 7, 6, 14, 0, tzinfo=timezone.utc)
    assert on_call(db_session, ten_in_new_york)["primary"] == "ana@clinic.test"
    assert on_call(db_session, ten_in_new_york.replace(hour=12))["primary"] is None


def test_an_inactive_therapist_is_never_on_call(db_session: Session) -> None:
    shift = set_oncall(db_session, therapist_email=therapist(db_session), role="primary")
    shift.therapist.active = False
    db_session.flush()
    assert on_call(db_session, MONDAY)["primary"] is None


def test_the_same_shift_twice_is_one_shift(db_session: Session) -> None:
    email = therapist(db_session)
    first = set_oncall(db_session, therapist_email=email, role="backup", weekday=2)
    assert set_oncall(db_session, therapist_email=email.upper(), role="backup", weekday=2) is first


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"role": "tertiary"}, "On-call role"),
        ({"weekday": 7}, "Weekday"),
        ({"start": time(9), "end": time(9)}, "cannot end when it starts"),
        ({"therapist_email": "nobody@clinic.test"}, "no active account"),
    ],
)
def test_set_oncall_refuses_bad_shifts(
    db_session: Session, fields: dict[str, Any], problem: str
) -> None:
    arguments = {"therapist_email": therapist(db_session), "role": "primary"} | fields
    with pytest.raises(ClinicError, match=problem):
        set_oncall(db_session, **arguments)


def test_the_rota_needs_an_aware_time(db_session: Session) -> None:
    with pytest.raises(ClinicError, match="timezone-aware"):
        oncall_for(db_session, datetime(2026, 7, 6, 12), "America/New_York")
