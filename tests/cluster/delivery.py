"""A small delivery run on the cluster: worker processes, an open-loop generator, a checker."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.errors import TaskQueueError
from runtime.jobs import JobRequest, JobStatus

Nemesis = Callable[["Run", float], Awaitable[None]]  # called every 0.1 s with the elapsed time


@dataclass
class Run:
    """The processes, settings and history of one run."""

    settings: Settings
    ledger_dir: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    accepted: dict[str, float] = field(default_factory=dict)  # job id → accepted at
    enqueue_s: list[float] = field(default_factory=list)
    refused: int = 0
    kills: int = 0

    def env(self) -> dict[str, str]:
        """The worker processes' environment (the run's settings as variables)."""
        s = self.settings
        values = {
            "REDIS_URL": s.redis_url, "REDIS_CLUSTER": "true", "SHARDS": s.shards,
            "QUEUE_PREFIX": s.queue_prefix, "TASK_MODULES": "tests.cluster.tasks",
            "VISIBILITY_TIMEOUT_MS": s.visibility_timeout_ms, "WORKER_CONCURRENCY": 8,
            "RECLAIM_INTERVAL_MS": s.reclaim_interval_ms, "WORKER_BLOCK_MS": 200,
            "REDIS_FAILOVER_RETRY_MS": s.redis_failover_retry_ms, "LOG_LEVEL": "ERROR",
            "LOG_FORMAT": "text", "DTQ_LEDGER_DIR": self.ledger_dir,
        }  # fmt: skip
        return dict(os.environ, **{k: str(v) for k, v in values.items()})

    def start_worker(self) -> None:
        """One more `python -m runtime.worker` process."""
        cmd = [sys.executable, "-m", "runtime.worker"]
        self.workers.append(subprocess.Popen(cmd, env=self.env(), stdin=subprocess.DEVNULL))

    def kill_worker(self, index: int) -> None:
        """kill -9 one worker by its PID and start a fresh one in its place (new consumer)."""
        self.workers[index].kill()
        self.workers[index].wait()
        self.kills += 1
        cmd = [sys.executable, "-m", "runtime.worker"]
        self.workers[index] = subprocess.Popen(cmd, env=self.env(), stdin=subprocess.DEVNULL)

    def stop(self) -> None:
        """SIGTERM every worker, SIGKILL what does not exit in 15 s."""
        for proc in self.workers:
            proc.terminate()
        for proc in self.workers:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def generate(run: Run, broker: RedisBroker, rate: float, seconds: float) -> None:
    """Open loop: fire one enqueue every 1/rate s without waiting for the answers."""
    tasks: list[asyncio.Task[None]] = []
    start = time.monotonic()
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(_enqueue_one(run, broker, i)))
    await asyncio.gather(*tasks)


async def _enqueue_one(run: Run, broker: RedisBroker, i: int) -> None:
    sent = time.monotonic()
    request = JobRequest("cluster.ledger", {"i": i, "ms": 5}, idempotency_key=f"k{i}")
    try:
        (created,) = await broker.enqueue([request])
    except TaskQueueError:
        run.refused += 1
        return
    run.accepted[created.job.id] = time.monotonic()
    run.enqueue_s.append(time.monotonic() - sent)


async def drain(run: Run, broker: RedisBroker, timeout_s: float = 60) -> float:
    """Wait until every accepted job succeeded (or timeout_s); the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        stats = await broker.stats()
        if stats.jobs_by_status["succeeded"] >= len(run.accepted):
            break
        await asyncio.sleep(0.2)
    return time.monotonic() - start


async def figures(run: Run, broker: RedisBroker, name: str, drain_s: float) -> dict[str, int]:
    """Check every accepted job and the ledger; print the figures line."""
    statuses = await asyncio.gather(*(broker.get(job_id) for job_id in run.accepted))
    completed = sum(1 for job in statuses if job.status is JobStatus.SUCCEEDED)
    executions = [
        line.split()[0]
        for path in run.ledger_dir.glob("ledger-*")
        for line in path.read_text().splitlines()
    ]
    result = {
        "accepted": len(run.accepted), "completed": completed,
        "lost": len(run.accepted) - completed, "duplicates": len(executions) - len(set(executions)),
        "refused": run.refused, "kills": run.kills,
    }  # fmt: skip
    p99 = sorted(run.enqueue_s)[int(0.99 * (len(run.enqueue_s) - 1))] if run.enqueue_s else 0
    text = " ".join(f"{k}={v}" for k, v in result.items())
    print(f"\n{name} {text} enqueue_p99_ms={p99 * 1000:.0f} drain_s={drain_s:.1f}")
    return result
