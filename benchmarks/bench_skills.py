"""Skills library speed: loading the content, finding a skill, suggesting skills.

Runs on one core with no server; prints figures and asserts nothing. The
messages are the situations and spellings of the skills tests plus a 10 kB
message, repeated. Run: ``.venv/bin/python benchmarks/bench_skills.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.skills import load_library, suggest_skills  # noqa: E402
from bot.skills.library import CONTENT_DIR, _load  # noqa: E402

#: Calls timed per function.
SAMPLES = 5000
#: Cold loads timed (each reads and validates every file).
LOADS = 10
SITUATIONS = [
    "I'm about to explode at my mom",
    "help me calm down",
    "I know I'm overreacting but he didn't text back",
    "i need to ask my boss for a raise",
    "I haven't slept in 2 days and I'm so irritable",
    "my dad died last month and i can't accept it",
    "im so anxous about everything",
    "no puedo dormir y estoy agotada",
    "ok thanks",
    "I'm so overwhelmed. " + "and then " * 1200,
]
REQUESTS = [
    "what is tipp?",
    "DEAR-MAN",
    "dear mna",
    "tell me about opposite action",
    "walk me through radical acceptence please",
    "I can't stop crying",
    "what skills do you have",
    "mente sabia",
]


def _latency(name: str, call: Callable[[str], object], texts: list[str]) -> None:
    timings = []
    for index in range(SAMPLES):
        started = time.perf_counter()
        call(texts[index % len(texts)])
        timings.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(timings, n=100)
    print(
        f"{name}: p50 {cuts[49]:.3f} ms, p95 {cuts[94]:.3f} ms, p99 {cuts[98]:.3f} ms, "
        f"max {max(timings):.3f} ms ({SAMPLES} calls)"
    )


def main() -> None:
    loads = []
    for _ in range(LOADS):
        started = time.perf_counter()
        _load.__wrapped__(CONTENT_DIR.resolve())
        loads.append((time.perf_counter() - started) * 1000)
    library = load_library()
    print(
        f"load and validate {len(library)} skills: median {statistics.median(loads):.0f} ms, "
        f"max {max(loads):.0f} ms (cached after the first load)"
    )
    _latency("find", library.find, REQUESTS)
    _latency("suggest_skills", lambda text: suggest_skills(text, library), SITUATIONS)
    longest = SITUATIONS[-1]
    started = time.perf_counter()
    suggest_skills(longest, library)
    print(
        f"suggest_skills on a {len(longest):,}-character message: "
        f"{(time.perf_counter() - started) * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
