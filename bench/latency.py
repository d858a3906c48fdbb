"""Latency benchmark: enqueue-to-start at a steady open-loop rate (default 1000 jobs/s for 10 s).

    python -m bench.latency [--rate 1000] [--seconds 10]

Jobs are sent on a fixed schedule whatever the answers (open loop) by the Python client; the
`bench.stamp` task returns the time its handler started, so latency = start - send, on one clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import bench.tasks  # noqa: F401  (registers bench.stamp)
from bench.stack import server, workers
from runtime.client import AsyncClient
from runtime.config import Settings
from runtime.jobs import JobStatus


async def send_all(dtq: AsyncClient, rate: float, seconds: float) -> dict[str, float]:
    """Fire enqueues on schedule; job id → send time."""
    sent: dict[str, float] = {}
    interval = 1 / rate
    start = time.perf_counter()
    pending: set[asyncio.Task[None]] = set()

    async def one() -> None:
        t0 = time.time()
        job = await dtq.enqueue("bench.stamp")
        sent[job.id] = t0

    for i in range(int(rate * seconds)):
        delay = start + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one())
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    return sent


async def measure(url: str, rate: float, seconds: float) -> dict[str, float]:
    """Send, wait for every job to finish, and compute the percentiles."""
    async with AsyncClient(Settings(_env_file=None, redis_url=url)) as dtq:  # type: ignore[call-arg]
        await asyncio.sleep(1.0)  # the worker is up and blocked on its read
        sent = await send_all(dtq, rate, seconds)
        await asyncio.sleep(1.0)
        waits: list[float] = []
        for job_id, t0 in sent.items():
            job = await dtq.get(job_id)
            if job.status is JobStatus.SUCCEEDED:
                waits.append((float(job.result) - t0) * 1000)
    waits.sort()
    return {
        "rate": rate,
        "jobs": len(sent),
        "finished": len(waits),
        "p50_ms": round(statistics.median(waits), 2),
        "p99_ms": round(waits[int(0.99 * (len(waits) - 1))], 2),
        "max_ms": round(waits[-1], 2),
    }


def main() -> None:
    """Print one line of figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rate", type=float, default=1000)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args()
    with server() as srv, workers(srv.url, 1):
        figures = asyncio.run(measure(srv.url, args.rate, args.seconds))
    print(
        json.dumps(figures)
        if args.json
        else "LATENCY enqueue_to_start " + " ".join(f"{k}={v}" for k, v in figures.items()),
        flush=True,
    )


if __name__ == "__main__":
    main()
