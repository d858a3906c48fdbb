"""The peer benchmark's job body for DTQ: one INCR peerbench:done per job, like every peer."""

from __future__ import annotations

import os
from typing import Any

import redis.asyncio as aioredis

from runtime.tasks import task

_redis: aioredis.Redis | None = None


@task("peerbench.noop", max_retries=0)
async def peerbench_noop(payload: Any) -> None:
    """INCR the harness's completion counter (the same body every peer runs)."""
    global _redis
    if _redis is None:
        _redis = aioredis.Redis.from_url(os.environ["PEERBENCH_REDIS_URL"])
    await _redis.incr("peerbench:done")


@task("bench.stamp", max_retries=0)
async def stamp(payload: Any) -> float:
    """Return the wall-clock time the handler started (for enqueue-to-start latency)."""
    import time

    return time.time()
