"""Run every benchmark (``benchmarks/bench_*.py``) in turn: what ``make bench`` runs.

Each benchmark is its own script, run in its own process with this Python, so
one benchmark's servers, threads and memory never colour another's figures.
Their output is passed through as it comes; a summary follows. The exit
status is non-zero if any benchmark failed, so a broken benchmark is noticed.

Usage: ``.venv/bin/python benchmarks/run_all.py``
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCHMARKS_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCHMARKS_DIR.parent
BENCHMARK_GLOB = "bench_*.py"
#: A benchmark bounds its own run time; this only stops one that hangs regardless.
BENCHMARK_TIMEOUT_SECONDS = 30 * 60


def benchmark_scripts() -> list[Path]:
    """Every benchmark script, in name order so runs are comparable."""
    return sorted(BENCHMARKS_DIR.glob(BENCHMARK_GLOB))


def run_benchmark(script: Path) -> tuple[int, float]:
    """Run one benchmark from the project root; its exit status and how long it took."""
    print(f"\n===== {script.relative_to(PROJECT_ROOT)} =====\n", flush=True)
    started = time.monotonic()
    try:
        status = subprocess.run(
            [sys.executable, str(script)], cwd=PROJECT_ROOT, timeout=BENCHMARK_TIMEOUT_SECONDS
        ).returncode
    except subprocess.TimeoutExpired:
        print(f"{script.name} did not finish in {BENCHMARK_TIMEOUT_SECONDS} s", flush=True)
        status = 1
    return status, time.monotonic() - started


def main() -> int:
    scripts = benchmark_scripts()
    if not scripts:
        print(f"No {BENCHMARK_GLOB} in {BENCHMARKS_DIR}", file=sys.stderr)
        return 1
    results = {script.name: run_benchmark(script) for script in scripts}
    print("\n===== Summary =====")
    for name, (status, seconds) in results.items():
        print(f"{name:<32} {'ok' if status == 0 else f'FAILED ({status})':<12} {seconds:6.0f} s")
    return 0 if all(status == 0 for status, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
