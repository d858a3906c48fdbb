"""The integration suite's core paths on a Redis Cluster (SHARDS=6 over 3 primaries), plus what
only a cluster can get wrong: slots, fair reads, per-node epochs, WAIT on the right node."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis
from redis.crc import key_slot

from runtime.broker.base import shard_key
from runtime.broker.protocol import Delivery, JobFilter, Settlement
from runtime.broker.redis_broker import RedisBroker
from runtime.errors import EmptyBrokerDetected
from runtime.jobs import JobRequest, JobStatus, Outcome
from runtime.localcluster import LocalCluster
from tests.cluster.conftest import SHARDS, partition_keys
from tests.conftest import SettingsFactory, wait_for
from tests.integration.test_broker import (
    test_acked_entries_are_deleted_from_the_stream,
    test_cancel_in_each_waiting_state_and_refusals,
    test_cancel_retrying_job_removes_it_from_the_retry_set,
    test_cancel_running_sets_flag_and_failure_then_ends_cancelled,
    test_dead_letter_lands_in_dlq_and_replay_resets_attempts,
    test_delayed_job_is_scheduled_then_promoted_when_due,
    test_empty_server_is_detected_by_the_epoch,
    test_enqueue_read_settle_succeeds_with_result_and_history,
    test_hand_back_requeues_unfinished_work_without_counting_it,
    test_idempotency_key_returns_first_job_and_refuses_other_body,
    test_listing_pages_newest_first_without_duplicates_or_gaps,
    test_renew_keeps_a_lease_so_it_is_not_reclaimed,
    test_retry_waits_in_delayed_set_then_runs_again,
    test_stale_worker_cannot_settle_a_taken_over_job,
)
from tests.integration.test_worker import (
    test_cancel_reaches_a_sync_handler_through_its_context,
    test_cancel_stops_a_running_async_handler,
    test_failing_job_is_dead_after_max_retries_plus_one,
    test_flaky_job_retries_with_backoff_then_succeeds,
    test_graceful_stop_hands_back_unfinished_jobs_at_once,
    test_lease_renewal_keeps_long_job_from_running_twice,
    test_scheduled_job_runs_after_its_delay,
    test_timeout_counts_as_a_failed_attempt,
    test_unknown_task_type_ends_dead_with_a_clear_error,
    test_worker_heartbeat_lists_it_and_stop_removes_it,
    test_worker_runs_async_and_sync_handlers,
)

__all__ = [  # the integration tests collected here too, run in cluster mode
    "test_acked_entries_are_deleted_from_the_stream",
    "test_cancel_in_each_waiting_state_and_refusals",
    "test_cancel_reaches_a_sync_handler_through_its_context",
    "test_cancel_retrying_job_removes_it_from_the_retry_set",
    "test_cancel_running_sets_flag_and_failure_then_ends_cancelled",
    "test_cancel_stops_a_running_async_handler",
    "test_dead_letter_lands_in_dlq_and_replay_resets_attempts",
    "test_delayed_job_is_scheduled_then_promoted_when_due",
    "test_empty_server_is_detected_by_the_epoch",
    "test_enqueue_read_settle_succeeds_with_result_and_history",
    "test_failing_job_is_dead_after_max_retries_plus_one",
    "test_flaky_job_retries_with_backoff_then_succeeds",
    "test_graceful_stop_hands_back_unfinished_jobs_at_once",
    "test_hand_back_requeues_unfinished_work_without_counting_it",
    "test_idempotency_key_returns_first_job_and_refuses_other_body",
    "test_lease_renewal_keeps_long_job_from_running_twice",
    "test_listing_pages_newest_first_without_duplicates_or_gaps",
    "test_renew_keeps_a_lease_so_it_is_not_reclaimed",
    "test_retry_waits_in_delayed_set_then_runs_again",
    "test_scheduled_job_runs_after_its_delay",
    "test_stale_worker_cannot_settle_a_taken_over_job",
    "test_timeout_counts_as_a_failed_attempt",
    "test_unknown_task_type_ends_dead_with_a_clear_error",
    "test_worker_heartbeat_lists_it_and_stop_removes_it",
    "test_worker_runs_async_and_sync_handlers",
]


async def read_all(broker: RedisBroker, consumer: str, want: int) -> list[Delivery]:
    """Read until `want` deliveries arrived (each shard answers on its own)."""
    got: list[Delivery] = []
    for _ in range(20):
        got += await broker.read(consumer, 100, 50)
        if len(got) >= want:
            return got
    raise AssertionError(f"read {len(got)} of {want}")


async def test_every_shard_is_one_slot_and_the_shards_cover_every_primary(
    broker: RedisBroker, cluster: LocalCluster
) -> None:
    primaries = set()
    for shard, keys in enumerate(broker.shard_keys):
        names = [*keys, shard_key(broker.settings.queue_prefix, shard, "epoch")]
        assert len({key_slot(name.encode()) for name in names}) == 1
        primaries.add(cluster.primary_of_slot(key_slot(keys.stream.encode())).port)
    assert len(primaries) == 3


async def test_reads_reach_every_shard_and_partition_keys_pin(broker: RedisBroker) -> None:
    spread = await broker.enqueue([JobRequest("noop") for _ in range(2 * SHARDS)])
    assert {c.job.id.rsplit("-", 1)[1] for c in spread} == {str(s) for s in range(SHARDS)}
    pinned = await broker.enqueue([JobRequest("noop", partition_key="t-7") for _ in range(5)])
    assert len({c.job.id.rsplit("-", 1)[1] for c in pinned}) == 1
    got = await read_all(broker, "c1", 2 * SHARDS + 5)
    assert sorted(d.job_id for d in got) == sorted(c.job.id for c in spread + pinned)


async def test_a_shard_with_a_backlog_does_not_starve_another(make_settings, start_worker):
    settings = make_settings(worker_concurrency=4, worker_batch_size=4)
    broker = RedisBroker(settings)
    await broker.bootstrap()
    keys = partition_keys()
    backlog = [JobRequest("sleep", {"seconds": 0.02}, partition_key=keys[0]) for _ in range(300)]
    await broker.enqueue(backlog)
    await start_worker(settings)
    await asyncio.sleep(0.3)
    (late,) = await broker.enqueue([JobRequest("noop", partition_key=keys[3])])

    async def late_done() -> bool:
        return (await broker.get(late.job.id)).status is JobStatus.SUCCEEDED

    await wait_for(late_done, timeout_s=5)
    done = (await broker.stats()).jobs_by_status["succeeded"]
    assert done < 200, f"the late job waited for {done} backlog jobs"
    await broker.close()


async def test_purge_and_reclaim_work_on_every_shard(broker: RedisBroker) -> None:
    created = await broker.enqueue([JobRequest("fail", max_retries=0) for _ in range(SHARDS)])
    ds = await read_all(broker, "c1", SHARDS)
    await broker.settle("c1", [Settlement(d.job_id, 1, Outcome.DEAD, "boom") for d in ds])
    assert (await broker.stats()).dlq_depth == SHARDS
    assert await broker.purge_dead() == SHARDS
    more = await broker.enqueue([JobRequest("noop") for _ in range(SHARDS)])
    await read_all(broker, "gone", SHARDS)
    await asyncio.sleep(0.06)
    taken = await broker.reclaim("heir", 50, 100)
    assert sorted(d.job_id for d in taken.lost) == sorted(c.job.id for c in more)
    assert {c.job.id for c in created}.isdisjoint(d.job_id for d in taken.lost)


async def test_metrics_series_and_workers_sum_every_shard(broker, settings, start_worker):
    await start_worker(settings, name="w-a")
    await start_worker(settings, name="w-b")
    created = await broker.enqueue([JobRequest("noop") for _ in range(30)])

    async def finished() -> bool:
        return (await broker.stats()).jobs_by_status["succeeded"] == 30

    await wait_for(finished)
    stats = await broker.stats()
    assert stats.counters["created"] == 30 and stats.counters["completed"] == 30
    points = await broker.series(60)
    assert sum(p.created for p in points) == 30 and sum(p.completed for p in points) == 30
    assert sorted(w.name for w in await broker.workers()) == ["w-a", "w-b"]
    page = await broker.list_jobs(JobFilter(status=JobStatus.SUCCEEDED), 7, None)
    assert [j.id for j in page.items] == sorted((c.job.id for c in created), reverse=True)[:7]


async def test_a_node_that_lost_its_data_is_detected_by_its_shard_epoch(broker) -> None:
    await broker.check_epoch()
    await broker.redis.delete(shard_key(broker.settings.queue_prefix, 4, "epoch"))
    with pytest.raises(EmptyBrokerDetected):
        await broker.check_epoch()


async def test_cancel_is_heard_at_once_through_one_nodes_subscription(make_settings, start_worker):
    settings = make_settings(visibility_timeout_ms=60_000)  # renew flags only every 20 s
    broker = RedisBroker(settings)
    await broker.bootstrap()
    await start_worker(settings)
    created = await broker.enqueue([JobRequest("sleep", {"seconds": 30}) for _ in range(SHARDS)])
    for c in created:
        await wait_for(lambda c=c: _has_status(broker, c.job.id, JobStatus.RUNNING))
    started = time.monotonic()
    for c in created:
        await broker.cancel(c.job.id)
    for c in created:
        await wait_for(lambda c=c: _has_status(broker, c.job.id, JobStatus.CANCELLED), 5)
    assert time.monotonic() - started < 5
    await broker.close()


async def _has_status(broker: RedisBroker, job_id: str, status: JobStatus) -> bool:
    return (await broker.get(job_id)).status is status


async def test_acknowledged_job_is_already_on_its_replica(
    make_settings: SettingsFactory, cluster: LocalCluster
) -> None:
    broker = RedisBroker(make_settings(wait_replicas=1, wait_timeout_ms=1_000))
    await broker.bootstrap()
    created = await broker.enqueue([JobRequest("noop") for _ in range(SHARDS)])
    for c in created:
        key = broker.keys_of(c.job.id).job_prefix + c.job.id
        primary = cluster.primary_of_slot(key_slot(key.encode()))
        replica = await _replica_of(cluster, primary.port)
        assert await replica.exists(key) == 1, f"{c.job.id} acknowledged but not replicated"
        await replica.aclose()
    await broker.close()


async def _replica_of(cluster: LocalCluster, primary_port: int) -> Redis:
    for node in cluster.nodes:
        replica = Redis(port=node.port, decode_responses=True)
        info = await replica.info("replication")
        if info.get("role") == "slave" and int(info["master_port"]) == primary_port:
            await replica.execute_command("READONLY")
            return replica
        await replica.aclose()
    raise AssertionError(f"no replica of {primary_port}")


async def test_api_pages_across_shards_and_reports_metrics(client, broker) -> None:
    created = await broker.enqueue([JobRequest("noop") for _ in range(25)])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/jobs", params=params)).json()
        seen += [j["id"] for j in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == sorted((c.job.id for c in created), reverse=True)
    metrics = (await client.get("/metrics")).json()
    assert metrics["jobs_by_status"]["queued"] == 25
