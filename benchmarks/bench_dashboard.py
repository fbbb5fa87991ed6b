"""Dashboard benchmark: how long the pages a therapist opens take to serve.

Seeds the demo clinic with its 60-day history on a temporary SQLite database,
logs in as the demo therapist through Starlette's TestClient (the whole app:
cookie, CSRF, login check, queries, audit row, template), and times N requests
of each page: the caseload, the client page over 30 and 90 days (three SVG
charts, the transcript of the latest 200 messages), and the escalation page.
Prints p50/p95 per page; asserts nothing about them.

Usage: ``.venv/bin/python benchmarks/bench_dashboard.py [--requests N]``
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select
from starlette.testclient import TestClient

from bot.dashboard.app import create_app
from bot.dashboard.demo_data import seed_demo_history
from bot.demo import DEMO_CLIENT_CODE, seed_demo
from bot.settings import load_settings
from bot.storage import create_engine_for, session_scope, upgrade
from bot.storage.models import Client, Escalation, utcnow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = create_engine_for(url)
        with session_scope(engine) as session:
            credentials = seed_demo(session, credentials_file=Path(tmp) / "credentials.txt")
            seed_demo_history(session, utcnow())
            client_id = session.execute(
                select(Client.id).where(Client.code == DEMO_CLIENT_CODE)
            ).scalar_one()
            escalation_id = session.execute(select(Escalation.id)).scalar_one()
        password = next(a.password for a in credentials.accounts if a.email.startswith("therapist"))
        settings = dataclasses.replace(load_settings(), dashboard_secret="b" * 43)
        with TestClient(create_app(settings, engine)) as http:
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', http.get("/login").text)
            assert csrf is not None
            http.post(
                "/login",
                data={"email": "therapist@demo.clinic", "password": password or "",
                      "csrf_token": csrf.group(1)},
            )  # fmt: skip
            pages = {
                "caseload": "/caseload",
                "client, 30 days": f"/clients/{client_id}",
                "client, 90 days": f"/clients/{client_id}?days=90",
                "escalation": f"/escalations/{escalation_id}",
            }
            print(f"{args.requests} requests per page, demo clinic with 60 days of history")
            for name, path in pages.items():
                timings = []
                for _ in range(args.requests):
                    start = time.perf_counter()
                    reply = http.get(path)
                    timings.append((time.perf_counter() - start) * 1000)
                    assert reply.status_code == 200, (path, reply.status_code)
                timings.sort()
                p95 = timings[int(len(timings) * 0.95) - 1]
                print(
                    f"  {name:<16} p50 {statistics.median(timings):6.1f} ms   p95 {p95:6.1f} ms"
                    f"   ({len(reply.content) // 1024} KiB)"
                )
        engine.dispose()


if __name__ == "__main__":
    main()
