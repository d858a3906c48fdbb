"""Outages: workers keep retrying and resume, accepted jobs survive a restart (AOF), a worker
starts on a server out of memory, and a cut-off server answers 503 within the Redis timeout."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.errors import BrokerUnavailable
from runtime.jobs import JobRequest, JobStatus
from runtime.localserver import LocalServer
from tests.conftest import wait_for
from tests.integration.test_worker import wait_status


def settings_for(server: LocalServer) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        redis_url=server.url, queue_prefix="outage", worker_block_ms=100,
        redis_timeout_ms=300, heartbeat_interval_ms=200, log_level="ERROR",
    )  # fmt: skip


async def test_worker_resumes_after_server_restart_and_no_job_is_lost(
    private_server: LocalServer, start_worker
) -> None:
    settings = settings_for(private_server)
    broker = RedisBroker(settings)
    await broker.bootstrap()
    await start_worker(settings)
    (before,) = await broker.enqueue([JobRequest("echo", {"n": 1})])
    await wait_status(broker, before.job.id, JobStatus.SUCCEEDED)
    await broker.enqueue([JobRequest("noop", delay_ms=400)])  # accepted, not yet runnable
    private_server.stop(kill=True)
    try:
        await broker.enqueue([JobRequest("noop")])
        raise AssertionError("enqueue must fail while the server is down")
    except BrokerUnavailable:
        pass
    await asyncio.sleep(0.5)
    restarted = LocalServer(
        Path(private_server.data_dir),
        port=private_server.port,
        appendonly=True,
        appendfsync="always",
    ).start()
    private_server.process = restarted.process
    (after,) = await broker.enqueue([JobRequest("echo", {"n": 2})])
    await wait_status(broker, after.job.id, JobStatus.SUCCEEDED, timeout_s=10)

    async def all_done() -> bool:
        return (await broker.stats()).jobs_by_status["succeeded"] == 3

    await wait_for(all_done, timeout_s=10)
    await broker.close()


async def fill_until_out_of_memory(broker: RedisBroker) -> int:
    """Enqueue 8 KB jobs until the server refuses them as out of memory; how many it accepted."""
    accepted = 0
    while accepted < 10_000:
        try:
            await broker.enqueue([JobRequest("noop", {"pad": "x" * 8_000}) for _ in range(10)])
        except BrokerUnavailable as exc:
            refusal = str(exc)
            break
        accepted += 10
    else:
        raise AssertionError("the server never ran out of memory")
    assert "out of memory" in refusal, refusal
    return accepted


async def test_worker_starts_and_drains_while_the_server_is_out_of_memory(start_worker) -> None:
    with tempfile.TemporaryDirectory(prefix="dtq-oom-") as folder:
        full = LocalServer(Path(folder), appendonly=False, extra_args=["--maxmemory", "4mb"])
        full.start()
        try:
            settings = settings_for(full)
            producer = RedisBroker(settings)
            await producer.bootstrap()
            assert await fill_until_out_of_memory(producer) > 0
            # a worker (re)started now bootstraps (groups and epoch exist: nothing to write)
            await start_worker(settings)

            async def some_ran() -> bool:
                return (await producer.stats()).jobs_by_status["succeeded"] > 0

            await wait_for(some_ran, timeout_s=10)
            await producer.close()
        finally:
            full.stop(kill=True)
