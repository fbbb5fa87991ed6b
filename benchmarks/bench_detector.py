"""Crisis detector speed: batch throughput, per-message latency, very long messages.

Scores a few thousand mixed messages (the hard cases of the detector's tests,
the shared dev set and everyday check-ins, repeated) and prints figures; it
asserts nothing. Then times 16,000-character messages: one emoji repeated, mixed
emoji, letters without a space, and ordinary text (the detector must stay
linear: under 50 ms each). Run: ``.venv/bin/python benchmarks/bench_detector.py``.
"""

from __future__ import annotations

import json
import os
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
#: The long-message cases: 16,000 characters each.
LONG = 16_000
LONG_CASES = {
    "one emoji repeated": "😭" * LONG,
    "mixed emoji, no spaces": "😭💊🔪🙂🌉🚆🪦👋" * (LONG // 8),
    "emoji with skin tone and joiners": "🤷🏽‍♀️" * (LONG // 5),
    "one letter, no spaces": "a" * LONG,
    "words without spaces": ("ihavethepillsreadytonight" * LONG)[:LONG],
    "punctuation only": "!?" * (LONG // 2),
    "ordinary text": ("i had a long day at work and i am tired. " * LONG)[:LONG],
}
LONG_REPEATS = 5
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
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("times are CPU time of this process (wall time under load in brackets)")

    texts = _corpus()
    assess_many(texts[:200])  # warm the caches the way a running server would have them
    wall, cpu = time.perf_counter(), time.process_time()
    assess_many(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"assess_many: {len(texts)} messages in {cpu:.2f} s = {len(texts) / cpu:,.0f} messages/s"
        f" ({len(texts) / wall:,.0f}/s wall)"
    )

    detector = get_detector()
    cpu = time.process_time()
    detector.assess_rules_many(texts)
    cpu = time.process_time() - cpu
    print(f"  of which the rules alone: {len(texts) / cpu:,.0f} messages/s")
    normalized = [detector.normalize_for_model(text) for text in texts]
    cpu = time.process_time()
    detector.model_scores_normalized(normalized)
    cpu = time.process_time() - cpu
    print(f"  of which the learned model alone: {len(texts) / cpu:,.0f} messages/s")

    latencies, walls = [], []
    for text in texts[:LATENCY_SAMPLES]:
        wall, cpu = time.perf_counter(), time.process_time()
        assess(text)
        latencies.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    cuts = statistics.quantiles(latencies, n=100)
    wall_cuts = statistics.quantiles(walls, n=100)
    print(
        f"assess one at a time: p50 {cuts[49]:.3f} ms, p99 {cuts[98]:.3f} ms"
        f" ({wall_cuts[49]:.3f} / {wall_cuts[98]:.3f} ms wall)"
    )
    long_messages()


def long_messages() -> None:
    """Worst of a few runs for each 16,000-character case."""
    for name, text in LONG_CASES.items():
        timings, walls = [], []
        for _ in range(LONG_REPEATS):
            wall, cpu = time.perf_counter(), time.process_time()
            assess(text)
            timings.append((time.process_time() - cpu) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
        print(
            f"16,000 characters, {name}: median {statistics.median(timings):.1f} ms,"
            f" worst {max(timings):.1f} ms ({statistics.median(walls):.1f} ms wall)"
        )


if __name__ == "__main__":
    main()
