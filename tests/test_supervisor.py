"""The supervisor keeps WiseMind's processes up: a crashed child comes back, and says so."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

from bot.background import free_port
from bot.supervisor import ProcessSpec, Supervisor
from tests.servers import poll_until

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def _health(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_child_killed_with_sigkill_is_restarted_with_back_off_and_logged(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    supervisor = Supervisor([ProcessSpec("scheduler", SLEEPER)], cwd=tmp_path, out=out)
    supervisor.start()
    port = free_port()
    beating = {"scheduler": True}
    supervisor.serve_health(port, lambda: dict(beating))
    runner = threading.Thread(target=supervisor.run_forever, daemon=True)
    runner.start()
    try:
        first = supervisor.processes["scheduler"].pid
        assert _health(port)[0] == 200
        os.kill(first, signal.SIGKILL)
        restarted = poll_until(lambda: supervisor.restarts["scheduler"], lambda n: n >= 1)
        assert restarted == 1
        assert supervisor.processes["scheduler"].pid != first
        assert supervisor.running() == {"scheduler": True}
        log = out.getvalue()
        assert "scheduler exited with code -9; restarting in 1 s" in log
        assert "restarting scheduler (restart 1)" in log
        # A second crash soon after waits twice as long.
        os.kill(supervisor.processes["scheduler"].pid, signal.SIGKILL)
        poll_until(lambda: supervisor.restarts["scheduler"], lambda n: n >= 2)
        assert "restarting in 2 s" in out.getvalue()
        status, body = _health(port)
        assert status == 200
        assert body["processes"] == {"scheduler": {"running": True, "restarts": 2}}
        beating["scheduler"] = False  # the scheduler stopped beating (hung)
        assert _health(port)[0] == 503
    finally:
        supervisor._stopping.set()
        runner.join(timeout=30)
    assert all(process.poll() is not None for process in supervisor.processes.values())
