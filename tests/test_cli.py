"""The ``wisemind`` command line, run as an operator runs it (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.background import free_port
from bot.clinic import client_by_code
from bot.settings import PROJECT_ROOT
from bot.storage import create_engine_for, session_scope
from bot.storage.models import DiaryEntry, EnrolmentCode, OncallShift
from tests.servers import ChatClient

COMMANDS = [
    [], ["run"], ["train"], ["db", "upgrade"], ["demo", "seed"], ["chat"],
    ["therapist", "add"], ["client", "add"], ["oncall", "set"], ["safety", "classify"],
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
