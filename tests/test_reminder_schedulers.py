"""Several reminder schedulers on one PostgreSQL database: one active, none doubling a reminder.

Real ``wisemind scheduler`` processes against this machine's PostgreSQL (skipped
locally when it does not answer, failed under CI). They hand reminders straight
to the outbox (``WISEMIND_REMINDER_HANDOFF=outbox``): what is tested here is
the claiming and the lease, not Rasa (the Rasa path is in test_reminders_e2e).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.clinic import add_client, add_therapist, record_consent
from bot.reminders.delivery import claim_due
from bot.reminders.lease import LEASE_SECONDS, REMINDERS_LEASE
from bot.reminders.store import add_reminder
from bot.storage import create_engine_for, session_scope
from bot.storage.enums import DeliveryStatus, Direction, ReminderKind
from bot.storage.migrate import upgrade
from bot.storage.models import Client, Message, ReminderDelivery, SchedulerLease, utcnow
from tests.servers import poll_until, scheduler_process

CLIENTS_PER_ROUND = 150
#: Generous: the lease lapses in seconds; this machine is shared and slow under load.
WAIT_SECONDS = 120.0


def _add_clients(engine: Engine, first: int, count: int, due_in: timedelta = timedelta(0)) -> None:
    """``count`` clients, each with a diary reminder due ``due_in`` from now."""
    now = utcnow()
    with session_scope(engine) as session:
        if session.execute(select(func.count()).select_from(Client)).scalar_one() == 0:
            add_therapist(session, email="t@clinic.test", name="Robin Park")
        for number in range(first, first + count):
            client, _ = add_client(
                session, name=f"Client {number}", therapist_email="t@clinic.test",
                timezone="UTC", sms_number=f"+1555{number:07d}",
            )  # fmt: skip
            client.quiet_start = client.quiet_end = client.quiet_start.replace(hour=0)
            record_consent(session, client, "test")
            add_reminder(session, client, ReminderKind.DIARY, now, one_off_at=now + due_in)


def _pending(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(
            session.execute(
                select(func.count(ReminderDelivery.id)).where(
                    ReminderDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING))
                )
            ).scalar_one()
        )


def _reminders_per_client(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        return list(
            session.execute(
                select(func.count(Message.id))
                .where(Message.direction == Direction.OUTBOUND)
                .group_by(Message.client_id)
            ).scalars()
        )


def _holder(engine: Engine) -> str | None:
    with session_scope(engine) as session:
        lease = session.get(SchedulerLease, REMINDERS_LEASE)
        return lease.holder if lease is not None and lease.expires_at > utcnow() else None


@contextmanager
def scheduler(
    url: str, var_dir: Path, name: str, clock_skew: float = 0.0
) -> Iterator[subprocess.Popen[bytes]]:
    """``wisemind scheduler`` on ``url``, its clock ``clock_skew`` s off; stopped afterwards."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WISEMIND_TWILIO", "WISEMIND_TELEGRAM"))
    }
    env.update(
        WISEMIND_DATABASE_URL=url,
        WISEMIND_VAR_DIR=str(var_dir),
        WISEMIND_API_TOKEN="unused-here",
        WISEMIND_REMINDER_HANDOFF="outbox",
    )
    command = ["-m", "tests.skewed_clock", str(clock_skew), "scheduler"] if clock_skew else None
    with scheduler_process(env, var_dir / f"{name}.log", command) as process:
        yield process


def test_two_schedulers_send_each_reminder_once_and_the_standby_takes_over(
    postgres_url: str, tmp_path: Path
) -> None:
    upgrade(postgres_url)
    engine = create_engine_for(postgres_url)
    _add_clients(engine, 0, CLIENTS_PER_ROUND)
    with ExitStack() as stack:
        schedulers = [
            stack.enter_context(scheduler(postgres_url, tmp_path, name)) for name in ("one", "two")
        ]
        assert poll_until(lambda: _pending(engine), lambda n: n == 0, WAIT_SECONDS) == 0
        assert _reminders_per_client(engine) == [1] * CLIENTS_PER_ROUND

        holder = _holder(engine)
        assert holder is not None
        active = next(p for p in schedulers if f":{p.pid}:" in holder)
        standby = next(p for p in schedulers if p is not active)
        os.kill(active.pid, signal.SIGKILL)
        active.wait()
        killed_at = time.monotonic()
        taken = poll_until(lambda: _holder(engine) or "", lambda h: f":{standby.pid}:" in h)
        assert f":{standby.pid}:" in taken
        print(f"standby took over {time.monotonic() - killed_at:.1f} s after SIGKILL")

        _add_clients(engine, CLIENTS_PER_ROUND, CLIENTS_PER_ROUND)
        assert poll_until(lambda: _pending(engine), lambda n: n == 0, WAIT_SECONDS) == 0
        assert _reminders_per_client(engine) == [1] * (2 * CLIENTS_PER_ROUND)
    engine.dispose()


def _log(var_dir: Path, name: str) -> str:
    path = var_dir / f"{name}.log"
    return path.read_text() if path.exists() else ""


def test_schedulers_on_hosts_with_skewed_clocks_never_both_run_and_still_take_over(
    postgres_url: str, tmp_path: Path
) -> None:
    upgrade(postgres_url)
    engine = create_engine_for(postgres_url)
    hour = 3600.0
    with ExitStack() as stack:
        honest = stack.enter_context(scheduler(postgres_url, tmp_path, "honest"))
        held = poll_until(lambda: _holder(engine) or "", lambda h: f":{honest.pid}:" in h)
        assert f":{honest.pid}:" in held, _log(tmp_path, "honest")
        # Hosts an hour ahead and an hour behind: by their own clocks the lease has long
        # expired (ahead), or will not expire for an hour (behind).
        skewed = {
            name: stack.enter_context(scheduler(postgres_url, tmp_path, name, clock_skew=skew))
            for name, skew in (("ahead", hour), ("behind", -hour))
        }
        for name in skewed:
            waiting = poll_until(lambda n=name: _log(tmp_path, n), lambda log: "standby" in log)
            assert "standby" in waiting, waiting[-3000:]
        # Several lease checks by each while the honest one lives: it stays the only one.
        time.sleep(LEASE_SECONDS)
        assert f":{honest.pid}:" in (_holder(engine) or "")
        assert not any("is active" in _log(tmp_path, name) for name in skewed)

        # Due now, and in half an hour (by the database's clock, which is the real one here).
        _add_clients(engine, 0, 1)
        _add_clients(engine, 1, 1, due_in=timedelta(minutes=30))
        os.kill(honest.pid, signal.SIGKILL)
        honest.wait()
        taken = poll_until(
            lambda: _holder(engine) or "",
            lambda h: any(f":{p.pid}:" in h for p in skewed.values()),
            WAIT_SECONDS,
        )
        assert any(f":{p.pid}:" in taken for p in skewed.values()), taken
        assert poll_until(lambda: _pending(engine), lambda n: n == 1, WAIT_SECONDS) == 1
        # The new holder sent the one due now, and not the one its own clock calls due.
        time.sleep(2 * LEASE_SECONDS)
        assert _reminders_per_client(engine) == [1]
        assert _pending(engine) == 1
    engine.dispose()


def test_concurrent_claims_on_postgresql_never_take_the_same_occurrence(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = create_engine_for(postgres_url)
    _add_clients(engine, 0, 20)
    now = utcnow()
    with Session(engine, future=True) as first, Session(engine, future=True) as second:
        first.begin()
        one, _ = claim_due(first, now, limit=12)
        # The first transaction still holds its row locks: the second skips them.
        second.begin()
        two, _ = claim_due(second, now, limit=12)
        second.commit()
        first.commit()
    ids_one = {c.delivery_id for c in one}
    ids_two = {c.delivery_id for c in two}
    assert len(ids_one) == 12 and len(ids_two) == 8
    assert not ids_one & ids_two
    engine.dispose()
