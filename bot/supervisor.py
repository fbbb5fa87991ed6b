"""Runs WiseMind's processes together: one Ctrl-C stops them all.

Each process's output is prefixed with its name. A process that fails to
start stops everything (a broken deployment is loud instead of half-working);
one that crashes once running is restarted, after an exponential back-off
(1 s, 2 s, 4 s … at most a minute, reset after a minute of uptime), and the
log says so: without the scheduler no page leaves, so it must come back.
An optional health endpoint (``GET /health``) reports each process and the
scheduler's heartbeat.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

#: How long a process gets to shut down after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 10
#: Restart back-off: first delay, ceiling, and the uptime after which it starts over.
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 60.0
STABLE_UPTIME = 60.0


@dataclass
class ProcessSpec:
    """One process to supervise: its name (the log prefix) and command."""

    name: str
    command: Sequence[str]
    ready_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)


class Supervisor:
    """Starts processes, prefixes their output, and stops all of them together."""

    def __init__(self, specs: Sequence[ProcessSpec], cwd: Path, out: IO[str] = sys.stdout):
        self.specs = specs
        self.cwd = cwd
        self.out = out
        self.processes: dict[str, subprocess.Popen[str]] = {}
        self._print_lock = threading.Lock()
        self._stopping = threading.Event()
        self.started_at: dict[str, float] = {}
        #: Restarts so far, per process (for the log and the health endpoint).
        self.restarts: dict[str, int] = {spec.name: 0 for spec in specs}
        self._delay: dict[str, float] = {spec.name: FIRST_RESTART_DELAY for spec in specs}
        #: When each crashed process is due to be started again.
        self._restart_at: dict[str, float] = {}

    def _say(self, name: str, line: str) -> None:
        with self._print_lock:
            self.out.write(f"{name:>8} | {line.rstrip()}\n")
            self.out.flush()

    def _pump(self, name: str, stream: IO[str]) -> None:
        for line in stream:
            self._say(name, line)

    def start(self) -> None:
        """Start every process, each in its own process group.

        SIGINT and SIGTERM are handled explicitly (not left to Python's
        KeyboardInterrupt), so that a supervisor started in the background,
        where SIGINT is ignored by default, still stops everything.
        """
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self._stopping.set())
        for spec in self.specs:
            self._spawn(spec)

    def _spawn(self, spec: ProcessSpec) -> None:
        process = subprocess.Popen(
            list(spec.command),
            cwd=self.cwd,
            env={**os.environ, **spec.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.processes[spec.name] = process
        self.started_at[spec.name] = time.monotonic()
        assert process.stdout is not None
        threading.Thread(target=self._pump, args=(spec.name, process.stdout), daemon=True).start()

    def wait_until_ready(self, timeout: float, on_ready: Callable[[], None]) -> bool:
        """Poll each process's ``ready_url``; call ``on_ready`` once all answer."""
        deadline = time.monotonic() + timeout
        pending = [spec for spec in self.specs if spec.ready_url]
        while pending and time.monotonic() < deadline:
            if self.exited() is not None or self._stopping.is_set():
                return False
            pending = [spec for spec in pending if not _answers(spec.ready_url)]
            if pending:
                time.sleep(0.5)
        if pending:
            return False
        on_ready()
        return True

    def exited(self) -> str | None:
        """The name of a process that has exited, if any."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        return None

    def stop(self) -> None:
        """SIGTERM every process group, then SIGKILL whatever is left."""
        for process in self.processes.values():
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()

    def run_forever(self) -> int:
        """Block until Ctrl-C/SIGTERM (exit 0), restarting any process that crashes."""
        while not self._stopping.wait(timeout=0.2):
            self._restart_crashed()
        self._say("wisemind", "stopping")
        self.stop()
        return 0

    def running(self) -> dict[str, bool]:
        """Whether each process is up right now."""
        return {name: process.poll() is None for name, process in self.processes.items()}

    def _restart_crashed(self) -> None:
        now = time.monotonic()
        by_name = {spec.name: spec for spec in self.specs}
        for name, process in list(self.processes.items()):
            if process.poll() is None:
                if now - self.started_at[name] >= STABLE_UPTIME:
                    self._delay[name] = FIRST_RESTART_DELAY
                continue
            if name not in self._restart_at:
                delay = self._delay[name]
                self._delay[name] = min(delay * 2, MAX_RESTART_DELAY)
                self._restart_at[name] = now + delay
                self._say(
                    "wisemind",
                    f"{name} exited with code {process.returncode}; restarting in {delay:g} s",
                )
            elif now >= self._restart_at[name]:
                del self._restart_at[name]
                self._say("wisemind", f"restarting {name} (restart {self.restarts[name] + 1})")
                self._spawn(by_name[name])
                # Counted once the new process exists, so whoever reads the count (``/health``,
                # ``wisemind status``) never sees a restart whose process is not there yet.
                self.restarts[name] += 1

    def serve_health(self, port: int, heartbeats: Callable[[], dict[str, bool]]) -> None:
        """Answer ``GET /health`` on 127.0.0.1:``port``: 200 when all is well, else 503.

        The body says which process is up (and how often it was restarted)
        and, from ``heartbeats``, whether the processes that beat are alive.
        """
        supervisor = self

        class Health(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's spelling)
                if self.path.rstrip("/") != "/health":
                    self.send_error(404)
                    return
                try:
                    beating = heartbeats()
                except Exception:  # the database is down: that is unhealthy, not a crash
                    beating = {}
                running = supervisor.running()
                body = {
                    "processes": {
                        name: {"running": up, "restarts": supervisor.restarts[name]}
                        for name, up in running.items()
                    },
                    "heartbeats": beating,
                }
                healthy = all(running.values()) and bool(beating) and all(beating.values())
                data = json.dumps(body).encode()
                self.send_response(200 if healthy else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                """Health probes are not log events."""

        server = ThreadingHTTPServer(("127.0.0.1", port), Health)
        threading.Thread(target=server.serve_forever, daemon=True).start()


def _signal_group(process: subprocess.Popen[str], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _answers(url: str | None) -> bool:
    if url is None:
        return True
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(200 <= reply.status < 500)
    except OSError:
        return False
