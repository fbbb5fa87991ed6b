"""Runs WiseMind's processes together: one Ctrl-C stops them all.

Each process's output is prefixed with its name. If one process exits, the
others are stopped too and ``wisemind run`` exits with an error, so a broken
deployment is loud instead of half-working.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

#: How long a process gets to shut down after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 10


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
            assert process.stdout is not None
            threading.Thread(
                target=self._pump, args=(spec.name, process.stdout), daemon=True
            ).start()

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
        """Block until Ctrl-C/SIGTERM (exit 0) or until a process dies (exit 1)."""
        while not self._stopping.wait(timeout=0.5):
            name = self.exited()
            if name is not None:
                code = self.processes[name].returncode
                self._say("wisemind", f"{name} exited with code {code}; stopping everything")
                self.stop()
                return 1
        self._say("wisemind", "stopping")
        self.stop()
        return 0


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
