"""RetryPolicy and decide(): after a failed attempt, retry after N ms or dead-letter. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from runtime.errors import PermanentError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently one job is retried."""

    max_retries: int
    initial_backoff_ms: int
    max_backoff_ms: int

    @property
    def max_attempts(self) -> int:
        """The first attempt plus every retry."""
        return self.max_retries + 1


@dataclass(frozen=True, slots=True)
class Retry:
    """Run the job again after delay_ms."""

    delay_ms: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Give up on the job and move it to the dead-letter stream."""

    reason: str


def backoff_ceiling_ms(policy: RetryPolicy, attempt: int) -> int:
    """The longest wait after failed attempt number `attempt` (counting from 1)."""
    exponent = min(attempt - 1, 62)
    return int(min(policy.initial_backoff_ms * 2**exponent, policy.max_backoff_ms))


def decide(
    policy: RetryPolicy, attempt: int, error: BaseException, *, jitter: float
) -> Retry | DeadLetter:
    """Choose what follows failed attempt `attempt` (from 1); jitter in [0, 1) spreads retries."""
    if isinstance(error, PermanentError) or attempt >= policy.max_attempts:
        return DeadLetter(reason=describe(error))
    ceiling = backoff_ceiling_ms(policy, attempt)
    return Retry(delay_ms=int(ceiling * (0.5 + jitter / 2)))


def describe(error: BaseException) -> str:
    """A one-line, bounded description of an error for the job record."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text[:2000]
