"""``python -m tests.skewed_clock SECONDS ARGS...``: ``wisemind ARGS`` on a host whose clock is off.

Stands in for a second machine whose clock drifted: every ``datetime.now()``
in the process (and so :func:`bot.storage.models.utcnow`) is ``SECONDS``
ahead of the real time (behind when negative). ``datetime.datetime`` is
replaced before anything of WiseMind is imported, so every module sees the
skewed clock; the database's own clock is untouched.
"""

from __future__ import annotations

import datetime as stdlib_datetime
import sys
from datetime import timedelta, tzinfo


def run_skewed(skew_seconds: float, argv: list[str]) -> int:
    """Run the CLI with the process's wall clock moved by ``skew_seconds``."""
    skew = timedelta(seconds=skew_seconds)

    class SkewedDateTime(stdlib_datetime.datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> SkewedDateTime:
            return super().now(tz) + skew

        @classmethod
        def utcnow(cls) -> SkewedDateTime:
            return super().utcnow() + skew

    stdlib_datetime.datetime = SkewedDateTime  # type: ignore[misc]
    from bot.cli import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(run_skewed(float(sys.argv[1]), sys.argv[2:]))
