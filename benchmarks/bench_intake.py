"""Intake pipeline speed: one webhook's work (screen, store, decide) and the retry loop.

Runs :func:`bot.intake.receive` in-process on a private SQLite database with
the demo clinic (SMS configured, so risky messages open an escalation and
queue a page and a crisis reply), and prints figures; it asserts nothing.
Then stores messages unscreened, as a crash would leave them, and times
:func:`bot.intake.screen_pending` finishing them.
Run: ``.venv/bin/python benchmarks/bench_intake.py``.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.demo import seed_demo  # noqa: E402
from bot.intake import FloodControl, InboundMessage, receive, screen_pending  # noqa: E402
from bot.intake.pipeline import SCREENING_GRACE  # noqa: E402
from bot.settings import TwilioSettings, load_settings  # noqa: E402
from bot.storage import create_engine_for, session_scope, upgrade  # noqa: E402
from bot.storage.models import Message, utcnow  # noqa: E402

ORDINARY = ["can we do my diary card", "3", "what is DEAR MAN", "ok thanks, bye"]
RISKY = ["i want to kill myself tonight", "i have the pills right here, goodbye"]
MESSAGES = 400
UNSCREENED = 200
DEMO_PHONE = "+15005550006"


def _percentiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100)
    return f"p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms, max {max(values):.1f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        engine = create_engine_for(url)
        with session_scope(engine) as session:
            seed_demo(session, credentials_file=Path(folder) / "credentials.txt")
        settings = dataclasses.replace(
            load_settings(), twilio=TwilioSettings("AC" + "0" * 32, "t", "+15005550000")
        )
        flood = FloodControl(burst=MESSAGES * 2)
        receive(InboundMessage("sms", DEMO_PHONE, "warm up", "SMwarm"), settings, engine=engine)
        for label, texts in (("ordinary", ORDINARY), ("risky", RISKY)):
            latencies = []
            for n in range(MESSAGES):
                message = InboundMessage("sms", DEMO_PHONE, texts[n % len(texts)], f"SM{label}{n}")
                started = time.perf_counter()
                receive(message, settings, engine=engine, flood=flood)
                latencies.append((time.perf_counter() - started) * 1000)
            print(f"receive, {label} SMS ({MESSAGES}): {_percentiles(latencies)}")

        created = utcnow() - SCREENING_GRACE
        with session_scope(engine) as session:
            session.add_all(
                Message(client_id=1, channel="sms", direction="inbound", address=DEMO_PHONE,
                        body=RISKY[n % 2] if n % 10 == 0 else ORDINARY[n % 4],
                        status="received", created_at=created)
                for n in range(UNSCREENED)
            )  # fmt: skip
        started = time.perf_counter()
        finished = 0
        while finished < UNSCREENED:
            finished += screen_pending(settings, engine=engine)
        elapsed = time.perf_counter() - started
        print(
            f"screen_pending: {finished} unscreened messages (1 in 10 risky) in {elapsed:.2f} s "
            f"= {finished / elapsed:,.0f} messages/s"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
