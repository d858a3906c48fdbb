"""Environment configs: typed, validated, and different only where they should be."""

from __future__ import annotations

import dataclasses

import pytest

from infra.environments import DEV, ENVIRONMENTS, PROD, STAGING, EnvironmentConfig

ALLOWED_NODE_TYPES = {
    "cache.t4g.micro",
    "cache.t4g.small",
    "cache.t4g.medium",
    "cache.m7g.large",
    "cache.m7g.xlarge",
    "cache.r7g.large",
    "cache.r7g.xlarge",
}
ALLOWED_ENGINE_VERSIONS = {"7.2", "8.0", "8.1"}
RUNTIME_ENVIRONMENTS = {"development", "test", "staging", "production"}


@pytest.mark.parametrize("config", ENVIRONMENTS.values(), ids=list(ENVIRONMENTS))
def test_config_uses_allowed_cache_and_runtime_values(config: EnvironmentConfig) -> None:
    assert config.cache_node_type in ALLOWED_NODE_TYPES
    assert config.cache_engine_version in ALLOWED_ENGINE_VERSIONS
    assert config.runtime_environment in RUNTIME_ENVIRONMENTS
    assert config.capacity.min <= config.capacity.max


def test_staging_and_prod_are_multi_az_with_https_and_dev_is_cheap() -> None:
    for config in (STAGING, PROD):
        assert config.multi_az and config.cache_replicas >= 1
        assert config.certificate_arn is not None
    assert not DEV.multi_az and DEV.cache_replicas == 0 and DEV.nat_gateways == 1
    assert PROD.retain_data and PROD.cache_snapshot_retention_days > 0
    assert PROD.zone_by_zone_deploys and PROD.nat_gateways == len(PROD.availability_zones)


def test_every_environment_has_its_own_network_range() -> None:
    cidrs = [config.vpc_cidr for config in ENVIRONMENTS.values()]
    assert len(set(cidrs)) == len(cidrs)


def test_wait_replicas_follows_the_replica_count() -> None:
    assert DEV.wait_replicas == 0
    assert STAGING.wait_replicas == 1 and PROD.wait_replicas == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"multi_az": True, "cache_replicas": 0}, "Multi-AZ needs at least one replica"),
        ({"availability_zones": ("eu-west-1a",)}, "two or more availability zones"),
        ({"log_retention_days": 10}, "not a CloudWatch value"),
        ({"name": "qa", "certificate_arn": None}, "HTTPS is required outside dev"),
        ({"nat_gateways": 0}, "NAT gateway"),
    ],
)
def test_broken_configs_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(DEV, **change)  # type: ignore[arg-type]


def test_configs_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEV.name = "other"  # type: ignore[misc]


def _slot(key: str) -> int:
    """Redis Cluster's slot of a key (CRC16/XMODEM of its hash tag, mod 16384)."""
    tag = key[key.index("{") + 1 : key.index("}")] if "{" in key else key
    crc = 0
    for byte in tag.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc % 16384


@pytest.mark.parametrize("config", ENVIRONMENTS.values(), ids=list(ENVIRONMENTS))
def test_cluster_mode_spreads_the_runtime_shards_evenly_over_the_node_groups(
    config: EnvironmentConfig,
) -> None:
    if not config.cache_cluster_mode:
        assert config.cache_shards == 1 and config.shards == config.single_node_shards
        return
    assert config.shards % config.cache_shards == 0
    # ElastiCache splits the 16384 slots into equal ranges, one per node group
    groups = [
        _slot(f"dtq:{{{s}}}:jobs") * config.cache_shards // 16384 for s in range(config.shards)
    ]
    assert [groups.count(g) for g in range(config.cache_shards)] == [
        config.shards_per_cache_shard
    ] * config.cache_shards


def test_staging_and_prod_run_in_cluster_mode_and_dev_on_one_node() -> None:
    assert (STAGING.cache_shards, STAGING.shards, STAGING.cache_node_count) == (2, 4, 4)
    assert (PROD.cache_shards, PROD.shards, PROD.cache_node_count) == (2, 8, 6)
    assert not DEV.cache_cluster_mode and DEV.shards == 1 and DEV.cache_node_count == 1


def test_several_cache_shards_need_cluster_mode() -> None:
    with pytest.raises(ValueError, match="cache_shards needs cluster mode"):
        dataclasses.replace(DEV, cache_shards=2)
