"""The worker loop in-process against a real server: run, retry, dead-letter, cancel, leases."""

from __future__ import annotations

import asyncio

from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.jobs import JobRequest, JobStatus
from runtime.tasks import REGISTRY
from tests.conftest import wait_for
from tests.tasks import SYNC_THREADS


async def wait_status(broker: RedisBroker, job_id: str, *statuses: JobStatus, timeout_s=10.0):
    async def reached() -> bool:
        return (await broker.get(job_id)).status in statuses

    await wait_for(reached, timeout_s)
    return await broker.get(job_id)


async def test_worker_runs_async_and_sync_handlers(broker, settings, start_worker) -> None:
    await start_worker(settings)
    a, s = await broker.enqueue(
        [JobRequest("echo", {"x": 1}), JobRequest("test.sync_echo", {"y": 2})]
    )
    assert (await wait_status(broker, a.job.id, JobStatus.SUCCEEDED)).result == {"x": 1}
    assert (await wait_status(broker, s.job.id, JobStatus.SUCCEEDED)).result == {"y": 2}
    assert any(name != "MainThread" for name in SYNC_THREADS)


async def test_flaky_job_retries_with_backoff_then_succeeds(broker, make_settings, start_worker):
    settings = make_settings(initial_backoff_ms=100, max_backoff_ms=1_000)
    await start_worker(settings)
    (c,) = await broker.enqueue([JobRequest("flaky", {"fail_times": 2})])
    job = await wait_status(broker, c.job.id, JobStatus.SUCCEEDED)
    assert job.attempts == 3 and [a.outcome for a in job.history] == [
        "failed",
        "failed",
        "succeeded",
    ]
    gaps = [job.history[i + 1].started_ms - job.history[i].finished_ms for i in range(2)]
    # delay n is in [base·2^(n-1)/2, base·2^(n-1)], plus promotion lag (polled every 50 ms)
    assert 50 <= gaps[0] <= 100 + 150, gaps
    assert 100 <= gaps[1] <= 200 + 150, gaps


async def test_failing_job_is_dead_after_max_retries_plus_one(broker, settings, start_worker):
    await start_worker(settings)
    (c,) = await broker.enqueue([JobRequest("fail", {"message": "nope"}, max_retries=2)])
    job = await wait_status(broker, c.job.id, JobStatus.DEAD)
    assert job.attempts == 3 and job.last_error == "RuntimeError: nope"
    stats = await broker.stats()
    assert stats.dlq_depth == 1 and stats.counters["dead"] == 1 and stats.counters["retried"] == 2


async def test_task_defaults_apply_when_the_job_sets_none(broker, settings, start_worker):
    await start_worker(settings)
    (c,) = await broker.enqueue([REGISTRY.resolve(JobRequest("test.task_defaults"))])
    job = await wait_status(broker, c.job.id, JobStatus.DEAD)
    assert job.attempts == 2  # the task's max_retries=1, not the queue's 3


async def test_timeout_counts_as_a_failed_attempt(broker, settings, start_worker):
    await start_worker(settings)
    (c,) = await broker.enqueue([JobRequest("sleep", {"seconds": 5}, timeout_s=0.1, max_retries=0)])
    job = await wait_status(broker, c.job.id, JobStatus.DEAD)
    assert "timeout" in (job.last_error or "")


async def test_unknown_task_type_ends_dead_with_a_clear_error(broker, settings, start_worker):
    await start_worker(settings)
    (c,) = await broker.enqueue([JobRequest("no.such.task")])
    job = await wait_status(broker, c.job.id, JobStatus.DEAD)
    assert job.attempts == 1 and "unknown task type 'no.such.task'" in (job.last_error or "")


async def test_cancel_stops_a_running_async_handler(broker, settings, start_worker):
    await start_worker(settings)
    (c,) = await broker.enqueue([JobRequest("sleep", {"seconds": 30})])
    await wait_status(broker, c.job.id, JobStatus.RUNNING)
    assert (await broker.cancel(c.job.id)).cancel_requested
    job = await wait_status(broker, c.job.id, JobStatus.CANCELLED, timeout_s=3)
    assert job.history[-1].outcome == "cancelled"


async def test_cancel_reaches_a_sync_handler_through_its_context(broker, settings, start_worker):
    await start_worker(settings)
    (c,) = await broker.enqueue([JobRequest("test.sync_sleep", {"seconds": 30})])
    await wait_status(broker, c.job.id, JobStatus.RUNNING)
    await broker.cancel(c.job.id)
    await wait_status(broker, c.job.id, JobStatus.CANCELLED, timeout_s=3)


async def test_lease_renewal_keeps_long_job_from_running_twice(make_settings, start_worker):
    settings: Settings = make_settings(visibility_timeout_ms=300, reclaim_interval_ms=50)
    broker = RedisBroker(settings)
    await broker.bootstrap()
    await start_worker(settings, name="w1")
    await start_worker(settings, name="w2")
    (c,) = await broker.enqueue([JobRequest("sleep", {"seconds": 1.2})])
    job = await wait_status(broker, c.job.id, JobStatus.SUCCEEDED)
    assert job.attempts == 1 and len(job.history) == 1
    await broker.close()


async def test_graceful_stop_hands_back_unfinished_jobs_at_once(make_settings, start_worker):
    settings: Settings = make_settings(worker_shutdown_grace_s=0.3)
    broker = RedisBroker(settings)
    await broker.bootstrap()
    leaving = await start_worker(settings, name="leaving")
    quick, slow = await broker.enqueue(
        [JobRequest("sleep", {"seconds": 0.1}), JobRequest("sleep", {"seconds": 5})]
    )
    await wait_status(broker, slow.job.id, JobStatus.RUNNING)
    leaving.stop()
    await wait_status(broker, quick.job.id, JobStatus.SUCCEEDED)
    job = await wait_status(broker, slow.job.id, JobStatus.QUEUED, timeout_s=3)
    assert job.attempts == 0  # the interrupted attempt is not counted
    await start_worker(settings, name="next")
    await wait_status(broker, slow.job.id, JobStatus.RUNNING, timeout_s=2)
    await broker.close()


async def test_scheduled_job_runs_after_its_delay(broker, settings, start_worker):
    await start_worker(settings)
    (c,) = await broker.enqueue([JobRequest("noop", delay_ms=300)])
    job = await wait_status(broker, c.job.id, JobStatus.SUCCEEDED)
    assert job.started_ms is not None and job.started_ms - job.created_ms >= 300


async def test_worker_heartbeat_lists_it_and_stop_removes_it(broker, settings, start_worker):
    worker = await start_worker(settings, name="beating")

    async def listed() -> bool:
        return [w.name for w in await broker.workers()] == ["beating"]

    await wait_for(listed)
    worker.stop()

    async def gone() -> bool:
        return await broker.workers() == []

    await wait_for(gone)


async def test_many_jobs_over_four_shards_all_complete(make_settings, start_worker):
    settings: Settings = make_settings(shards=4, worker_concurrency=50)
    broker = RedisBroker(settings)
    await broker.bootstrap()
    await start_worker(settings)
    await start_worker(settings)
    await broker.enqueue([JobRequest("noop") for _ in range(2000)])

    async def done() -> bool:
        return (await broker.stats()).jobs_by_status["succeeded"] == 2000

    await wait_for(done, timeout_s=30)
    assert all(await asyncio.gather(*(broker.redis.xlen(k.stream) == 0 for k in [])))
    for keys in broker.shard_keys:
        assert await broker.redis.xlen(keys.stream) == 0
    await broker.close()


async def test_worker_collects_idle_consumers_by_its_gc_settings(make_settings, start_worker):
    settings: Settings = make_settings(
        consumer_gc_interval_s=0.1, consumer_gc_idle_ms=200, visibility_timeout_ms=30_000
    )
    broker = RedisBroker(settings)
    await broker.bootstrap()
    await broker.enqueue([JobRequest("noop")])
    await broker.read("crashed-holding", 10, 10)  # holds the job: must never be collected
    await broker.read("crashed-idle", 10, 10)
    await start_worker(settings, name="live")

    async def consumers() -> set[str]:
        listed = await broker.redis.xinfo_consumers(broker.shard_keys[0].stream, "workers")
        return {c["name"] for c in listed}

    async def idle_one_collected() -> bool:
        return "crashed-idle" not in await consumers()

    await wait_for(idle_one_collected, timeout_s=5)
    assert "crashed-holding" in await consumers()
    await broker.close()
