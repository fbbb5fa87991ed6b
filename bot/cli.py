"""``wisemind``: the command line for operators, therapists' admins and developers.

Every command prints a clear one-line error (exit code 2) for a wrong
argument or a bad setting, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date, time
from typing import NoReturn

from bot.demo import DEMO_CLIENT_CODE
from bot.settings import ConfigError, load_settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class UsageError(ValueError):
    """A command's input is wrong; shown to the user as one line."""


def _clock(value: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours) % 24, int(minutes)) if value != "24:00" else time(0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a time like 09:00, got {value!r}") from None


def _weekday(value: str) -> int:
    try:
        return WEEKDAYS.index(value.lower()[:3])
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a weekday like mon, got {value!r}") from None


# --- commands ---------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from bot.launch import ensure_api_token, process_specs
    from bot.storage.migrate import upgrade
    from bot.supervisor import Supervisor
    from bot.training import ensure_model

    settings = load_settings()
    print(f"Database: {settings.database_url}")
    upgrade(settings.database_url)
    if not args.no_seed:
        _seed_and_report()
    token = ensure_api_token(settings)
    print("Checking the Rasa model (trains only if the domain, data or config changed)...")
    model, trained = ensure_model(settings.home, settings.models_dir)
    print(f"Model: {model.name}{' (trained now)' if trained else ''}")
    supervisor = Supervisor(process_specs(settings, model, token), cwd=settings.home)
    supervisor.start()

    def announce() -> None:
        print(
            "\nWiseMind is running:\n"
            f"  Rasa server    {settings.rasa_url} (HTTP API needs the token in var/secrets.env)\n"
            f"  Action server  http://127.0.0.1:{settings.action_port}\n"
            "Talk to it as the demo client in another terminal:  make chat\n"
            "Press Ctrl-C to stop everything.\n",
            flush=True,
        )

    if not supervisor.wait_until_ready(timeout=args.ready_timeout, on_ready=announce):
        print("wisemind: the servers did not start; see the log lines above", file=sys.stderr)
        supervisor.stop()
        return 1
    return supervisor.run_forever()


def cmd_scheduler(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from bot.scheduler import run_scheduler

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s"
    )
    asyncio.run(run_scheduler(load_settings()))
    return 0


def cmd_channels_setup(args: argparse.Namespace) -> int:
    import asyncio

    from bot.channel_setup import set_up_channels

    return asyncio.run(set_up_channels(load_settings(), print))


def cmd_train(args: argparse.Namespace) -> int:
    from bot.training import ensure_model

    settings = load_settings()
    model, trained = ensure_model(settings.home, settings.models_dir)
    print(f"{model} ({'trained now' if trained else 'unchanged inputs, reused'})")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.storage.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    print(f"Database is at the latest schema: {settings.database_url}")
    return 0


def _seed_and_report() -> None:
    from bot.demo import seed_demo
    from bot.storage import session_scope

    with session_scope() as session:
        credentials = seed_demo(session)
    print(f"Demo clinic ready (demo client code {credentials.client_code}).")
    for account in credentials.accounts:
        if account.password is not None:
            print(f"  {account.role:<9} {account.email:<24} password: {account.password}")
    print(f"  Demo passwords are kept in {credentials.credentials_file}")


def cmd_demo_seed(args: argparse.Namespace) -> int:
    from bot.storage.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    _seed_and_report()
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import chat

    settings = load_settings()
    if not settings.api_token:
        raise UsageError("no API token: start WiseMind with `make run` first")
    return chat(settings, args.client, sys.stdin, sys.stdout)


def cmd_therapist_add(args: argparse.Namespace) -> int:
    from bot.clinic import add_therapist
    from bot.storage import session_scope

    with session_scope() as session:
        therapist, password = add_therapist(
            session,
            email=args.email,
            name=args.name,
            role=args.role,
            sms_number=args.sms,
            telegram_chat_id=args.telegram_chat_id,
        )
        print(f"Added {therapist.role} {therapist.email}. Password (shown once): {password}")
    return 0


def cmd_client_add(args: argparse.Namespace) -> int:
    from bot.clinic import add_client
    from bot.storage import session_scope

    with session_scope() as session:
        client, enrolment = add_client(
            session,
            name=args.name,
            therapist_email=args.therapist,
            timezone=args.timezone or load_settings().default_client_timezone,
            locale=args.locale,
            sms_number=args.sms,
            telegram_chat_id=args.telegram_chat_id,
        )
        print(
            f"Added client {client.code}. Enrolment code: {enrolment.code} "
            f"(expires {enrolment.expires_at:%Y-%m-%d}). The client texts JOIN {enrolment.code} "
            f"by SMS, or sends /start {enrolment.code} to the Telegram bot."
        )
    return 0


def cmd_oncall_set(args: argparse.Namespace) -> int:
    from bot.clinic import set_oncall
    from bot.storage import session_scope

    with session_scope() as session:
        shift = set_oncall(
            session,
            therapist_email=args.therapist,
            role=args.role,
            weekday=args.weekday,
            start=args.start,
            end=args.end,
        )
        day = "every day" if shift.weekday is None else WEEKDAYS[shift.weekday]
        print(
            f"{args.therapist} is on call as {shift.role}, {day}, "
            f"{shift.start_time:%H:%M}-{shift.end_time:%H:%M} (clinic time)."
        )
    return 0


def cmd_oncall_check(args: argparse.Namespace) -> int:
    from bot.clinic import oncall_gaps
    from bot.storage import session_scope

    with session_scope() as session:
        gaps = oncall_gaps(session)
    for gap in gaps:
        print(gap.describe())
    if not gaps:
        print("The rota has a primary and a backup on call at all hours.")
    return 1 if gaps else 0


def cmd_homework_assign(args: argparse.Namespace) -> int:
    from bot.clinic import client_by_code
    from bot.skills import load_library
    from bot.skills.homework import assign_homework, due_at_end_of
    from bot.storage import session_scope

    with session_scope() as session:
        client = client_by_code(session, args.client)
        if client is None:
            raise UsageError(f"no client with code {args.client!r}")
        homework = assign_homework(
            session,
            load_library(),
            client_code=client.code,
            therapist_email=args.therapist,
            due_at=due_at_end_of(args.due, client.timezone),
            skill=args.skill,
            title=args.title,
            instructions=args.instructions,
        )
        print(
            f"Assigned homework {homework.id} to {client.code}: {homework.title}, "
            f"due by the end of {args.due:%a %d %b %Y} (client's time zone). "
            "WiseMind asks about it at their next contact after that."
        )
    return 0


def cmd_homework_list(args: argparse.Namespace) -> int:
    from bot.skills.homework import describe_homework, list_homework
    from bot.storage import session_scope

    with session_scope() as session:
        rows = list_homework(session, args.client)
        for homework in rows:
            print(describe_homework(homework))
        if not rows:
            print(f"No homework for {args.client}.")
    return 0


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date like 2026-12-03, got {value!r}"
        ) from None


def cmd_safety_classify(args: argparse.Namespace) -> int:
    # spaCy's thinc imports TensorFlow whenever it is installed (Rasa needs it), which
    # costs seconds and is never used by the detector: keep it out of this process.
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]
    from bot.safety.cli import run_classify

    return run_classify(sys.stdin, sys.stdout)


# --- parser -----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wisemind", description="WiseMind, a DBT skills coach.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(
        subparsers: argparse._SubParsersAction[_Parser],
        name: str,
        handler: Callable[[argparse.Namespace], int],
        help_text: str,
    ) -> _Parser:
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    run = command(commands, "run", cmd_run, "Start WiseMind: Rasa server, action server.")
    run.add_argument("--no-seed", action="store_true", help="do not create the demo clinic")
    run.add_argument(
        "--ready-timeout", type=float, default=300, help="seconds to wait for the servers"
    )
    command(commands, "train", cmd_train, "Train the Rasa model if its inputs changed.")
    command(commands, "scheduler", cmd_scheduler, "Run the scheduler alone (the outbox sender).")

    db = commands.add_parser("db", help="Database commands.")
    db_commands = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    command(db_commands, "upgrade", cmd_db_upgrade, "Migrate the database to the latest schema.")

    demo = commands.add_parser("demo", help="Demo clinic commands.")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True, parser_class=_Parser)
    command(demo_commands, "seed", cmd_demo_seed, "Create the demo clinic (idempotent).")

    chat = command(commands, "chat", cmd_chat, "Chat with the running bot as a client.")
    chat.add_argument(
        "--client", default=DEMO_CLIENT_CODE, help="client code (default: the demo client)"
    )

    therapist = commands.add_parser("therapist", help="Therapist accounts.")
    therapist_commands = therapist.add_subparsers(
        dest="therapist_command", required=True, parser_class=_Parser
    )
    add_therapist = command(therapist_commands, "add", cmd_therapist_add, "Add a therapist.")
    add_therapist.add_argument("--email", required=True)
    add_therapist.add_argument("--name", required=True)
    add_therapist.add_argument("--role", choices=("therapist", "admin"), default="therapist")
    add_therapist.add_argument("--sms", help="phone for crisis pages, E.164 (+15551234567)")
    add_therapist.add_argument("--telegram-chat-id", help="Telegram chat for crisis pages")

    client = commands.add_parser("client", help="Client enrolment.")
    client_commands = client.add_subparsers(
        dest="client_command", required=True, parser_class=_Parser
    )
    add_client = command(
        client_commands, "add", cmd_client_add, "Register a client; prints the enrolment code."
    )
    add_client.add_argument("--name", required=True)
    add_client.add_argument("--therapist", required=True, help="the therapist's email")
    add_client.add_argument(
        "--timezone", help="IANA time zone (default: WISEMIND_DEFAULT_CLIENT_TIMEZONE)"
    )
    add_client.add_argument("--locale", choices=("en", "es"), default="en")
    add_client.add_argument("--sms", help="the client's phone, E.164 (+15551234567)")
    add_client.add_argument("--telegram-chat-id")

    oncall = commands.add_parser("oncall", help="On-call rota.")
    oncall_commands = oncall.add_subparsers(
        dest="oncall_command", required=True, parser_class=_Parser
    )
    set_shift = command(
        oncall_commands, "set", cmd_oncall_set, "Put a therapist on call (clinic time zone)."
    )
    set_shift.add_argument("--therapist", required=True, help="the therapist's email")
    set_shift.add_argument("--role", choices=("primary", "backup"), required=True)
    set_shift.add_argument("--weekday", type=_weekday, help="mon..sun (default: every day)")
    set_shift.add_argument("--start", type=_clock, default=time(0), help="HH:MM (default 00:00)")
    set_shift.add_argument("--end", type=_clock, default=time(0), help="HH:MM (00:00 = midnight)")
    command(
        oncall_commands,
        "check",
        cmd_oncall_check,
        "Report every time of the week with no primary or no backup (exit 1 if any).",
    )

    channels = commands.add_parser("channels", help="SMS and Telegram.")
    channel_commands = channels.add_subparsers(
        dest="channels_command", required=True, parser_class=_Parser
    )
    command(
        channel_commands,
        "setup",
        cmd_channels_setup,
        "Register the Telegram webhook and print the Twilio webhook URLs to configure.",
    )

    homework = commands.add_parser("homework", help="Homework between sessions.")
    homework_commands = homework.add_subparsers(
        dest="homework_command", required=True, parser_class=_Parser
    )
    assign = command(
        homework_commands,
        "assign",
        cmd_homework_assign,
        "Assign a skill practice (--skill) or a worksheet (--title) with a due date.",
    )
    assign.add_argument("--client", required=True, help="the client's code")
    assign.add_argument("--therapist", required=True, help="the assigning therapist's email")
    assign.add_argument("--due", required=True, type=_date, help="YYYY-MM-DD, client's time zone")
    what = assign.add_mutually_exclusive_group(required=True)
    what.add_argument("--skill", help="a skill's name, e.g. TIPP or 'opposite action'")
    what.add_argument("--title", help="a worksheet or task title")
    assign.add_argument("--instructions", help="what to do (default: the skill's homework)")
    list_command = command(
        homework_commands, "list", cmd_homework_list, "A client's homework and their reports."
    )
    list_command.add_argument("--client", required=True, help="the client's code")

    safety = commands.add_parser("safety", help="Crisis detection.")
    safety_commands = safety.add_subparsers(
        dest="safety_command", required=True, parser_class=_Parser
    )
    command(
        safety_commands,
        "classify",
        cmd_safety_classify,
        'Score JSON lines {"text": ...} from stdin; one JSON line out per input.',
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from bot.clinic import ClinicError

    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (ConfigError, ClinicError, UsageError) as exc:
        print(f"wisemind: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
