"""``python -m bot.safety``: classify JSON lines from stdin (see :mod:`bot.safety.cli`)."""

from __future__ import annotations

import io
import sys

from bot.safety import skip_tensorflow

skip_tensorflow()  # saves this stand-alone command about five seconds of start-up

from bot.safety.cli import run_classify  # noqa: E402  (must follow the line above)


def main() -> int:
    """Read stdin as UTF-8 (undecodable bytes replaced, never a crash) and classify it."""
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=False)
    try:
        return run_classify(stdin, stdout)
    finally:
        stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
