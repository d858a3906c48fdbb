"""Cache: Valkey with TLS, AUTH, encryption at rest, noeviction, failover wherever Multi-AZ."""

from __future__ import annotations

import json
import string
from collections.abc import Callable

import pytest
from aws_cdk.assertions import Match, Template

from infra.constructs.cache import AUTH_TOKEN_EXCLUDED
from infra.environments import ENVIRONMENTS
from tests.infra.conftest import ENV_NAMES
from tests.infra.templates import TemplateJson, only, resources_of
from tests.infra.test_environments import ALLOWED_ENGINE_VERSIONS, ALLOWED_NODE_TYPES


@pytest.mark.parametrize("env", ENV_NAMES)
def test_replication_group_deploy_time_traps(
    stateful_json: Callable[[str], TemplateJson], env: str
) -> None:
    group = only(stateful_json(env), "AWS::ElastiCache::ReplicationGroup")
    assert group["Engine"] == "valkey"
    assert group["EngineVersion"] in ALLOWED_ENGINE_VERSIONS
    assert group["CacheNodeType"] in ALLOWED_NODE_TYPES
    assert group["TransitEncryptionEnabled"] is True
    assert group["TransitEncryptionMode"] == "required"
    assert group["AtRestEncryptionEnabled"] is True
    if group["MultiAZEnabled"]:
        assert group["AutomaticFailoverEnabled"] is True
        assert group["ReplicasPerNodeGroup"] >= 1
    assert "{{resolve:secretsmanager:" in str(group["AuthToken"])


@pytest.mark.parametrize("env", ENV_NAMES)
def test_replication_group_matches_the_environment(
    stateful: Callable[[str], Template], env: str
) -> None:
    config = ENVIRONMENTS[env]
    stateful(env).has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        {
            "ReplicationGroupId": f"dtq-{env}",
            "MultiAZEnabled": config.multi_az,
            "ReplicasPerNodeGroup": config.cache_replicas,
            "SnapshotRetentionLimit": config.cache_snapshot_retention_days,
            "Port": 6379,
        },
    )


def test_prod_cache_and_secrets_are_retained(stateful: Callable[[str], Template]) -> None:
    prod = stateful("prod")
    prod.has_resource(
        "AWS::ElastiCache::ReplicationGroup",
        {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"},
    )
    prod.has_resource("AWS::SecretsManager::Secret", {"DeletionPolicy": "Retain"})
    stateful("dev").has_resource("AWS::ElastiCache::ReplicationGroup", {"DeletionPolicy": "Delete"})


def test_parameter_group_never_evicts_and_keeps_jobs_compact(
    stateful: Callable[[str], Template],
) -> None:
    properties = {"maxmemory-policy": "noeviction", "hash-max-listpack-value": "512"}
    stateful("dev").has_resource_properties(
        "AWS::ElastiCache::ParameterGroup",
        {"CacheParameterGroupFamily": "valkey8", "Properties": properties},
    )


def test_auth_token_uses_only_punctuation_elasticache_allows(
    stateful: Callable[[str], Template],
) -> None:
    allowed = set(string.punctuation) - set(AUTH_TOKEN_EXCLUDED)
    assert allowed == set("!&#$^<>-")
    stateful("prod").has_resource_properties(
        "AWS::SecretsManager::Secret",
        {"GenerateSecretString": {"ExcludeCharacters": AUTH_TOKEN_EXCLUDED, "PasswordLength": 64}},
    )


@pytest.mark.parametrize("env", ENV_NAMES)
def test_cache_is_reachable_from_the_fleet_only(
    stateful_json: Callable[[str], TemplateJson],
    service_json: Callable[[str], TemplateJson],
    env: str,
) -> None:
    (group,) = resources_of(stateful_json(env), "AWS::EC2::SecurityGroup")
    assert "SecurityGroupIngress" not in group
    rules = [
        r
        for r in resources_of(service_json(env), "AWS::EC2::SecurityGroupIngress")
        if r["FromPort"] == 6379
    ]
    assert len(rules) == 1
    assert rules[0]["SourceSecurityGroupId"]["Fn::GetAtt"][0].startswith("FleetSecurityGroup")


def test_slow_log_goes_to_cloudwatch(stateful: Callable[[str], Template]) -> None:
    stateful("staging").has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        {
            "LogDeliveryConfigurations": Match.array_with(
                [Match.object_like({"DestinationType": "cloudwatch-logs", "LogType": "slow-log"})]
            )
        },
    )


@pytest.mark.parametrize("env", ENV_NAMES)
def test_cluster_mode_follows_the_environment(
    stateful_json: Callable[[str], TemplateJson], env: str
) -> None:
    config = ENVIRONMENTS[env]
    template = stateful_json(env)
    group = only(template, "AWS::ElastiCache::ReplicationGroup")
    assert group["NumNodeGroups"] == config.cache_shards
    assert group["ReplicasPerNodeGroup"] == config.cache_replicas
    parameters = only(template, "AWS::ElastiCache::ParameterGroup")["Properties"]
    assert parameters["maxmemory-policy"] == "noeviction"
    assert parameters["hash-max-listpack-value"] == "512"
    if config.cache_cluster_mode:
        assert parameters["cluster-enabled"] == "yes"
        assert group["AutomaticFailoverEnabled"] is True
    else:
        assert "cluster-enabled" not in parameters


@pytest.mark.parametrize(("env", "attribute"), [
    ("dev", "PrimaryEndPoint.Address"), ("prod", "ConfigurationEndPoint.Address"),
])  # fmt: skip
def test_runtime_gets_the_endpoint_of_its_mode(
    stateful_json: Callable[[str], TemplateJson], env: str, attribute: str
) -> None:
    outputs = json.dumps(stateful_json(env).get("Outputs", {}))
    assert attribute in outputs
