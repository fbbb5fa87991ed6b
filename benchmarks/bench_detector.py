"""Crisis detector speed: batch throughput and per-message latency, on one core.

Scores a few thousand mixed messages (the hard cases of the detector's tests,
the shared dev set and everyday check-ins, repeated) and prints figures; it
asserts nothing. Run: ``.venv/bin/python benchmarks/bench_detector.py``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.safety import assess, assess_many, get_detector  # noqa: E402
from tests.test_safety_detector import MUST_ESCALATE, MUST_FLAG, MUST_NOT_FLAG  # noqa: E402

DEV_SET = REPO_ROOT / ".." / "shared" / "eval" / "crisis_dev.jsonl"
#: Messages in the throughput run, and single calls timed for latency.
MESSAGES = 5000
LATENCY_SAMPLES = 2000
#: Most real traffic is ordinary check-ins; they are weighted in accordingly.
EVERYDAY = [
    "can we do my diary card",
    "yes",
    "3",
    "I used opposite action today and it kind of helped",
    "what is DEAR MAN",
    "remind me at 8pm please",
    "I had a fight with my mom and I'm really angry but I went for a walk instead",
    "sadness 4, anger 2, fear 1, shame 3, joy 0",
    "I feel anxious about my appointment tomorrow",
    "ok thanks, bye",
]


def _corpus() -> list[str]:
    texts = [*MUST_ESCALATE, *MUST_FLAG, *MUST_NOT_FLAG, *(EVERYDAY * 10)]
    if DEV_SET.exists():
        texts += [
            json.loads(line)["text"]
            for line in DEV_SET.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    return (texts * (MESSAGES // len(texts) + 1))[:MESSAGES]


def main() -> None:
    started = time.perf_counter()
    import bot.safety.detector  # noqa: F401  (spaCy, and TensorFlow where Rasa installed it)

    imported = time.perf_counter()
    get_detector()
    built = time.perf_counter()
    print(f"start-up: import {imported - started:.2f} s, detector build {built - imported:.2f} s")

    texts = _corpus()
    assess_many(texts[:200])  # warm the caches the way a running server would have them
    started = time.perf_counter()
    assess_many(texts)
    elapsed = time.perf_counter() - started
    rate = len(texts) / elapsed
    print(f"assess_many: {len(texts)} messages in {elapsed:.2f} s = {rate:,.0f} messages/s")

    latencies = []
    for text in texts[:LATENCY_SAMPLES]:
        started = time.perf_counter()
        assess(text)
        latencies.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"assess latency: p50 {cuts[49]:.3f} ms, p99 {cuts[98]:.3f} ms, max {max(latencies):.3f} ms"
    )


if __name__ == "__main__":
    main()
