"""RateLimiter: a token bucket per key, driven by an explicit clock."""

from __future__ import annotations

import pytest

from runtime.api.ratelimit import RateLimited, RateLimiter


def test_burst_is_allowed_then_refused() -> None:
    limiter = RateLimiter(rate_per_s=5, burst=5)
    for _ in range(5):
        limiter.check("k", now=100.0)
    with pytest.raises(RateLimited) as refused:
        limiter.check("k", now=100.0)
    assert refused.value.retry_after_s == 1
    assert refused.value.details == {"retry_after_s": 1}


def test_tokens_refill_at_the_rate() -> None:
    limiter = RateLimiter(rate_per_s=2, burst=2)
    limiter.check("k", now=0.0)
    limiter.check("k", now=0.0)
    with pytest.raises(RateLimited):
        limiter.check("k", now=0.1)
    limiter.check("k", now=0.5)  # 0.5 s × 2/s = one token back
    with pytest.raises(RateLimited):
        limiter.check("k", now=0.5)


def test_refill_never_exceeds_the_burst() -> None:
    limiter = RateLimiter(rate_per_s=10, burst=3)
    limiter.check("k", now=0.0)
    for _ in range(3):
        limiter.check("k", now=1_000.0)
    with pytest.raises(RateLimited):
        limiter.check("k", now=1_000.0)


def test_retry_after_rounds_up_for_slow_rates() -> None:
    limiter = RateLimiter(rate_per_s=0.1, burst=1)
    limiter.check("k", now=0.0)
    with pytest.raises(RateLimited) as refused:
        limiter.check("k", now=0.0)
    assert refused.value.retry_after_s == 10


def test_keys_have_separate_buckets() -> None:
    limiter = RateLimiter(rate_per_s=1, burst=1)
    limiter.check("a", now=0.0)
    with pytest.raises(RateLimited):
        limiter.check("a", now=0.0)
    limiter.check("b", now=0.0)


def test_rate_zero_turns_limiting_off() -> None:
    limiter = RateLimiter(rate_per_s=0, burst=1)
    for _ in range(1_000):
        limiter.check("k", now=0.0)


def test_refused_requests_do_not_spend_tokens() -> None:
    limiter = RateLimiter(rate_per_s=1, burst=1)
    limiter.check("k", now=0.0)
    for _ in range(10):
        with pytest.raises(RateLimited):
            limiter.check("k", now=0.5)
    limiter.check("k", now=1.0)
