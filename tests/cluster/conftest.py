"""Fixtures: a real local Redis Cluster (3 primaries + 3 replicas); settings with SHARDS=6 on it.

The root conftest's `settings`, `broker`, `client` and `start_worker` fixtures follow
`make_settings`, which is overridden here: every test of this folder runs in cluster mode.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.config import Settings
from runtime.jobs import shard_for_key
from runtime.localcluster import LocalCluster
from tests.conftest import SettingsFactory

SHARDS = 6
_prefixes = itertools.count()


def start_cluster(folder: str) -> LocalCluster:
    """3 primaries + 3 replicas, every write fsynced (so a killed node loses nothing acked)."""
    return LocalCluster(Path(folder), appendonly=True, appendfsync="always").start()


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalCluster]:
    """One cluster for the session; tests stay apart by key prefix."""
    with tempfile.TemporaryDirectory(prefix="dtq-cluster-") as folder:
        local = start_cluster(folder)
        yield local
        local.stop()


def cluster_settings(url: str, prefix: str, **overrides: Any) -> Settings:
    """Cluster-mode settings with the integration suite's fast timings."""
    values: dict[str, Any] = {
        "redis_url": url,
        "redis_cluster": True,
        "shards": SHARDS,
        "queue_prefix": prefix,
        "initial_backoff_ms": 20,
        "max_backoff_ms": 200,
        "visibility_timeout_ms": 2_000,
        "reclaim_interval_ms": 100,
        "heartbeat_interval_ms": 200,
        "worker_block_ms": 100,
        "worker_shutdown_grace_s": 2.0,
        "log_level": "WARNING",
        "ui_dist_dir": "/nonexistent",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def make_settings(cluster: LocalCluster) -> SettingsFactory:
    """Settings on the session cluster under a fresh key prefix (SHARDS=6, cluster mode)."""
    prefix = f"c{next(_prefixes)}"
    return lambda **overrides: cluster_settings(cluster.url, prefix, **overrides)


def partition_keys(shards: int = SHARDS) -> dict[int, str]:
    """One partition key per shard (the first found that lands there)."""
    found: dict[int, str] = {}
    for i in itertools.count():
        found.setdefault(shard_for_key(f"pk{i}", shards), f"pk{i}")
        if len(found) == shards:
            return found
    raise AssertionError("unreachable")
