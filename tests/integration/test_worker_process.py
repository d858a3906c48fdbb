"""Worker processes under signals: SIGKILL mid-job is taken over; SIGTERM drains and exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.jobs import JobRequest, JobStatus
from tests.conftest import SettingsFactory, wait_for
from tests.integration.test_worker import wait_status


def spawn_worker(settings: Settings, name: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update({
        "REDIS_URL": settings.redis_url, "QUEUE_PREFIX": settings.queue_prefix,
        "VISIBILITY_TIMEOUT_MS": str(settings.visibility_timeout_ms),
        "RECLAIM_INTERVAL_MS": "100", "WORKER_BLOCK_MS": "100", "WORKER_NAME": name,
        "WORKER_SHUTDOWN_GRACE_S": str(settings.worker_shutdown_grace_s),
        "HEARTBEAT_INTERVAL_MS": "200", "LOG_LEVEL": "WARNING", "TASK_MODULES": "tests.tasks",
        "INITIAL_BACKOFF_MS": "10", "MAX_BACKOFF_MS": "20",
    })  # fmt: skip
    return subprocess.Popen([sys.executable, "-m", "runtime.worker"], env=env)


async def test_sigkilled_worker_job_is_taken_over_and_completes(make_settings: SettingsFactory):
    settings = make_settings(visibility_timeout_ms=500)
    broker = RedisBroker(settings)
    await broker.bootstrap()
    victim = spawn_worker(settings, "victim")
    try:
        (c,) = await broker.enqueue([JobRequest("sleep", {"seconds": 1.5})])
        await wait_status(broker, c.job.id, JobStatus.RUNNING)
        victim.kill()
        victim.wait()
        rescuer = spawn_worker(settings, "rescuer")
        job = await wait_status(broker, c.job.id, JobStatus.SUCCEEDED, timeout_s=15)
        assert job.attempts == 2
        assert job.history[0].worker == "victim" and job.history[0].outcome == "failed"
        assert "WorkerLost" in (job.history[0].error or "")
        assert job.history[1].worker == "rescuer"
    finally:
        for p in (victim, locals().get("rescuer")):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait(10)
        await broker.close()


async def test_sigterm_finishes_in_flight_jobs_and_exits_zero(make_settings: SettingsFactory):
    settings = make_settings(worker_shutdown_grace_s=3.0)
    broker = RedisBroker(settings)
    await broker.bootstrap()
    worker = spawn_worker(settings, "draining")
    try:
        created = await broker.enqueue([JobRequest("sleep", {"seconds": 0.5}) for _ in range(5)])

        async def all_running() -> bool:
            return (await broker.stats()).jobs_by_status["running"] == 5

        await wait_for(all_running)
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(worker.wait, 10)
        assert exit_code == 0 and time.monotonic() - started < 3.0
        for c in created:
            assert (await broker.get(c.job.id)).status is JobStatus.SUCCEEDED
    finally:
        if worker.poll() is None:
            worker.kill()
        await broker.close()


async def test_sigterm_hands_back_jobs_longer_than_the_grace(make_settings: SettingsFactory):
    settings = make_settings(worker_shutdown_grace_s=0.5)
    broker = RedisBroker(settings)
    await broker.bootstrap()
    worker = spawn_worker(settings, "short-grace")
    try:
        (c,) = await broker.enqueue([JobRequest("sleep", {"seconds": 30})])
        await wait_status(broker, c.job.id, JobStatus.RUNNING)
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 10) == 0
        job = await broker.get(c.job.id)
        assert job.status is JobStatus.QUEUED and job.attempts == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        await broker.close()


async def test_handler_that_kills_its_process_ends_dead_not_looping(make_settings: SettingsFactory):
    settings = make_settings(visibility_timeout_ms=300)
    broker = RedisBroker(settings)
    await broker.bootstrap()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        (c,) = await broker.enqueue([JobRequest("test.exit", max_retries=1)])
        deadline = time.monotonic() + 20
        while (await broker.get(c.job.id)).status is not JobStatus.DEAD:
            assert time.monotonic() < deadline, "poison job never reached dead"
            if not workers or workers[-1].poll() is not None:
                workers.append(spawn_worker(settings, f"w{len(workers)}"))
            await asyncio.sleep(0.05)
        job = await broker.get(c.job.id)
        assert job.attempts == 2 and "WorkerLost" in (job.last_error or "")
    finally:
        for p in workers:
            if p.poll() is None:
                p.terminate()
                p.wait(10)
        await broker.close()
