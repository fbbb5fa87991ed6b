"""Settings are checked when a process starts: a typo stops it with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.crisis_messages import crisis_reply
from bot.settings import PROJECT_ROOT, ConfigError, load_settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A WiseMind home and var folder of this test's own, and no WISEMIND_* from outside."""
    for key in list(os.environ):
        if key.startswith("WISEMIND_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("WISEMIND_HOME", str(tmp_path))
    monkeypatch.setenv("WISEMIND_VAR_DIR", str(tmp_path / "var"))
    return tmp_path


@pytest.mark.parametrize(
    "name, value",
    [
        ("CLINIC_TIMEZONE", "America/Neww_York"),
        ("DEFAULT_CLIENT_TIMEZONE", "EST5EDT+x"),
        ("CLINIC_CRISIS_LINE", "555-0100"),
        ("PUBLIC_URL", "coach.example.org"),
        ("DASHBOARD_URL", "http://"),
        ("TWILIO_API_URL", "ftp://api.twilio.com"),
        ("TWILIO_FROM", "15551234567"),
        ("PAGE_REPEAT_MINUTES", "0"),
        ("PAGE_REPEAT_MINUTES", "-5"),
        ("PAGE_ACK_TIMEOUT_SECONDS", "0"),
        ("PAGE_ACK_TIMEOUT_SECONDS", "4"),
    ],
)
def test_a_malformed_setting_is_refused_naming_the_variable(
    env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    if name.startswith("TWILIO"):
        monkeypatch.setenv("WISEMIND_TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
        monkeypatch.setenv("WISEMIND_TWILIO_AUTH_TOKEN", "token")
        monkeypatch.setenv("WISEMIND_TWILIO_FROM", "+15551234567")
    monkeypatch.setenv(f"WISEMIND_{name}", value)
    with pytest.raises(ConfigError, match=f"WISEMIND_{name}"):
        load_settings()


def test_good_settings_pass(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISEMIND_CLINIC_TIMEZONE", "Europe/Madrid")
    monkeypatch.setenv("WISEMIND_CLINIC_CRISIS_LINE", "+15005550009")
    monkeypatch.setenv("WISEMIND_PUBLIC_URL", "https://coach.example.org:8443")
    assert load_settings().clinic_timezone == "Europe/Madrid"


def test_an_empty_token_in_dot_env_means_use_the_generated_one(env: Path) -> None:
    (env / "var").mkdir()
    (env / "var" / "secrets.env").write_text("WISEMIND_API_TOKEN=generated-token\n")
    (env / ".env").write_text("WISEMIND_API_TOKEN=\nWISEMIND_CLINIC_NAME=Our Clinic\n")
    settings = load_settings()
    assert settings.api_token == "generated-token"
    assert settings.clinic_name == "Our Clinic"


def _start(command: list[str], tmp_path: Path, settings: dict[str, str]) -> list[str]:
    """Start a WiseMind process with ``settings``; the lines of its error (it must fail)."""
    env = {
        **os.environ,
        "WISEMIND_VAR_DIR": str(tmp_path),
        "WISEMIND_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "WISEMIND_API_TOKEN": "t",
        **settings,
    }
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "w.db").exists()
    return result.stderr.strip().splitlines()


@pytest.mark.parametrize(
    "command", [["bot.cli", "run"], ["bot.rasa_server"]], ids=["wisemind run", "rasa server"]
)
def test_a_bad_time_zone_stops_start_up_with_one_line(tmp_path: Path, command: list[str]) -> None:
    lines = _start(command, tmp_path, {"WISEMIND_CLINIC_TIMEZONE": "Mars/Olympus_Mons"})
    assert len(lines) == 1 and "WISEMIND_CLINIC_TIMEZONE" in lines[0]


def test_twilio_without_a_public_url_stops_start_up_with_one_line(tmp_path: Path) -> None:
    """Behind the clinic's HTTPS proxy no signature would match: every SMS would be refused."""
    twilio = {
        "WISEMIND_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "WISEMIND_TWILIO_AUTH_TOKEN": "token",
        "WISEMIND_TWILIO_FROM": "+15005550000",
        "WISEMIND_DASHBOARD_URL": "https://dashboard.clinic.test",
        "WISEMIND_PUBLIC_URL": "",
    }
    lines = _start(["bot.cli", "run"], tmp_path, twilio)
    assert len(lines) == 1 and "WISEMIND_PUBLIC_URL" in lines[0]


@pytest.mark.parametrize(
    "name, value",
    [
        ("DATABASE_URL", "postgresql+psycopg2//wisemind:s3cret-pw@db.internal/wisemind"),
        ("REDIS_URL", "redis//:s3cret-pw@redis.internal:6379/1"),
        ("PUBLIC_URL", "ftp://wisemind:s3cret-pw@coach.example.org"),
        ("PUBLIC_FALLBACK_URL", "dashboard.example.org:s3cret-pw@proxy"),
        ("TWILIO_API_URL", "gateway://AC00:s3cret-pw@sms.example.org"),
    ],
)
def test_no_error_about_a_malformed_url_shows_its_password(
    env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv("WISEMIND_TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("WISEMIND_TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setenv("WISEMIND_TWILIO_FROM", "+15551234567")
    monkeypatch.setenv("WISEMIND_PUBLIC_URL", "https://coach.example.org")
    monkeypatch.setenv(f"WISEMIND_{name}", value)
    with pytest.raises(ConfigError, match=f"WISEMIND_{name}") as refused:
        load_settings()
    assert "s3cret-pw" not in str(refused.value)


def test_the_lock_store_refuses_a_malformed_redis_url_without_printing_its_password(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.lock_store import WiseMindLockStore

    monkeypatch.setenv("WISEMIND_REDIS_URL", "redis//:s3cret-pass@redis.internal:6379/1")
    with pytest.raises(ConfigError) as refused:
        WiseMindLockStore()
    assert "s3cret-pass" not in str(refused.value)


def test_a_loopback_dashboard_link_is_refused_without_printing_its_password(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.readiness import check_dashboard_url

    monkeypatch.setenv("WISEMIND_TELEGRAM_TOKEN", "123456:ABC")
    monkeypatch.setenv("WISEMIND_TELEGRAM_SECRET", "s" * 32)
    monkeypatch.setenv("WISEMIND_DASHBOARD_URL", "http://admin:s3cret-pw@127.0.0.1:8000")
    with pytest.raises(ConfigError, match="WISEMIND_DASHBOARD_URL") as refused:
        check_dashboard_url(load_settings())
    assert "s3cret-pw" not in str(refused.value)


def test_the_database_url_is_printed_without_its_password() -> None:
    from bot.cli import printable_url

    shown = printable_url("postgresql+psycopg2://wisemind:s3cret-pw@db.internal:5432/wisemind")
    assert "s3cret-pw" not in shown and "db.internal" in shown


def test_a_clinic_that_sets_its_own_crisis_numbers_gives_them_to_spanish_speakers_too(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISEMIND_CRISIS_LINE_EN", "116 123")
    monkeypatch.setenv("WISEMIND_EMERGENCY_NUMBER_EN", "999")
    assert load_settings().crisis_numbers["es"] == ("116 123", "999")
    reply = " ".join(crisis_reply("quiero morir, no aguanto más", None, alerted=True))
    assert "Llama" in reply and "116 123" in reply and "999" in reply
    assert "988" not in reply and "911" not in reply, reply


def test_spanish_numbers_left_at_the_united_states_beside_the_clinics_own_are_refused(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISEMIND_CRISIS_LINE_EN", "116 123")
    monkeypatch.setenv("WISEMIND_EMERGENCY_NUMBER_EN", "999")
    monkeypatch.setenv("WISEMIND_CRISIS_LINE_ES", "988 (oprime 2 para español)")
    monkeypatch.setenv("WISEMIND_EMERGENCY_NUMBER_ES", "911")
    with pytest.raises(ConfigError, match="WISEMIND_CRISIS_LINE_ES"):
        load_settings()


@pytest.mark.parametrize("emergency", ["911", None])
def test_an_emergency_number_left_at_911_beside_the_clinics_own_crisis_line_stops_start_up(
    env: Path, monkeypatch: pytest.MonkeyPatch, emergency: str | None
) -> None:
    """A clinic in the UK sets its crisis line and leaves the emergency number at 911 from
    ``.env.example`` (or deletes the line): its clients would read "call 911". WiseMind
    does not start, and says which variable to set."""
    monkeypatch.setenv("WISEMIND_CRISIS_LINE_EN", "116 123")
    if emergency is not None:
        monkeypatch.setenv("WISEMIND_EMERGENCY_NUMBER_EN", emergency)
    with pytest.raises(ConfigError, match="WISEMIND_EMERGENCY_NUMBER_EN") as refused:
        load_settings()
    assert "\n" not in str(refused.value)


def test_a_spanish_emergency_number_left_at_911_beside_the_clinics_own_stops_start_up(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clinic in Spain sets its English numbers (024, 112) and its Spanish crisis line
    (024) but leaves the Spanish emergency number at 911: Spanish speakers would read
    "llama al 911". WiseMind does not start."""
    monkeypatch.setenv("WISEMIND_CRISIS_LINE_EN", "024")
    monkeypatch.setenv("WISEMIND_EMERGENCY_NUMBER_EN", "112")
    monkeypatch.setenv("WISEMIND_CRISIS_LINE_ES", "024")
    monkeypatch.setenv("WISEMIND_EMERGENCY_NUMBER_ES", "911")
    with pytest.raises(ConfigError, match="WISEMIND_EMERGENCY_NUMBER_ES"):
        load_settings()


def test_a_clinic_where_911_is_the_emergency_number_too_starts_when_it_writes_it_itself(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clinic in Canada has its own crisis line and 911 for emergencies: written as
    "9-1-1" (not as shipped), it is the clinic's choice and clients are given it."""
    monkeypatch.setenv("WISEMIND_CRISIS_LINE_EN", "1-833-456-4566")
    monkeypatch.setenv("WISEMIND_EMERGENCY_NUMBER_EN", "9-1-1")
    assert load_settings().crisis_numbers["es"] == ("1-833-456-4566", "9-1-1")


def test_a_us_clinic_may_word_its_spanish_crisis_line_its_own_way(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISEMIND_CRISIS_LINE_ES", "988 (marque 2 para español)")
    assert load_settings().crisis_numbers["en"] == ("988", "911")


def test_a_clinic_that_sets_no_crisis_numbers_gives_each_language_the_united_states_own(
    env: Path,
) -> None:
    numbers = load_settings().crisis_numbers
    assert numbers["en"] == ("988", "911")
    assert numbers["es"] == ("988 (oprime 2 para español)", "911")


@pytest.mark.parametrize("secret", ["wisemind", "secret", "1", "a" * 31, "b" * 40 + "!"])
def test_a_guessable_telegram_webhook_secret_stops_start_up(
    env: Path, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("WISEMIND_TELEGRAM_TOKEN", "123456:ABC")
    monkeypatch.setenv("WISEMIND_TELEGRAM_SECRET", secret)
    with pytest.raises(ConfigError, match="WISEMIND_TELEGRAM_SECRET"):
        load_settings()


def test_a_long_random_telegram_webhook_secret_is_accepted(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISEMIND_TELEGRAM_TOKEN", "123456:ABC")
    monkeypatch.setenv("WISEMIND_TELEGRAM_SECRET", "Zq3_-" * 8)
    settings = load_settings()
    assert settings.telegram is not None and settings.telegram.secret == "Zq3_-" * 8
