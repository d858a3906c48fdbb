"""Built-in tasks for demos, tests and load tests: noop, echo, sleep, fail, flaky, synthetic."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from runtime.errors import PermanentError
from runtime.tasks.registry import JobContext, task


def _number(payload: Any, name: str, default: float, low: float, high: float) -> float:
    value = payload.get(name, default) if isinstance(payload, dict) else default
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise PermanentError(f"payload.{name} must be a number from {low} to {high}")
    return float(value)


@task("noop")
async def noop(payload: Any) -> None:
    """Does nothing and returns nothing."""


@task("echo")
async def echo(payload: Any) -> Any:
    """Returns its payload as the result."""
    return payload


@task("sleep")
async def sleep(payload: Any, ctx: JobContext) -> dict[str, float]:
    """Sleeps payload.seconds (default 1, at most 3600); cancellable while it sleeps."""
    seconds = _number(payload, "seconds", 1.0, 0.0, 3600.0)
    await asyncio.sleep(seconds)
    return {"slept_s": seconds}


@task("fail")
async def fail(payload: Any) -> None:
    """Always raises (message from payload.message), so it is retried and then dead-lettered."""
    message = payload.get("message", "failed on purpose") if isinstance(payload, dict) else ""
    raise RuntimeError(str(message) or "failed on purpose")


@task("flaky")
async def flaky(payload: Any, ctx: JobContext) -> dict[str, int]:
    """Fails its first payload.fail_times attempts (default 1), then succeeds."""
    fail_times = int(_number(payload, "fail_times", 1, 0, 100))
    if ctx.attempt <= fail_times:
        raise RuntimeError(f"flaky: attempt {ctx.attempt} of {fail_times} planned failures")
    return {"succeeded_on_attempt": ctx.attempt}


@task("synthetic")
async def synthetic(payload: Any) -> dict[str, str]:
    """A little CPU work (payload.rounds sha256 rounds, default 200), like a small real job."""
    rounds = int(_number(payload, "rounds", 200, 0, 100_000))
    digest = str(payload).encode()
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return {"digest": digest.hex()[:16]}
