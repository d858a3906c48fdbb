"""decide(): backoff bounds, the attempt budget, permanent errors, bounded descriptions."""

from __future__ import annotations

import pytest

from runtime.errors import PermanentError
from runtime.retry import DeadLetter, Retry, RetryPolicy, backoff_ceiling_ms, decide, describe

POLICY = RetryPolicy(max_retries=10, initial_backoff_ms=100, max_backoff_ms=5_000)
JITTERS = [0.0, 0.25, 0.5, 0.999999]


@pytest.mark.parametrize("attempt", range(1, 11))
@pytest.mark.parametrize("jitter", JITTERS)
def test_retry_delay_lies_between_half_and_full_ceiling(attempt: int, jitter: float) -> None:
    ceiling = min(100 * 2 ** (attempt - 1), 5_000)
    decision = decide(POLICY, attempt, RuntimeError("boom"), jitter=jitter)
    assert isinstance(decision, Retry)
    assert ceiling // 2 <= decision.delay_ms <= ceiling


def test_backoff_ceiling_doubles_then_caps_at_max() -> None:
    ceilings = [backoff_ceiling_ms(POLICY, a) for a in range(1, 9)]
    assert ceilings == [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]


def test_jitter_zero_gives_half_ceiling_and_near_one_gives_almost_full() -> None:
    assert decide(POLICY, 3, RuntimeError(), jitter=0.0) == Retry(delay_ms=200)
    high = decide(POLICY, 3, RuntimeError(), jitter=0.999999)
    assert isinstance(high, Retry) and 399 <= high.delay_ms <= 400


def test_huge_attempt_numbers_do_not_overflow_the_cap() -> None:
    decision = decide(RetryPolicy(10_000, 1, 60_000), 5_000, RuntimeError(), jitter=0.5)
    assert isinstance(decision, Retry) and 30_000 <= decision.delay_ms <= 60_000


@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_job_is_dead_after_max_retries_plus_one_attempts(max_retries: int) -> None:
    policy = RetryPolicy(max_retries, 10, 100)
    assert policy.max_attempts == max_retries + 1
    for attempt in range(1, max_retries + 1):
        assert isinstance(decide(policy, attempt, RuntimeError(), jitter=0.5), Retry)
    last = decide(policy, max_retries + 1, RuntimeError("x"), jitter=0.5)
    assert last == DeadLetter(reason="RuntimeError: x")


def test_permanent_error_is_dead_lettered_at_once() -> None:
    decision = decide(POLICY, 1, PermanentError("bad payload"), jitter=0.5)
    assert decision == DeadLetter(reason="PermanentError: bad payload")


def test_zero_initial_backoff_retries_immediately() -> None:
    assert decide(RetryPolicy(3, 0, 0), 1, RuntimeError(), jitter=0.7) == Retry(delay_ms=0)


def test_describe_names_the_type_and_message() -> None:
    assert describe(ValueError("nope")) == "ValueError: nope"
    assert describe(TimeoutError()) == "TimeoutError"


def test_describe_is_bounded() -> None:
    assert len(describe(RuntimeError("x" * 100_000))) == 2_000
