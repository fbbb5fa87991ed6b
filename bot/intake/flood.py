"""Per-sender flood control: a token bucket in memory.

It throttles what a flood costs (replies and the assistant's work), never
what keeps a person safe: a throttled message is still stored and screened,
and a crisis reply and page still go out (see :func:`bot.intake.receive`).
Each Rasa server keeps its own buckets; that bounds the cost per server,
which is what a flood threatens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: A sender may send this many messages in a burst...
FLOOD_BURST = 30
#: ...and one more every this many seconds after that.
FLOOD_REFILL_SECONDS = 2.0
#: Past this many senders, idle buckets (full again) are forgotten.
MAX_TRACKED_SENDERS = 10_000
#: Buckets idle this long are full again.
_IDLE_SECONDS = FLOOD_BURST * FLOOD_REFILL_SECONDS


class FloodControl:
    """Token buckets by sender; thread-safe (webhooks decide in worker threads)."""

    def __init__(
        self,
        burst: int = FLOOD_BURST,
        refill_seconds: float = FLOOD_REFILL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, channel: str, address: str) -> bool:
        """Take a token for this sender; False when their bucket is empty."""
        now = self.clock()
        key = (channel, address)
        with self._lock:
            tokens, since = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - since) / self.refill_seconds)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > MAX_TRACKED_SENDERS:
                self._forget_idle(now)
            return allowed

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, (_, since) in self._buckets.items() if now - since > _IDLE_SECONDS]
        for key in idle:
            del self._buckets[key]
