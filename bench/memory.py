"""Memory benchmark: bytes per retained finished job, stream length after a drain, and memory
back at baseline once retention expires.

    python -m bench.memory [--jobs 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time

import redis.asyncio as aioredis

import bench.tasks  # noqa: F401
from bench.stack import server, workers
from runtime.client import AsyncClient
from runtime.config import Settings
from runtime.jobs import JobRequest

PAYLOAD = {"user_id": 12345, "action": "send_welcome_email"}  # a small, typical payload
TASK = "noop"  # no result: the figure is the queue's own cost per job


async def used_memory(r: aioredis.Redis) -> int:
    """Bytes the server uses (used_memory minus its startup overhead): includes the Lua VM and
    hash tables that grow with use and shrink later, so it is the coarse figure."""
    info = await r.info("memory")
    return int(info["used_memory"]) - int(info["used_memory_startup"])


async def keys_memory(r: aioredis.Redis, prefix: str = "dtq") -> int:
    """The sum of MEMORY USAGE over the queue's own keys: the exact figure."""
    total = 0
    async for key in r.scan_iter(match=f"{prefix}*", count=1000):
        total += int(await r.memory_usage(key, samples=0) or 0)
    return total


async def wait_until(check: object, timeout_s: float) -> None:
    """Poll an async predicate."""
    deadline = time.monotonic() + timeout_s
    while not await check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        await asyncio.sleep(0.2)


async def measure(url: str, jobs: int, ttl_s: int) -> dict[str, float]:
    """Enqueue + drain `jobs`, read memory while retained and after retention expired."""
    r = aioredis.Redis.from_url(url)
    settings = Settings(_env_file=None, redis_url=url)  # type: ignore[call-arg]
    async with AsyncClient(settings) as dtq, contextlib.AsyncExitStack():

        async def drained() -> bool:
            stats = await dtq.broker.stats()
            return stats.jobs_by_status["succeeded"] == jobs

        with workers(url, 1, result_ttl_s=ttl_s):
            await asyncio.sleep(2.0)  # the worker's connections are part of the baseline
            base = await used_memory(r)
            base_keys = await keys_memory(r)
            for start in range(0, jobs, 1000):
                n = min(1000, jobs - start)
                await dtq.enqueue_many([JobRequest(TASK, PAYLOAD) for _ in range(n)])
            await wait_until(drained, 300)
            stream_len = sum([await r.xlen(k.stream) for k in dtq.broker.shard_keys])
            retained = await used_memory(r)
            retained_keys = await keys_memory(r)

            async def expired() -> bool:
                return (await dtq.broker.stats()).jobs_by_status["succeeded"] == 0

            await wait_until(expired, ttl_s + 60)
            await asyncio.sleep(11)  # the 10 s activity buckets' last writes
            after = await used_memory(r)
            after_keys = await keys_memory(r)
    await r.aclose()
    return {
        "jobs": jobs,
        "key_bytes_per_retained_job": round((retained_keys - base_keys) / jobs),
        "used_memory_per_retained_job": round((retained - base) / jobs),
        "stream_len_after_drain": stream_len,
        "keys_bytes_base": base_keys,
        "keys_bytes_after_expiry": after_keys,
        "used_memory_base": base,
        "used_memory_after_expiry": after,
    }


def main() -> None:
    """Print one line of figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=20_000)
    p.add_argument("--ttl-s", type=int, default=20, help="RESULT_TTL_S of the worker")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    with server() as srv:
        figures = asyncio.run(measure(srv.url, args.jobs, args.ttl_s))
    print(
        json.dumps(figures)
        if args.json
        else "MEMORY " + " ".join(f"{k}={v}" for k, v in figures.items()),
        flush=True,
    )


if __name__ == "__main__":
    main()
