"""The ``wisemind`` command line, run as an operator runs it (a subprocess)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.background import free_port
from bot.clinic import client_by_code
from bot.settings import PROJECT_ROOT, Settings
from bot.storage import create_engine_for, session_scope
from bot.storage.models import DiaryEntry, EnrolmentCode, OncallShift
from tests.servers import ChatClient

COMMANDS = [
    [], ["run"], ["train"], ["db", "upgrade"], ["demo", "seed"], ["chat"],
    ["therapist", "add"], ["client", "add"], ["oncall", "set"], ["safety", "classify"],
    ["escalation", "list"], ["escalation", "show"], ["escalation", "ack"],
    ["escalation", "resolve"],
    ["homework", "assign"], ["homework", "list"],
]  # fmt: skip


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose WiseMind state is a fresh folder of this test's own."""
    return {
        **os.environ,
        "WISEMIND_VAR_DIR": str(tmp_path),
        "WISEMIND_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }


def wisemind(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "wisemind")
def test_every_command_explains_itself_with_help(
    command: list[str], cli_env: dict[str, str]
) -> None:
    result = wisemind(cli_env, *command, "--help")
    assert result.returncode == 0
    assert "usage: wisemind" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["oncall", "set", "--therapist", "a@b.org", "--role", "boss"],
        ["oncall", "set", "--therapist", "a@b.org", "--role", "primary", "--start", "9am"],
        ["client", "add", "--name", "X"],
        ["nonsense"],
        ["therapist", "add", "--email", "not-an-email", "--name", "X"],
        ["therapist", "add", "--email", "t@x.org", "--name", "X", "--sms", "555-1234"],
        ["client", "add", "--name", "X", "--therapist", "nobody@x.org"],
    ],
)
def test_a_wrong_argument_gets_a_one_line_error_not_a_traceback(
    args: list[str], cli_env: dict[str, str]
) -> None:
    wisemind(cli_env, "db", "upgrade")
    result = wisemind(cli_env, *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "error" in result.stderr


def test_demo_seed_prints_the_passwords_once_and_is_idempotent(cli_env: dict[str, str]) -> None:
    first = wisemind(cli_env, "demo", "seed")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("password:") == 3
    assert "therapist@demo.clinic" in first.stdout
    again = wisemind(cli_env, "demo", "seed")
    assert again.returncode == 0
    assert "password:" not in again.stdout
    assert "demo-credentials.txt" in again.stdout


def test_an_administrator_enrols_a_therapist_and_a_client_and_sets_the_rota(
    cli_env: dict[str, str],
) -> None:
    assert wisemind(cli_env, "db", "upgrade").returncode == 0
    added = wisemind(
        cli_env, "therapist", "add", "--email", "Rivera@Clinic.org", "--name", "Dr Rivera",
        "--sms", "+15551230000",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Password (shown once)" in added.stdout
    enrolled = wisemind(
        cli_env, "client", "add", "--name", "Jordan Lee", "--therapist", "rivera@clinic.org",
        "--timezone", "America/Los_Angeles",
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    words = enrolled.stdout.split()
    client_code = words[words.index("client") + 1].rstrip(".")
    enrolment_code = words[words.index("code:") + 1]
    rota = wisemind(
        cli_env, "oncall", "set", "--therapist", "rivera@clinic.org", "--role", "primary",
        "--weekday", "sat", "--start", "09:00", "--end", "17:00",
    )  # fmt: skip
    assert rota.returncode == 0, rota.stderr
    assert "primary, sat, 09:00-17:00" in rota.stdout

    with session_scope(create_engine_for(cli_env["WISEMIND_DATABASE_URL"])) as session:
        client = client_by_code(session, client_code)
        assert client is not None
        assert client.timezone == "America/Los_Angeles"
        codes = session.execute(
            select(EnrolmentCode.code).where(EnrolmentCode.client_id == client.id)
        ).scalars()
        assert enrolment_code in list(codes)
        shift = session.execute(select(OncallShift)).scalar_one()
        assert (shift.role, shift.weekday) == ("primary", 5)


def test_chat_without_a_running_bot_says_how_to_start_it(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "WISEMIND_API_TOKEN": "t", "WISEMIND_RASA_PORT": str(free_port())}
    result = wisemind(env, "chat", stdin="hi\n")
    assert result.returncode == 1
    assert "make run" in result.stderr


def test_a_diary_card_typed_into_chat_lands_in_the_database(client: ChatClient) -> None:
    card = ["hi", "diary", "0", "0", "1", "no", "yes", "2", "1", "0", "3", "4", "6", "skip"]
    result = wisemind(
        client.server.env, "chat", "--client", client.code, stdin="\n".join(card) + "\nexit\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bot> ")
    assert "Saved your diary card" in result.stdout
    with session_scope(client.server.engine) as session:
        owner = client_by_code(session, client.code)
        assert owner is not None
        entry = session.execute(
            select(DiaryEntry).where(DiaryEntry.client_id == owner.id)
        ).scalar_one()
    assert (entry.urge_use, entry.substance_use, entry.joy, entry.skills_used) == (1, True, 4, 6)


def test_oncall_check_reports_every_gap_in_the_weekly_rota(cli_env: dict[str, str]) -> None:
    assert wisemind(cli_env, "demo", "seed").returncode == 0
    covered = wisemind(cli_env, "oncall", "check")
    assert covered.returncode == 0, covered.stdout
    assert "at all hours" in covered.stdout

    rota_db = f"sqlite:///{cli_env['WISEMIND_VAR_DIR']}/rota.db"
    env = {**cli_env, "WISEMIND_DATABASE_URL": rota_db}
    wisemind(env, "db", "upgrade")
    wisemind(env, "therapist", "add", "--email", "day@clinic.org", "--name", "Day Shift")
    for weekday in ("mon", "tue", "wed", "thu", "fri"):
        wisemind(env, "oncall", "set", "--therapist", "day@clinic.org", "--role", "primary",
                 "--weekday", weekday, "--start", "09:00", "--end", "17:00")  # fmt: skip
    gaps = wisemind(env, "oncall", "check")
    assert gaps.returncode == 1
    assert "primary: nobody from Mon 17:00 to Tue 09:00" in gaps.stdout
    assert "primary: nobody from Fri 17:00 to Mon 09:00" in gaps.stdout
    assert "backup: nobody at any time" in gaps.stdout


def test_escalation_commands_list_show_ack_and_resolve_without_leaking_words(
    cli_env: dict[str, str],
) -> None:
    from bot.clinic import add_client, add_therapist, set_oncall
    from bot.escalation import record_risk
    from bot.settings import load_settings
    from bot.storage.models import utcnow

    wisemind(cli_env, "db", "upgrade")
    engine = create_engine_for(cli_env["WISEMIND_DATABASE_URL"])
    words = "taking all the pills tonight"
    with session_scope(engine) as session:
        add_therapist(session, email="t@clinic.test", name="Dr. T", sms_number="+15005550001")
        set_oncall(session, therapist_email="t@clinic.test", role="primary")
        client, _ = add_client(
            session, name="Robin", therapist_email="t@clinic.test", timezone="UTC"
        )
        outcome = record_risk(
            session, client, level="imminent", categories=["plan"], evidence=words,
            now=utcnow(), settings=load_settings(),
        )  # fmt: skip
    engine.dispose()
    listed = wisemind(cli_env, "escalation", "list")
    assert outcome.code in listed.stdout and "open" in listed.stdout
    shown = wisemind(cli_env, "escalation", "show", outcome.code)
    assert "opened" in shown.stdout and words not in shown.stdout
    assert words in wisemind(cli_env, "escalation", "show", outcome.code, "--evidence").stdout
    acked = wisemind(
        cli_env, "escalation", "ack", str(outcome.escalation_id), "--as", "t@clinic.test"
    )
    assert acked.returncode == 0, acked.stderr
    again = wisemind(cli_env, "escalation", "ack", outcome.code, "--as", "t@clinic.test")
    assert again.returncode == 2 and "already acknowledged" in again.stderr
    no_note = wisemind(cli_env, "escalation", "resolve", outcome.code, "--as", "t@clinic.test",
                       "--note", " ")  # fmt: skip
    assert no_note.returncode == 2 and "note is required" in no_note.stderr
    resolved = wisemind(cli_env, "escalation", "resolve", outcome.code, "--as", "t@clinic.test",
                        "--note", "Called; safe at home.")  # fmt: skip
    assert resolved.returncode == 0, resolved.stderr
    timeline = wisemind(cli_env, "escalation", "show", outcome.code).stdout
    assert "acknowledged" in timeline and "by t@clinic.test via cli" in timeline
    assert "Called; safe at home." in timeline
    assert "No active escalations." in wisemind(cli_env, "escalation", "list").stdout


REAL_TWILIO = {
    "WISEMIND_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "WISEMIND_TWILIO_AUTH_TOKEN": "token",
    "WISEMIND_TWILIO_FROM": "+15005550000",
    "WISEMIND_PUBLIC_URL": "https://coach.clinic.test",
}


def test_run_refuses_a_loopback_dashboard_link_when_sms_is_configured(
    cli_env: dict[str, str],
) -> None:
    env = {**cli_env, **REAL_TWILIO, "WISEMIND_DASHBOARD_URL": "http://127.0.0.1:8000"}
    result = wisemind(env, "run")
    assert result.returncode == 2
    assert "WISEMIND_DASHBOARD_URL" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_oncall_check_warns_loudly_about_demo_staff_on_a_real_rota(
    cli_env: dict[str, str],
) -> None:
    assert wisemind(cli_env, "demo", "seed").returncode == 0
    assert wisemind(cli_env, "oncall", "check").returncode == 0  # the embedded defaults
    result = wisemind({**cli_env, **REAL_TWILIO}, "oncall", "check")
    assert result.returncode == 1
    assert "WARNING: demo staff are on the on-call rota" in result.stderr
    assert "therapist@demo.clinic" in result.stderr
    # Demo staff cover nothing once real messages can leave.
    assert "primary: nobody at any time" in result.stdout


def seeded_real_rota(env: dict[str, str], **changes: Any) -> tuple[Engine, Settings]:
    """The demo clinic seeded by the command line, its staff a real rota reached by SMS:
    the engine on its database and the settings (with ``changes``) to take messages in with."""
    from bot.settings import TwilioSettings, load_settings
    from tests.conftest import demo_staff_as_real_rota

    assert wisemind(env, "demo", "seed").returncode == 0
    engine = create_engine_for(env["WISEMIND_DATABASE_URL"])
    with session_scope(engine) as session:
        demo_staff_as_real_rota(session)
    twilio = TwilioSettings("AC" + "0" * 32, "token", "+15005550000")
    return engine, dataclasses.replace(load_settings(), twilio=twilio, **changes)


def test_oncall_check_shows_the_gap_of_a_therapist_who_texted_stop_to_the_paging_number(
    cli_env: dict[str, str],
) -> None:
    from bot.intake import FloodControl, InboundMessage, receive

    engine, settings = seeded_real_rota(cli_env)

    def text_from_primary(body: str, sid: int) -> None:
        message = InboundMessage("sms", "+15005550001", body, provider_id=f"SM{sid:032d}")
        receive(message, settings, engine=engine, flood=FloodControl(burst=1000))

    text_from_primary("STOP", 1)
    stopped = wisemind({**cli_env, **REAL_TWILIO}, "oncall", "check")
    assert stopped.returncode == 1
    assert "therapist@demo.clinic cannot be paged" in stopped.stdout
    assert "texted STOP" in stopped.stdout
    assert "primary: nobody at any time" in stopped.stdout
    text_from_primary("START", 2)
    restarted = wisemind({**cli_env, **REAL_TWILIO}, "oncall", "check")
    assert restarted.returncode == 0, restarted.stdout
    engine.dispose()


def test_oncall_check_and_status_say_when_the_crisis_line_texted_stop_to_the_paging_number(
    cli_env: dict[str, str],
) -> None:
    from bot.intake import FloodControl, InboundMessage, receive

    crisis_line = "+15005550099"
    env = {**cli_env, **REAL_TWILIO, "WISEMIND_CLINIC_CRISIS_LINE": crisis_line}
    engine, settings = seeded_real_rota(env, clinic_crisis_line=crisis_line)

    def text_from_the_crisis_line(body: str, sid: int) -> None:
        message = InboundMessage("sms", crisis_line, body, provider_id=f"SM{sid:032d}")
        receive(message, settings, engine=engine, flood=FloodControl(burst=1000))

    text_from_the_crisis_line("STOP", 1)
    stopped = wisemind(env, "oncall", "check")
    assert stopped.returncode == 1
    assert "The crisis line cannot be paged" in stopped.stdout
    assert f"({crisis_line}) texted STOP" in stopped.stdout
    assert "crisis line: CANNOT BE PAGED" in wisemind(env, "status").stdout
    text_from_the_crisis_line("START", 2)
    restarted = wisemind(env, "oncall", "check")
    assert restarted.returncode == 0, restarted.stdout
    assert "crisis line" not in wisemind(env, "status").stdout
    engine.dispose()


def test_status_shouts_when_every_recent_page_was_refused_and_lists_the_numbers_clients_get(
    cli_env: dict[str, str],
) -> None:
    """The chain walks on whatever becomes of a page; a paging number that refuses
    everything (typed wrong, an account suspended) is seen by an operator here."""
    from bot import message_log
    from bot.intake import FloodControl, InboundMessage, receive
    from bot.storage.enums import MessageStatus
    from bot.storage.models import Page

    env = {
        **cli_env,
        "WISEMIND_CRISIS_LINE_EN": "116 123",
        "WISEMIND_EMERGENCY_NUMBER_EN": "999",
        "WISEMIND_CRISIS_LINE_ES": "024",
        "WISEMIND_EMERGENCY_NUMBER_ES": "112",
    }
    engine, settings = seeded_real_rota(env)
    crisis = InboundMessage(
        "sms", "+15005550006", "i want to kill myself tonight", provider_id="SM" + "1" * 32
    )
    receive(crisis, settings, engine=engine, flood=FloodControl(burst=1000))

    def pages_end_as(status: str) -> None:
        with session_scope(engine) as session:
            for page in session.execute(select(Page)).scalars():
                assert page.message_id is not None
                message_log.mark_status(session, page.message_id, status)

    assert "PAGES REFUSED" not in wisemind(env, "status").stdout  # on its way, not refused
    pages_end_as(MessageStatus.UNDELIVERABLE)
    refused = wisemind(env, "status").stdout
    assert "0 reached the provider, 1 refused" in refused
    assert "PAGES REFUSED: every page of the last 24 h was refused" in refused
    assert "en: 116 123, emergencies 999; es: 024, emergencies 112" in refused
    pages_end_as(MessageStatus.DELIVERED)
    delivered = wisemind(env, "status").stdout
    assert "1 reached the provider, 0 refused" in delivered
    assert "PAGES REFUSED" not in delivered
    engine.dispose()


def test_status_says_whether_the_scheduler_runs(cli_env: dict[str, str]) -> None:
    from bot.readiness import SCHEDULER, beat
    from bot.storage.models import utcnow

    wisemind(cli_env, "db", "upgrade")
    never = wisemind(cli_env, "status")
    assert never.returncode == 1 and "never started" in never.stdout
    engine = create_engine_for(cli_env["WISEMIND_DATABASE_URL"])
    with session_scope(engine) as session:
        beat(session, SCHEDULER, utcnow() - timedelta(hours=1), utcnow() - timedelta(minutes=5))
    stale = wisemind(cli_env, "status")
    assert stale.returncode == 1 and "NOT RUNNING" in stale.stdout
    with session_scope(engine) as session:
        beat(session, SCHEDULER, utcnow() - timedelta(hours=1), utcnow())
    engine.dispose()
    fresh = wisemind(cli_env, "status")
    assert fresh.returncode == 0 and "scheduler: running" in fresh.stdout
