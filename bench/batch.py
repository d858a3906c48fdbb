"""Batch enqueue benchmark: the client's enqueue_many and POST /jobs/batch, 1000 jobs per call.

    python -m bench.batch [--jobs 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

import httpx

from bench.http import start_uvicorn
from bench.stack import server
from runtime.client import AsyncClient
from runtime.config import Settings
from runtime.jobs import JobRequest
from runtime.localserver import free_port

BATCH = 1000
PAYLOAD = {"user_id": 12345}


async def client_rate(url: str, jobs: int) -> float:
    """Jobs/s through AsyncClient.enqueue_many, one batch call at a time."""
    async with AsyncClient(Settings(_env_file=None, redis_url=url)) as dtq:  # type: ignore[call-arg]
        requests = [JobRequest("noop", PAYLOAD) for _ in range(BATCH)]
        started = time.perf_counter()
        for _ in range(jobs // BATCH):
            await dtq.enqueue_many(requests)
        return jobs / (time.perf_counter() - started)


async def http_rate(port: int, jobs: int) -> float:
    """Jobs/s through POST /jobs/batch, one request at a time."""
    body = {"jobs": [{"task_type": "noop", "payload": PAYLOAD}] * BATCH}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        started = time.perf_counter()
        for _ in range(jobs // BATCH):
            answer = await http.post("/jobs/batch", json=body)
            answer.raise_for_status()
        return jobs / (time.perf_counter() - started)


def main() -> None:
    """Print one line of figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=50_000)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    with server() as srv:
        client = asyncio.run(client_rate(srv.url, args.jobs))
        port = free_port()
        env = dict(os.environ, REDIS_URL=srv.url, LOG_LEVEL="WARNING", UI_DIST_DIR="/none")
        api = start_uvicorn("runtime.api.main:app", port, env)
        try:
            http = asyncio.run(http_rate(port, args.jobs))
        finally:
            api.terminate()
            api.wait(30)
    figures = {"jobs": args.jobs, "batch": BATCH, "client_jobs_per_s": round(client),
               "http_jobs_per_s": round(http)}
    print(json.dumps(figures) if args.json else
          "BATCH " + " ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


if __name__ == "__main__":
    main()
