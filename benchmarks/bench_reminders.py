"""Reminder scheduler at scale: 10,000 clients with a daily reminder due in the same minute.

Builds a fresh database (SQLite in a temporary folder by default, or
``--database-url``), enrols the clients in bulk, each with a daily diary
reminder at the same local time a little ahead, lets the reminder loop
materialise the occurrences, then runs the loop (``bot.reminders.loop``, in
its own process, as the scheduler runs it) until every occurrence has been
handed to the outbox. It prints:

- hand-off time: from the due time to the last occurrence queued in the outbox;
- duplicates: outbox messages beyond one per client, and occurrences per reminder;
- the loop process's peak resident memory (VmHWM).

The hand-off measured is the core's (``WISEMIND_REMINDER_HANDOFF=outbox``: the
reminder's words are queued straight into the outbox), without Rasa; through
Rasa each reminder is one conversation turn (``trigger_intent``) and costs what
a message costs there (see the conversation benchmark). The outbox sender is
not running, so nothing else competes for the rows. It asserts nothing.

``--through-rasa N`` measures the production path instead, for N clients:
``wisemind run`` (model trained), its scheduler triggering each reminder in
Rasa, the action marking it sent and the SMS output channel queueing it.

Run: ``.venv/bin/python benchmarks/bench_reminders.py [--clients 10000 | --through-rasa 200]``
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import func, select  # noqa: E402

from bot.storage import create_engine_for, session_scope  # noqa: E402
from bot.storage.enums import Channel, DeliveryStatus, Direction, ReminderKind  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.storage.models import (  # noqa: E402
    Client,
    ClientIdentity,
    Message,
    Reminder,
    ReminderDelivery,
    Therapist,
    utcnow,
)

#: Seconds between start-up and the shared due time: the clients are enrolled, the loop is
#: up and has made the occurrences by then, even with other work sharing the cores.
LEAD_SECONDS = 60
POLL_SECONDS = 0.5
#: Gives up if the hand-off takes longer than this.
MAX_WAIT_SECONDS = 600
LOOP_PROCESS = (
    "import asyncio, signal\n"
    "from bot.reminders.loop import ReminderLoop\n"
    "from bot.reminders.handoff import OutboxHandoff\n"
    "async def main():\n"
    "    stop = asyncio.Event()\n"
    "    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)\n"
    "    await ReminderLoop(OutboxHandoff()).run(stop)\n"
    "asyncio.run(main())\n"
)


def enrol(database_url: str, clients: int, due: datetime) -> None:
    """``clients`` clients (UTC, no quiet hours), each with a daily reminder at ``due``."""
    engine = create_engine_for(database_url)
    with session_scope(engine) as session:
        therapist = Therapist(email="bench@clinic.test", name="Bench Therapist", password_hash="-")
        session.add(therapist)
        session.flush()
        session.bulk_insert_mappings(
            Client,
            [
                {
                    "code": f"B{number:07d}", "name": f"Client {number}",
                    "therapist_id": therapist.id, "timezone": "UTC",
                    "quiet_start": clock(0), "quiet_end": clock(0), "locale": "en",
                    "consent_at": utcnow(), "created_at": utcnow(),
                }
                for number in range(clients)
            ],
        )  # fmt: skip
        ids = session.execute(select(Client.id).order_by(Client.id)).scalars().all()
        session.bulk_insert_mappings(
            ClientIdentity,
            [
                {"client_id": id_, "channel": Channel.SMS, "address": f"+1555{id_:07d}",
                 "created_at": utcnow()}
                for id_ in ids
            ],
        )  # fmt: skip
        session.bulk_insert_mappings(
            Reminder,
            [
                {"client_id": id_, "kind": ReminderKind.DIARY, "local_time": due.time(),
                 "days": "daily", "active": True, "created_at": utcnow()}
                for id_ in ids
            ],
        )  # fmt: skip
    engine.dispose()


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def through_rasa(clients: int) -> None:
    """The production path for ``clients`` reminders: ``wisemind run``, its scheduler, Rasa."""
    from bot.background import background_wisemind

    with (
        tempfile.TemporaryDirectory() as var_dir,
        background_wisemind(Path(var_dir)) as running,
    ):
        due = (utcnow() + timedelta(seconds=LEAD_SECONDS)).replace(microsecond=0)
        enrol(running.database_url, clients, due)
        engine = create_engine_for(running.database_url)
        deadline = time.monotonic() + LEAD_SECONDS + MAX_WAIT_SECONDS
        sent = 0
        while sent < clients and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            with session_scope(engine) as session:
                sent = session.execute(
                    select(func.count(ReminderDelivery.id)).where(
                        ReminderDelivery.status == DeliveryStatus.SENT
                    )
                ).scalar_one()
        with session_scope(engine) as session:
            last_sent = session.execute(select(func.max(ReminderDelivery.sent_at))).scalar_one()
            per_client = (
                session.execute(
                    select(func.count(Message.id))
                    .where(Message.direction == Direction.OUTBOUND)
                    .group_by(Message.client_id)
                )
                .scalars()
                .all()
            )
        engine.dispose()
    print(f"through Rasa: {sent} of {clients} reminders said by the action (sent)")
    print(f"last sent {(last_sent - due).total_seconds():.1f} s after the due time")
    print(f"({sent / max((last_sent - due).total_seconds(), 0.001):.1f} reminders/s)")
    print(f"duplicates: {sum(n - 1 for n in per_client if n > 1)} outbox messages")
    print(f"load average: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument(
        "--through-rasa",
        type=int,
        metavar="N",
        help="instead: N reminders through `wisemind run` (its scheduler, Rasa, the action)",
    )
    args = parser.parse_args()
    if args.through_rasa:
        through_rasa(args.through_rasa)
        return

    with tempfile.TemporaryDirectory() as var_dir:
        url = args.database_url or f"sqlite:///{Path(var_dir) / 'bench.db'}"
        upgrade(url)
        due = (utcnow() + timedelta(seconds=LEAD_SECONDS)).replace(microsecond=0)
        started = time.perf_counter()
        enrol(url, args.clients, due)
        print(f"{args.clients} clients enrolled in {time.perf_counter() - started:.1f} s")

        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "WISEMIND_DATABASE_URL": url,
            "WISEMIND_VAR_DIR": var_dir,
        }
        loop = subprocess.Popen([sys.executable, "-c", LOOP_PROCESS], cwd=REPO_ROOT, env=env)
        engine = create_engine_for(url)
        try:
            deadline = time.monotonic() + LEAD_SECONDS + MAX_WAIT_SECONDS
            materialised = 0
            while materialised < args.clients and time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
                with session_scope(engine) as session:
                    materialised = session.execute(
                        select(func.count(ReminderDelivery.id))
                    ).scalar_one()
            ahead = (due - utcnow()).total_seconds()
            print(f"occurrences made {ahead:.1f} s before the due time")
            if ahead <= 0:
                sys.exit("the loop was not ready by the due time: raise LEAD_SECONDS")
            while time.monotonic() < deadline:
                with session_scope(engine) as session:
                    queued = session.execute(
                        select(func.count(Message.id)).where(
                            Message.direction == Direction.OUTBOUND
                        )
                    ).scalar_one()
                if queued >= args.clients:
                    break
                time.sleep(POLL_SECONDS)
            memory = peak_memory_mb(loop.pid)
        finally:
            loop.send_signal(signal.SIGTERM)
            loop.wait(timeout=60)

        with session_scope(engine) as session:
            last_queued = session.execute(
                select(func.max(Message.created_at)).where(Message.direction == Direction.OUTBOUND)
            ).scalar_one()
            first_queued = session.execute(
                select(func.min(Message.created_at)).where(Message.direction == Direction.OUTBOUND)
            ).scalar_one()
            per_client = (
                session.execute(
                    select(func.count(Message.id))
                    .where(Message.direction == Direction.OUTBOUND)
                    .group_by(Message.client_id)
                )
                .scalars()
                .all()
            )
            per_reminder = (
                session.execute(
                    select(func.count(ReminderDelivery.id))
                    .where(ReminderDelivery.status == DeliveryStatus.SENT)
                    .group_by(ReminderDelivery.reminder_id)
                )
                .scalars()
                .all()
            )
        engine.dispose()

    def aware(value: datetime | str) -> datetime:
        value = datetime.fromisoformat(value) if isinstance(value, str) else value
        return value if value.tzinfo else value.replace(tzinfo=due.tzinfo)

    duplicates = sum(n - 1 for n in per_client if n > 1)
    doubled = sum(n - 1 for n in per_reminder if n > 1)
    print(f"database: {url.split(':')[0]}; occurrences materialised ahead: {materialised}")
    print(f"reminders handed to the outbox: {sum(per_client)} of {args.clients}")
    print(
        f"first queued {(aware(first_queued) - due).total_seconds():.2f} s after the due time, "
        f"last {(aware(last_queued) - due).total_seconds():.2f} s after it"
    )
    print(f"duplicates: {duplicates} outbox messages, {doubled} occurrences sent twice")
    print(f"reminder loop peak memory (VmHWM): {memory:.0f} MB")
    print(f"load average: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
