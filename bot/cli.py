"""``wisemind``: the command line for operators, therapists' admins and developers.

Every command prints a clear one-line error (exit code 2) for a wrong
argument or a bad setting, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, NoReturn

from bot.demo import DEMO_CLIENT_CODE
from bot.log_config import quiet_libraries
from bot.settings import ConfigError, Settings, load_settings, process_settings
from bot.storage.models import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.storage.models import Therapist

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class UsageError(ValueError):
    """A command's input is wrong; shown to the user as one line."""


def printable_url(url: str) -> str:
    """A database URL as it may be printed: the password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _clock(value: str) -> time:
    from bot.clinic import ClinicError, parse_clock

    try:
        return parse_clock(value)
    except ClinicError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _local_datetime(value: str) -> datetime:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a local date and time like '2026-12-03 15:00', got {value!r}"
        ) from None


def _when_options(parser: argparse.ArgumentParser) -> None:
    """``--at`` (recurring, with ``--days``) or ``--on`` (once), in the client's time zone."""
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", type=_clock, help="daily local time HH:MM (client's time zone)")
    when.add_argument(
        "--on", type=_local_datetime, help="once, 'YYYY-MM-DD HH:MM' (client's time zone)"
    )
    parser.add_argument(
        "--days", default="daily", help="with --at: daily, weekdays, or e.g. mon,thu"
    )


def _weekday(value: str) -> int:
    try:
        return WEEKDAYS.index(value.lower()[:3])
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a weekday like mon, got {value!r}") from None


# --- commands ---------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from bot.launch import ensure_api_token, process_specs
    from bot.readiness import check_dashboard_url
    from bot.storage.migrate import upgrade
    from bot.supervisor import Supervisor
    from bot.training import ensure_model

    settings = load_settings()
    check_dashboard_url(settings)
    print(f"Database: {printable_url(settings.database_url)}")
    upgrade(settings.database_url)
    if args.seed_demo or not (args.no_seed or settings.real_channel_configured):
        # The demo clinic is for the embedded defaults; with real channels, only on request.
        # Passwords only to a person at a terminal: under a service manager stdout is the log.
        _seed_and_report(show_passwords=sys.stdout.isatty())
    _warn_about_demo_rota(settings)
    token = ensure_api_token(settings)
    print("Checking the Rasa model (trains only if the domain, data or config changed)...")
    model, trained = ensure_model(settings.home, settings.models_dir)
    print(f"Model: {model.name}{' (trained now)' if trained else ''}")
    supervisor = Supervisor(process_specs(settings, model, token), cwd=settings.home)
    supervisor.start()
    if settings.health_port:
        try:
            supervisor.serve_health(settings.health_port, _heartbeats)
        except OSError as exc:
            # A busy port must not keep the crisis path down: run without the endpoint.
            print(f"wisemind: no health endpoint on port {settings.health_port}: {exc}")

    def announce() -> None:
        print(
            "\nWiseMind is running:\n"
            f"  Rasa server    {settings.rasa_url} (HTTP API needs the token in var/secrets.env)\n"
            f"  Action server  http://127.0.0.1:{settings.action_port}\n"
            f"  Dashboard      {settings.dashboard_url} (log in with a demo password above)\n"
            "Talk to it as the demo client in another terminal:  make chat\n"
            "Press Ctrl-C to stop everything.\n",
            flush=True,
        )

    if not supervisor.wait_until_ready(timeout=args.ready_timeout, on_ready=announce):
        print("wisemind: the servers did not start; see the log lines above", file=sys.stderr)
        supervisor.stop()
        return 1
    return supervisor.run_forever()


def _warn_about_demo_rota(settings: Settings) -> bool:
    """Print the demo-rota warning, if it applies, to stderr; True if it did."""
    from bot.readiness import demo_rota_warning
    from bot.storage import session_scope

    with session_scope() as session:
        warning = demo_rota_warning(session, settings)
    if warning:
        print(f"\n{'!' * 78}\n{warning}\n{'!' * 78}\n", file=sys.stderr, flush=True)
    return warning is not None


def _heartbeats() -> dict[str, bool]:
    """Whether the processes that heartbeat (the scheduler) are alive, for ``/health``."""
    from bot.readiness import SCHEDULER, health_of
    from bot.storage import session_scope

    with session_scope() as session:
        return {SCHEDULER: health_of(session, SCHEDULER, utcnow()).running}


def cmd_status(args: argparse.Namespace) -> int:
    from bot.escalation import crisis_line_stopped, page_delivery
    from bot.readiness import SCHEDULER, health_of
    from bot.storage import session_scope

    settings = load_settings()
    with session_scope() as session:
        health = health_of(session, SCHEDULER, utcnow())
        crisis_line = crisis_line_stopped(session, settings)
        pages = page_delivery(session, utcnow())
    print(health.describe(utcnow()))
    # Said, not failed on: the exit code stays the scheduler's, which supervisors watch.
    if crisis_line:
        print(f"crisis line: CANNOT BE PAGED: {crisis_line}")
    print(pages.describe())
    numbers = "; ".join(
        f"{locale}: {line}, emergencies {emergency}"
        for locale, (line, emergency) in sorted(settings.crisis_numbers.items())
    )
    print(f"numbers given to clients at risk: {numbers}")
    return 0 if health.running else 1


def cmd_scheduler(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import threading

    from bot.safety import skip_tensorflow, warm_up
    from bot.scheduler import run_scheduler

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s"
    )
    settings = process_settings()
    # The scheduler screens messages left unscreened (a failure after storing): load the
    # detector now, without TensorFlow (no Rasa model runs here), not while one waits.
    skip_tensorflow()
    threading.Thread(target=warm_up, name="detector-warm-up", daemon=True).start()
    asyncio.run(run_scheduler(settings))
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
    print(f"Database is at the latest schema: {printable_url(settings.database_url)}")
    return 0


def _seed_and_report(*, show_passwords: bool) -> None:
    from bot.dashboard.demo_data import seed_demo_history
    from bot.demo import seed_demo
    from bot.storage import session_scope

    with session_scope() as session:
        credentials = seed_demo(session)
        seed_demo_history(session, utcnow())
    print(f"Demo clinic ready (demo client code {credentials.client_code}).")
    if show_passwords:
        for account in credentials.accounts:
            if account.password is not None:
                print(f"  {account.role:<9} {account.email:<24} password: {account.password}")
    print(f"  Demo passwords are kept in {credentials.credentials_file}")


def cmd_demo_seed(args: argparse.Namespace) -> int:
    from bot.storage.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    _seed_and_report(show_passwords=True)
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
    from bot.escalation import crisis_line_stopped, unpageable_on_call
    from bot.storage import session_scope

    settings = load_settings()
    with session_scope() as session:
        unpageable = unpageable_on_call(session, settings)
        for therapist, reason in unpageable:
            print(f"{therapist.email} cannot be paged: {reason}")
        # The last tier of every chain: a chain nobody answered ends with nobody.
        crisis_line = crisis_line_stopped(session, settings)
        if crisis_line:
            print(f"The crisis line cannot be paged: {crisis_line}")
        # Demo staff are never paged once real channels are on: they cover nothing.
        gaps = oncall_gaps(
            session,
            include_demo=not settings.real_channel_configured,
            leave_out=[therapist.id for therapist, _ in unpageable],
        )
    for gap in gaps:
        print(gap.describe())
    demo_warning = _warn_about_demo_rota(settings)
    if not gaps:
        print("The rota has a primary and a backup on call at all hours.")
    return 1 if gaps or demo_warning or crisis_line else 0


def _escalation_id(session: Session, ref: str) -> int:
    """An escalation's id from its id ("12") or its ACK code ("K7Q2XM")."""
    from sqlalchemy import select

    from bot.storage.models import Escalation

    if ref.isdigit():
        return int(ref)
    found = session.execute(
        select(Escalation.id).where(Escalation.code == ref.strip().upper())
    ).scalar_one_or_none()
    if found is None:
        raise UsageError(f"no escalation with id or code {ref!r}")
    return int(found)


def _staff(session: Session, email: str) -> Therapist:
    from bot.clinic import therapist_by_email

    therapist = therapist_by_email(session, email)
    if therapist is None:
        raise UsageError(f"no staff account {email!r}")
    return therapist


def cmd_escalation_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.escalation import ACTIVE
    from bot.storage import session_scope
    from bot.storage.models import Escalation

    with session_scope() as session:
        query = select(Escalation).order_by(Escalation.opened_at.desc())
        if not args.all:
            query = query.where(Escalation.status.in_(ACTIVE))
        escalations = session.execute(query).scalars().all()
        for item in escalations:
            print(
                f"{item.id:>5}  {item.code}  {item.client.code}  {item.level:<8}  "
                f"{item.status:<12}  opened {item.opened_at:%Y-%m-%d %H:%M} UTC"
            )
        if not escalations:
            print("No active escalations." if not args.all else "No escalations.")
    return 0


def cmd_escalation_show(args: argparse.Namespace) -> int:
    from bot.storage import session_scope
    from bot.storage.models import Escalation, Therapist

    with session_scope() as session:
        escalation = session.get(Escalation, _escalation_id(session, args.escalation))
        if escalation is None:
            raise UsageError(f"no escalation {args.escalation!r}")

        def who(therapist_id: int | None) -> str:
            staff = session.get(Therapist, therapist_id) if therapist_id else None
            return staff.email if staff else "-"

        print(f"Escalation {escalation.id} (ACK code {escalation.code})")
        print(f"  client      {escalation.client.code}")
        print(f"  level       {escalation.level}")
        print(f"  status      {escalation.status}")
        print(f"  categories  {', '.join(json.loads(escalation.categories)) or '-'}")
        print(f"  opened      {escalation.opened_at:%Y-%m-%d %H:%M:%S} UTC")
        if escalation.acknowledged_at:
            print(
                f"  acknowledged {escalation.acknowledged_at:%Y-%m-%d %H:%M:%S} UTC by "
                f"{who(escalation.acknowledged_by)} via {escalation.acknowledged_via}"
            )
        if escalation.resolved_at:
            print(
                f"  resolved    {escalation.resolved_at:%Y-%m-%d %H:%M:%S} UTC by "
                f"{who(escalation.resolved_by)}: {escalation.resolution_note}"
            )
        print("Timeline:")
        for event in escalation.events:
            via = f" via {event.via}" if event.via else ""
            by = f" by {who(event.therapist_id)}" if event.therapist_id else ""
            detail = f" ({event.detail})" if event.detail else ""
            print(f"  {event.at:%Y-%m-%d %H:%M:%S} UTC  {event.kind}{by}{via}{detail}")
        if args.evidence:
            print("Evidence (the client's own words; confidential):")
            print(escalation.evidence)
        else:
            print("Evidence hidden; add --evidence to print the client's words.")
    return 0


def cmd_escalation_ack(args: argparse.Namespace) -> int:
    from bot.escalation import VIA_CLI, acknowledge_escalation
    from bot.storage import session_scope

    with session_scope() as session:
        escalation = acknowledge_escalation(
            session,
            escalation_id=_escalation_id(session, args.escalation),
            therapist=_staff(session, args.staff),
            now=utcnow(),
            via=VIA_CLI,
        )
        print(f"Escalation {escalation.id} acknowledged by {args.staff}; paging stopped.")
    return 0


def cmd_escalation_resolve(args: argparse.Namespace) -> int:
    from bot.escalation import resolve_escalation
    from bot.storage import session_scope

    with session_scope() as session:
        escalation = resolve_escalation(
            session,
            escalation_id=_escalation_id(session, args.escalation),
            therapist=_staff(session, args.staff),
            note=args.note,
            now=utcnow(),
        )
        print(f"Escalation {escalation.id} resolved by {args.staff}.")
    return 0


def cmd_reminders_add(args: argparse.Namespace) -> int:
    from bot.reminders.manage import add_for_client
    from bot.storage import session_scope
    from bot.storage.models import utcnow

    with session_scope() as session:
        reminder = add_for_client(
            session,
            client_code=args.client,
            kind=args.kind,
            therapist_email=args.therapist,
            now=utcnow(),
            at=args.at,
            days=args.days,
            on=args.on,
            text=args.text,
            after_days=args.after_days,
            homework_id=args.homework,
        )
        print(f"Added {reminder.kind} reminder {reminder.id} for client {args.client.upper()}.")
    return 0


def cmd_reminders_list(args: argparse.Namespace) -> int:
    from bot.reminders.manage import reminder_lines
    from bot.storage import session_scope

    with session_scope() as session:
        lines = reminder_lines(session, args.client)
    print("\n".join(lines) if lines else "No active reminders.")
    return 0


def cmd_reminders_remove(args: argparse.Namespace) -> int:
    from bot.reminders.manage import remove
    from bot.storage import session_scope
    from bot.storage.models import utcnow

    with session_scope() as session:
        reminder = remove(session, args.id, utcnow())
        print(f"Stopped {reminder.kind} reminder {reminder.id}.")
    return 0


def cmd_reminders_quiet(args: argparse.Namespace) -> int:
    from bot.reminders.manage import set_quiet_hours
    from bot.storage import session_scope
    from bot.storage.models import utcnow

    with session_scope() as session:
        print(set_quiet_hours(session, args.client, args.start, args.end, utcnow()))
    return 0


def cmd_checkin_add(args: argparse.Namespace) -> int:
    from bot.reminders.manage import add_for_client
    from bot.storage import session_scope
    from bot.storage.enums import ReminderKind
    from bot.storage.models import utcnow

    with session_scope() as session:
        reminder = add_for_client(
            session,
            client_code=args.client,
            kind=ReminderKind.CHECKIN,
            therapist_email=args.therapist,
            now=utcnow(),
            at=args.at,
            days=args.days,
            on=args.on,
            text=args.question,
        )
        print(f"Added check-in {reminder.id} for client {args.client.upper()}.")
    return 0


def cmd_checkin_list(args: argparse.Namespace) -> int:
    from bot.reminders.manage import checkin_lines
    from bot.storage import session_scope

    with session_scope() as session:
        lines = checkin_lines(session, args.client)
    print("\n".join(lines) if lines else "No check-ins.")
    return 0


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


def cmd_safety_train(args: argparse.Namespace) -> int:
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]
    from bot.safety.cli import run_train

    return run_train(sys.stdout, folds=args.folds)


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

    run = command(
        commands, "run", cmd_run, "Start WiseMind: Rasa, action server, scheduler, dashboard."
    )
    run.add_argument(
        "--no-seed", action="store_true", help="do not create the demo clinic (embedded defaults)"
    )
    run.add_argument(
        "--seed-demo",
        action="store_true",
        help="create the demo clinic even with SMS or Telegram configured",
    )
    run.add_argument(
        "--ready-timeout", type=float, default=300, help="seconds to wait for the servers"
    )
    command(commands, "train", cmd_train, "Train the Rasa model if its inputs changed.")
    command(
        commands, "scheduler", cmd_scheduler, "Run a scheduler alone (outbox, pages, reminders)."
    )
    command(
        commands,
        "status",
        cmd_status,
        "Say whether the scheduler is running (without it no message or page leaves).",
    )

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

    escalation = commands.add_parser(
        "escalation", help="Crisis escalations (also on the dashboard)."
    )
    escalation_commands = escalation.add_subparsers(
        dest="escalation_command", required=True, parser_class=_Parser
    )
    listing = command(
        escalation_commands, "list", cmd_escalation_list, "List active escalations, newest first."
    )
    listing.add_argument("--all", action="store_true", help="include resolved ones")
    show = command(
        escalation_commands, "show", cmd_escalation_show, "One escalation and its timeline."
    )
    show.add_argument("escalation", help="id or ACK code")
    show.add_argument(
        "--evidence", action="store_true", help="also print the client's words (confidential)"
    )
    ack = command(escalation_commands, "ack", cmd_escalation_ack, "Acknowledge: paging stops.")
    ack.add_argument("escalation", help="id or ACK code")
    ack.add_argument("--as", dest="staff", required=True, help="your staff e-mail")
    resolve = command(
        escalation_commands, "resolve", cmd_escalation_resolve, "Resolve, with a note."
    )
    resolve.add_argument("escalation", help="id or ACK code")
    resolve.add_argument("--as", dest="staff", required=True, help="your staff e-mail")
    resolve.add_argument("--note", required=True, help="what was done")
    reminders = commands.add_parser("reminders", help="Clients' reminders.")
    reminder_commands = reminders.add_subparsers(
        dest="reminders_command", required=True, parser_class=_Parser
    )
    add_reminder = command(
        reminder_commands, "add", cmd_reminders_add, "Set a reminder for a client."
    )
    add_reminder.add_argument("--client", required=True, help="client code")
    add_reminder.add_argument(
        "--kind",
        required=True,
        choices=("diary", "practice", "homework", "session", "reengage"),
        help="session: --on is the appointment (reminded 24 h and 1 h before)",
    )
    _when_options(add_reminder)
    add_reminder.add_argument("--therapist", help="your email (who set it)")
    add_reminder.add_argument("--text", help="practice: the skill to practice")
    add_reminder.add_argument(
        "--after-days", type=int, help="reengage: days without a message before the nudge"
    )
    add_reminder.add_argument("--homework", type=int, help="homework: the homework's id")
    list_reminders = command(
        reminder_commands, "list", cmd_reminders_list, "A client's active reminders."
    )
    list_reminders.add_argument("--client", required=True, help="client code")
    remove_reminder = command(
        reminder_commands, "remove", cmd_reminders_remove, "Stop a reminder (by id)."
    )
    remove_reminder.add_argument("id", type=int, help="the id `reminders list` shows")
    quiet = command(
        reminder_commands,
        "quiet",
        cmd_reminders_quiet,
        "Set a client's quiet hours (their local time); due reminders wait for the end.",
    )
    quiet.add_argument("client", help="client code")
    quiet.add_argument("start", type=_clock, help="HH:MM, e.g. 22:00")
    quiet.add_argument("end", type=_clock, help="HH:MM, e.g. 08:00 (the same as start: none)")

    checkin = commands.add_parser("checkin", help="Therapists' check-in questions.")
    checkin_commands = checkin.add_subparsers(
        dest="checkin_command", required=True, parser_class=_Parser
    )
    add_checkin = command(
        checkin_commands,
        "add",
        cmd_checkin_add,
        "Ask a client your own question through the coach, once or recurring.",
    )
    add_checkin.add_argument("--client", required=True, help="client code")
    add_checkin.add_argument("--therapist", required=True, help="your email")
    add_checkin.add_argument("--question", required=True)
    _when_options(add_checkin)
    list_checkins = command(
        checkin_commands, "list", cmd_checkin_list, "A client's check-ins and their answers."
    )
    list_checkins.add_argument("--client", required=True, help="client code")

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
    train = command(
        safety_commands,
        "train",
        cmd_safety_train,
        "Train the detector's learned model from bot/safety/data/corpus and data/nlu's "
        "ordinary chatter (deterministic).",
    )
    train.add_argument(
        "--folds", type=int, default=0, help="first print N-fold cross-validated figures"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from bot.clinic import ClinicError
    from bot.escalation import EscalationError
    from bot.reminders.store import ReminderError

    args = build_parser().parse_args(argv)
    quiet_libraries()
    try:
        return int(args.handler(args))
    except (ConfigError, ClinicError, EscalationError, ReminderError, UsageError) as exc:
        print(f"wisemind: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
