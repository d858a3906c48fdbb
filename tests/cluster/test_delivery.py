"""R1/R2-like delivery runs on the cluster (../shared/RELIABILITY.md), and a primary killed
mid-run: its replica takes over and nothing acknowledged is lost. Each prints a figures line."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.crc import key_slot

from runtime.broker.redis_broker import RedisBroker
from runtime.localcluster import LocalCluster
from tests.cluster.conftest import cluster_settings, start_cluster
from tests.cluster.delivery import Run, drain, figures, generate
from tests.conftest import SettingsFactory, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def ledger_dir() -> Iterator[Path]:
    """Where the worker processes append their executions."""
    with tempfile.TemporaryDirectory(prefix="dtq-ledger-") as folder:
        yield Path(folder)


async def open_run(settings, ledger_dir: Path, workers: int) -> tuple[Run, RedisBroker]:
    """Bootstrap the queue, start the workers and wait until each has sent a heartbeat."""
    broker = RedisBroker(settings)
    await broker.bootstrap()
    run = Run(settings, ledger_dir)
    for _ in range(workers):
        run.start_worker()

    async def all_up() -> bool:
        return len(await broker.workers()) == workers

    await wait_for(all_up, timeout_s=30)
    return run, broker


async def test_r1_small_delivery_run_loses_and_repeats_nothing(
    make_settings: SettingsFactory, ledger_dir: Path
) -> None:
    run, broker = await open_run(make_settings(), ledger_dir, workers=2)
    try:
        await generate(run, broker, rate=100, seconds=6)
        result = await figures(run, broker, "CLUSTER-R1", await drain(run, broker))
    finally:
        run.stop()
        await broker.close()
    assert result["accepted"] == 600 and result["lost"] == 0 and result["duplicates"] == 0


async def test_r2_kill_9_a_worker_every_2_s_loses_nothing(
    make_settings: SettingsFactory, ledger_dir: Path
) -> None:
    settings = make_settings(visibility_timeout_ms=2_000, reclaim_interval_ms=200)
    run, broker = await open_run(settings, ledger_dir, workers=3)

    async def killer() -> None:
        for i in range(4):
            await asyncio.sleep(2)
            run.kill_worker(i % 3)

    try:
        await asyncio.gather(generate(run, broker, rate=100, seconds=8), killer())
        result = await figures(run, broker, "CLUSTER-R2", await drain(run, broker))
    finally:
        run.stop()
        await broker.close()
    assert result["lost"] == 0 and result["kills"] == 4
    assert result["duplicates"] <= 4 * 8  # at most the killed workers' in-flight jobs


@pytest.fixture
async def private_cluster() -> AsyncIterator[LocalCluster]:
    """A cluster of the test's own, to kill a primary of."""
    with tempfile.TemporaryDirectory(prefix="dtq-failover-") as folder:
        local = await asyncio.to_thread(start_cluster, folder)
        yield local
        local.stop()


async def test_primary_killed_mid_run_its_replica_takes_over_and_nothing_is_lost(
    private_cluster: LocalCluster, ledger_dir: Path
) -> None:
    settings = cluster_settings(
        private_cluster.url, "failover", wait_replicas=1, wait_timeout_ms=1_000,
        redis_failover_retry_ms=15_000, visibility_timeout_ms=3_000, reclaim_interval_ms=200,
    )  # fmt: skip
    run, broker = await open_run(settings, ledger_dir, workers=2)
    victim = private_cluster.primary_of_slot(key_slot(broker.shard_keys[0].stream.encode()))
    failover_s: list[float] = []

    async def kill_primary() -> None:
        await asyncio.sleep(2)
        victim.stop(kill=True)
        started = time.monotonic()
        await asyncio.to_thread(private_cluster.wait_until_ok, 30)
        failover_s.append(time.monotonic() - started)

    try:
        await asyncio.gather(generate(run, broker, rate=60, seconds=8), kill_primary())
        result = await figures(run, broker, "CLUSTER-FAILOVER", await drain(run, broker))
    finally:
        run.stop()
        await broker.close()
    print(f"CLUSTER-FAILOVER failover_s={failover_s[0]:.1f} refused={result['refused']}")
    assert result["lost"] == 0 and result["accepted"] > 0
