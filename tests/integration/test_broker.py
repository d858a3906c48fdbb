"""The broker's state transitions against a real server: one test per transition or guarantee."""

from __future__ import annotations

import asyncio

import pytest

from runtime.broker.protocol import JobFilter, Settlement
from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.errors import IdempotencyConflict, JobAlreadyFinished, JobNotFound
from runtime.jobs import JobRequest, JobStatus, Outcome
from tests.conftest import SettingsFactory


async def test_enqueue_read_settle_succeeds_with_result_and_history(broker: RedisBroker) -> None:
    (created,) = await broker.enqueue([JobRequest("echo", {"a": 1})])
    assert created.created and created.job.status is JobStatus.QUEUED
    (d,) = await broker.read("c1", 10, 10)
    assert (d.job_id, d.attempt, d.payload) == (created.job.id, 1, {"a": 1})
    assert (await broker.get(d.job_id)).status is JobStatus.RUNNING
    assert await broker.settle("c1", [Settlement(d.job_id, 1, Outcome.SUCCEEDED, '{"a":1}')]) == [
        True
    ]
    job = await broker.get(d.job_id)
    assert job.status is JobStatus.SUCCEEDED and job.result == {"a": 1} and job.attempts == 1
    assert job.history[0].worker == "c1" and job.history[0].outcome == "succeeded"
    assert job.finished_ms is not None and job.started_ms is not None


async def test_acked_entries_are_deleted_from_the_stream(broker: RedisBroker) -> None:
    await broker.enqueue([JobRequest("noop") for _ in range(5)])
    ds = await broker.read("c1", 10, 10)
    await broker.settle("c1", [Settlement(d.job_id, 1, Outcome.SUCCEEDED) for d in ds])
    assert await broker.redis.xlen(broker.shard_keys[0].stream) == 0


async def test_idempotency_key_returns_first_job_and_refuses_other_body(
    broker: RedisBroker,
) -> None:
    (first,) = await broker.enqueue([JobRequest("echo", {"a": 1}, idempotency_key="k")])
    (again,) = await broker.enqueue([JobRequest("echo", {"a": 1}, idempotency_key="k")])
    assert not again.created and again.job.id == first.job.id
    with pytest.raises(IdempotencyConflict):
        await broker.enqueue([JobRequest("echo", {"a": 2}, idempotency_key="k")])
    (other_tenant,) = await broker.enqueue(
        [JobRequest("echo", {"a": 1}, idempotency_key="k", tenant="b")]
    )
    assert other_tenant.created and other_tenant.job.id != first.job.id


async def test_delayed_job_is_scheduled_then_promoted_when_due(broker: RedisBroker) -> None:
    (c,) = await broker.enqueue([JobRequest("noop", delay_ms=150)])
    assert c.job.status is JobStatus.SCHEDULED and c.job.due_ms == c.job.created_ms + 150
    assert await broker.promote_due(100) == 0
    await asyncio.sleep(0.2)
    assert await broker.promote_due(100) == 1
    assert (await broker.get(c.job.id)).status is JobStatus.QUEUED
    assert [d.job_id for d in await broker.read("c1", 10, 10)] == [c.job.id]


async def test_retry_waits_in_delayed_set_then_runs_again(broker: RedisBroker) -> None:
    (c,) = await broker.enqueue([JobRequest("flaky")])
    (d,) = await broker.read("c1", 10, 10)
    await broker.settle("c1", [Settlement(d.job_id, 1, Outcome.RETRY, "boom", 50)])
    job = await broker.get(c.job.id)
    assert job.status is JobStatus.RETRYING and job.last_error == "boom" and job.due_ms
    await asyncio.sleep(0.08)
    assert await broker.promote_due(10) == 1
    (d2,) = await broker.read("c1", 10, 10)
    assert d2.attempt == 2


async def test_dead_letter_lands_in_dlq_and_replay_resets_attempts(broker: RedisBroker) -> None:
    (c,) = await broker.enqueue([JobRequest("fail")])
    (d,) = await broker.read("c1", 10, 10)
    await broker.settle("c1", [Settlement(d.job_id, 1, Outcome.DEAD, "RuntimeError: x")])
    assert (await broker.stats()).dlq_depth == 1
    page = await broker.list_dead(10, None, None)
    assert [j.id for j in page.items] == [c.job.id] and page.items[
        0
    ].last_error == "RuntimeError: x"
    (replayed,) = await broker.replay([c.job.id])
    assert replayed.status is JobStatus.QUEUED and replayed.attempts == 0
    assert (await broker.stats()).dlq_depth == 0
    with pytest.raises(JobAlreadyFinished):
        await broker.replay([c.job.id])


async def test_purge_deletes_dead_jobs(broker: RedisBroker) -> None:
    await broker.enqueue([JobRequest("fail") for _ in range(3)])
    ds = await broker.read("c1", 10, 10)
    await broker.settle("c1", [Settlement(d.job_id, 1, Outcome.DEAD, "x") for d in ds])
    assert await broker.purge_dead() == 3
    stats = await broker.stats()
    assert stats.dlq_depth == 0 and stats.jobs_by_status["dead"] == 0
    with pytest.raises(JobNotFound):
        await broker.get(ds[0].job_id)


async def test_cancel_in_each_waiting_state_and_refusals(broker: RedisBroker) -> None:
    queued, scheduled = await broker.enqueue(
        [JobRequest("noop"), JobRequest("noop", delay_ms=60_000)]
    )
    for c in (queued, scheduled):
        assert (await broker.cancel(c.job.id)).status is JobStatus.CANCELLED
    assert await broker.read("c1", 10, 10) == []  # the cancelled queued job never starts
    with pytest.raises(JobAlreadyFinished):
        await broker.cancel(queued.job.id)
    with pytest.raises(JobNotFound):
        await broker.cancel("000000000000deadbeef-0")


async def test_cancel_retrying_job_removes_it_from_the_retry_set(broker: RedisBroker) -> None:
    (c,) = await broker.enqueue([JobRequest("flaky")])
    (d,) = await broker.read("c1", 10, 10)
    await broker.settle("c1", [Settlement(d.job_id, 1, Outcome.RETRY, "x", 60_000)])
    assert (await broker.cancel(c.job.id)).status is JobStatus.CANCELLED
    assert await broker.redis.zcard(broker.shard_keys[0].retries) == 0


async def test_cancel_running_sets_flag_and_failure_then_ends_cancelled(
    broker: RedisBroker,
) -> None:
    (c,) = await broker.enqueue([JobRequest("sleep")])
    (d,) = await broker.read("c1", 10, 10)
    job = await broker.cancel(c.job.id)
    assert job.status is JobStatus.RUNNING and job.cancel_requested
    await broker.settle("c1", [Settlement(d.job_id, 1, Outcome.RETRY, "stopped", 10)])
    assert (await broker.get(c.job.id)).status is JobStatus.CANCELLED


async def test_cancel_between_read_and_start_skips_the_job(broker: RedisBroker) -> None:
    (c,) = await broker.enqueue([JobRequest("noop")])
    entries = await broker.blocking.xreadgroup("workers", "c1", {broker.shard_keys[0].stream: ">"})
    await broker.cancel(c.job.id)
    entry = entries[0][1][0][0]
    assert await broker.scripts.start(broker.shard_keys[0], "c1", [(entry, c.job.id)]) == [
        [entry, c.job.id, 0]
    ]
    assert (await broker.redis.xpending(broker.shard_keys[0].stream, "workers"))["pending"] == 0


async def test_stale_worker_cannot_settle_a_taken_over_job(broker: RedisBroker) -> None:
    await broker.enqueue([JobRequest("noop")])
    (d,) = await broker.read("old", 10, 10)
    await asyncio.sleep(0.06)
    taken = await broker.reclaim("new", 50, 10)
    assert [x.job_id for x in taken.lost] == [d.job_id]
    assert await broker.settle("old", [Settlement(d.job_id, 1, Outcome.SUCCEEDED)]) == [False]
    assert (await broker.get(d.job_id)).status is JobStatus.RUNNING
    assert await broker.settle("new", [Settlement(d.job_id, 1, Outcome.RETRY, "lost", 0)]) == [True]
    assert (await broker.stats()).counters["stale"] == 1


async def test_reclaim_returns_never_started_entries_as_fresh(broker: RedisBroker) -> None:
    (c,) = await broker.enqueue([JobRequest("noop")])
    await broker.blocking.xreadgroup("workers", "dead-consumer", {broker.shard_keys[0].stream: ">"})
    await asyncio.sleep(0.06)
    taken = await broker.reclaim("new", 50, 10)
    assert taken.lost == [] and [d.job_id for d in taken.fresh] == [c.job.id]
    assert taken.fresh[0].attempt == 1


async def test_renew_keeps_a_lease_so_it_is_not_reclaimed(broker: RedisBroker) -> None:
    await broker.enqueue([JobRequest("sleep")])
    (d,) = await broker.read("owner", 10, 10)
    for _ in range(4):
        await asyncio.sleep(0.03)
        await broker.renew("owner", [d.job_id])
    assert (await broker.reclaim("thief", 60, 10)).lost == []
    assert await broker.renew("thief", [d.job_id]) == []  # a non-owner renews nothing


async def test_hand_back_requeues_unfinished_work_without_counting_it(broker: RedisBroker) -> None:
    (c,) = await broker.enqueue([JobRequest("sleep")])
    await broker.read("leaving", 10, 10)
    assert await broker.hand_back("leaving") == 1
    job = await broker.get(c.job.id)
    assert job.status is JobStatus.QUEUED and job.attempts == 0
    (d,) = await broker.read("other", 10, 10)
    assert d.attempt == 1


async def test_consumer_with_pending_entries_is_never_removed(broker: RedisBroker) -> None:
    await broker.enqueue([JobRequest("noop")])
    await broker.read("holder", 10, 10)
    await broker.read("empty", 10, 10)
    assert await broker.remove_idle_consumers(0) == 1
    names = [
        c["name"]
        for c in await broker.redis.xinfo_consumers(broker.shard_keys[0].stream, "workers")
    ]
    assert names == ["holder"]


async def test_retention_removes_expired_jobs_and_their_index_entries(
    make_settings: SettingsFactory,
) -> None:
    broker = RedisBroker(make_settings(result_ttl_s=1))
    await broker.bootstrap()
    await broker.enqueue([JobRequest("noop") for _ in range(3)])
    ds = await broker.read("c1", 10, 10)
    await broker.settle("c1", [Settlement(d.job_id, 1, Outcome.SUCCEEDED) for d in ds])
    assert await broker.sweep_expired(100) == 0
    await asyncio.sleep(1.05)
    assert await broker.sweep_expired(100) == 3
    stats = await broker.stats()
    assert stats.jobs_by_status["succeeded"] == 0
    assert (await broker.list_jobs(JobFilter(), 10, None)).items == []
    keys = broker.shard_keys[0]
    assert await broker.redis.zcard(keys.index_prefix + "all") == 0
    assert await broker.redis.zcard(keys.expiry) == 0
    await broker.close()


@pytest.mark.parametrize("shards", [1, 4])
async def test_listing_pages_newest_first_without_duplicates_or_gaps(
    make_settings: SettingsFactory, shards: int
) -> None:
    broker = RedisBroker(make_settings(shards=shards))
    await broker.bootstrap()
    created = await broker.enqueue([JobRequest("noop" if i % 3 else "echo") for i in range(45)])
    expected = sorted((c.job.id for c in created), reverse=True)
    seen: list[str] = []
    cursor = None
    while True:
        page = await broker.list_jobs(JobFilter(), 10, cursor)
        seen += [j.id for j in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected
    echo = await broker.list_jobs(JobFilter(task_type="echo"), 100, None)
    assert len(echo.items) == 15 and {j.task_type for j in echo.items} == {"echo"}
    queued = await broker.list_jobs(JobFilter(status=JobStatus.QUEUED), 100, None)
    assert len(queued.items) == 45
    await broker.close()


async def test_shards_spread_jobs_and_partition_key_pins_them(
    make_settings: SettingsFactory,
) -> None:
    broker = RedisBroker(make_settings(shards=4))
    await broker.bootstrap()
    spread = await broker.enqueue([JobRequest("noop") for _ in range(8)])
    assert {c.job.id.rsplit("-", 1)[1] for c in spread} == {"0", "1", "2", "3"}
    pinned = await broker.enqueue([JobRequest("noop", partition_key="tenant-7") for _ in range(5)])
    assert len({c.job.id.rsplit("-", 1)[1] for c in pinned}) == 1
    got = await broker.read("c1", 100, 10)
    assert len(got) == 13
    await broker.close()


async def test_empty_server_is_detected_by_the_epoch(make_settings: SettingsFactory) -> None:
    settings: Settings = make_settings()
    broker = RedisBroker(settings)
    await broker.bootstrap()
    await broker.check_epoch()
    await broker.redis.delete(broker.globals.epoch)
    from runtime.errors import EmptyBrokerDetected

    with pytest.raises(EmptyBrokerDetected):
        await broker.check_epoch()
    await broker.close()


async def test_series_counts_created_and_completed(broker: RedisBroker) -> None:
    await broker.enqueue([JobRequest("noop") for _ in range(4)])
    ds = await broker.read("c1", 10, 10)
    await broker.settle("c1", [Settlement(d.job_id, 1, Outcome.SUCCEEDED) for d in ds])
    points = await broker.series(60)
    assert sum(p.created for p in points) == 4 and sum(p.completed for p in points) == 4
