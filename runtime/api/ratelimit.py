"""RateLimiter: a token bucket per API key, in this process (RATE_LIMIT_PER_S, RATE_LIMIT_BURST)."""

from __future__ import annotations

import math
import time

from runtime.errors import TaskQueueError


class RateLimited(TaskQueueError):
    """Raised when a key sends faster than its rate; retry_after_s says when to try again."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            f"rate limit exceeded; retry after {retry_after_s} s",
            details={"retry_after_s": retry_after_s},
        )
        self.retry_after_s = retry_after_s


class RateLimiter:
    """Token buckets keyed by API key; a rate of 0 turns limiting off."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, key: str, now: float | None = None) -> None:
        """Take one token for `key`, or raise RateLimited."""
        if self.rate_per_s <= 0:
            return
        t = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(key, (float(self.burst), t))
        tokens = min(float(self.burst), tokens + (t - last) * self.rate_per_s)
        if tokens < 1:
            self._buckets[key] = (tokens, t)
            raise RateLimited(max(1, math.ceil((1 - tokens) / self.rate_per_s)))
        self._buckets[key] = (tokens - 1, t)
