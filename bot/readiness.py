"""Is this installation able to reach a person? Start-up checks, warnings, and heartbeats.

A crisis page is only as good as the things around it: a link the paged
person can open from their phone, a rota of real people rather than the demo
clinic, and a scheduler that is running (it sends every message and moves
pages on). This module checks each of them for ``wisemind run``,
``wisemind oncall check``, ``wisemind status`` and the health endpoint.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.settings import PREFIX, ConfigError, Settings, masked_url
from bot.storage.models import Heartbeat, OncallShift, Therapist

#: The scheduler's name in ``heartbeats``.
SCHEDULER = "scheduler"
#: How often the scheduler says it is alive.
HEARTBEAT_SECONDS = 2.0
#: A heartbeat older than this means the scheduler is not running.
HEARTBEAT_STALE = timedelta(seconds=15)
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def check_dashboard_url(settings: Settings) -> None:
    """Refuse a dashboard link a paged person could not open from their phone.

    Only when a real channel (Twilio, Telegram) is configured: on the embedded
    defaults no page leaves, and the local link is what a developer wants.
    """
    if not settings.real_channel_configured:
        return
    name = f"{PREFIX}DASHBOARD_URL"
    parts = urlsplit(settings.dashboard_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{name} must be the dashboard's public address, like https://wisemind.example.org"
        )
    if _is_loopback(parts.hostname):
        raise ConfigError(
            f"{name} is {masked_url(settings.dashboard_url)}, which only works on this machine: "
            "pages sent by SMS or Telegram must link to the dashboard's public address"
        )


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def demo_staff_on_rota(session: Session) -> list[str]:
    """E-mails of demo accounts (``wisemind demo seed``) that have on-call shifts."""
    return list(
        session.execute(
            select(Therapist.email)
            .join(OncallShift, OncallShift.therapist_id == Therapist.id)
            .where(Therapist.is_demo.is_(True), Therapist.active.is_(True))
            .distinct()
            .order_by(Therapist.email)
        ).scalars()
    )


def demo_rota_warning(session: Session, settings: Settings) -> str | None:
    """A loud warning when demo staff are on a rota that pages real phones, else None."""
    if not settings.real_channel_configured:
        return None
    demo = demo_staff_on_rota(session)
    if not demo:
        return None
    return (
        f"WARNING: demo staff are on the on-call rota ({', '.join(demo)}) while real SMS or "
        "Telegram is configured. They are never paged and never cover a gap: put real "
        "therapists on call (wisemind oncall set) and deactivate the demo accounts."
    )


# --- heartbeats ------------------------------------------------------------------


def beat(session: Session, process: str, started_at: datetime, now: datetime) -> None:
    """Record that ``process`` (this OS process) is alive at ``now``."""
    row = session.get(Heartbeat, process)
    if row is None:
        row = Heartbeat(process=process)
        session.add(row)
    row.pid = os.getpid()
    row.host = socket.gethostname()
    row.started_at = started_at
    row.beat_at = now
    session.flush()


@dataclass(frozen=True)
class ProcessHealth:
    """Whether a process that heartbeats is running, as far as the database can tell."""

    process: str
    running: bool
    last_beat: datetime | None
    pid: int | None

    def describe(self, now: datetime) -> str:
        if self.last_beat is None:
            return f"{self.process}: never started: no message or page can leave"
        age = int((now - self.last_beat).total_seconds())
        if self.running:
            return f"{self.process}: running (pid {self.pid}, last heartbeat {age} s ago)"
        return (
            f"{self.process}: NOT RUNNING (last heartbeat {age} s ago): "
            "no message or page can leave until it is back"
        )


def health_of(session: Session, process: str, now: datetime) -> ProcessHealth:
    row = session.get(Heartbeat, process)
    if row is None:
        return ProcessHealth(process, running=False, last_beat=None, pid=None)
    running = now - row.beat_at <= HEARTBEAT_STALE
    return ProcessHealth(process, running=running, last_beat=row.beat_at, pid=row.pid)
