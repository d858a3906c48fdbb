"""Cache: the ElastiCache for Valkey replication group that holds every queue."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.logs import retention
from infra.environments import EnvironmentConfig

PORT = 6379
# ElastiCache AUTH tokens allow only these punctuation characters: ! & # $ ^ < > -
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
AUTH_TOKEN_EXCLUDED = "".join(c for c in _PUNCTUATION if c not in "!&#$^<>-")


def parameter_values(config: EnvironmentConfig) -> dict[str, str]:
    """The cache's parameter group: noeviction (evicting would drop idempotency keys and
    leases), jobs with payloads up to 512 B in the compact listpack encoding (about half the
    memory), and cluster-enabled in cluster mode (it cannot change on a live group)."""
    values = {"maxmemory-policy": "noeviction", "hash-max-listpack-value": "512"}
    if config.cache_cluster_mode:
        values["cluster-enabled"] = "yes"
    return values


class Cache(Construct):
    """Valkey with TLS, AUTH and at-rest encryption, reachable only from allow_from() peers."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        config: EnvironmentConfig,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.replication_group_id = f"dtq-{config.name}"
        self.node_count = config.cache_node_count
        self.cluster_mode = config.cache_cluster_mode
        self.shard_count = config.cache_shards
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"DTQ {config.name} cache: Valkey from the fleet only",
            allow_all_outbound=False,
        )
        self.auth_secret = secretsmanager.Secret(
            self,
            "AuthToken",
            description=f"DTQ {config.name} Valkey AUTH token",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_characters=AUTH_TOKEN_EXCLUDED
            ),
            removal_policy=removal_policy,
        )
        self.slow_log = logs.LogGroup(
            self,
            "SlowLog",
            retention=retention(config.log_retention_days),
            removal_policy=removal_policy,
        )
        self.replication_group = self._replication_group(vpc, subnets, config)
        self.replication_group.apply_removal_policy(removal_policy)
        self._acknowledge(config)

    def _acknowledge(self, config: EnvironmentConfig) -> None:
        cdk.Validations.of(self.auth_secret).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-SMG4",
                reason="Rotating an ElastiCache AUTH token is a two-step ModifyReplicationGroup "
                "(ROTATE, then SET) coordinated with a restart of the fleet; a single-step "
                "Secrets Manager rotation would lock the fleet out. Runbook: docs/deploy.md.",
            )
        )
        if not config.multi_az:
            cdk.Validations.of(self.replication_group).acknowledge(
                cdk.Acknowledgment(
                    id="AwsSolutions-AEC4",
                    reason=f"{config.name} runs a single cache node to save cost; staging and "
                    "prod are Multi-AZ with automatic failover (asserted in tests/infra).",
                )
            )

    def _replication_group(
        self, vpc: ec2.IVpc, subnets: ec2.SubnetSelection, config: EnvironmentConfig
    ) -> elasticache.CfnReplicationGroup:
        subnet_group = elasticache.CfnSubnetGroup(
            self,
            "SubnetGroup",
            description=f"DTQ {config.name} cache subnets (isolated)",
            subnet_ids=vpc.select_subnets(subnet_group_name=subnets.subnet_group_name).subnet_ids,
        )
        parameters = elasticache.CfnParameterGroup(
            self,
            "Parameters",
            cache_parameter_group_family=f"valkey{config.cache_engine_version.split('.')[0]}",
            description="DTQ: never evict (eviction silently breaks leases and idempotency)",
            properties=parameter_values(config),
        )
        # cluster mode: the runtime's shards spread over the node groups (REDIS_CLUSTER=true);
        # a cluster-mode replication group always has automatic failover on
        failover = config.multi_az or config.cache_cluster_mode
        return elasticache.CfnReplicationGroup(
            self,
            "ReplicationGroup",
            replication_group_id=self.replication_group_id,
            replication_group_description=f"DTQ {config.name} queues",
            engine="valkey",
            engine_version=config.cache_engine_version,
            cache_node_type=config.cache_node_type,
            num_node_groups=config.cache_shards,
            replicas_per_node_group=config.cache_replicas,
            multi_az_enabled=config.multi_az,
            automatic_failover_enabled=failover,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            at_rest_encryption_enabled=True,
            auth_token=self.auth_secret.secret_value.unsafe_unwrap(),
            port=PORT,
            cache_subnet_group_name=subnet_group.ref,
            cache_parameter_group_name=parameters.ref,
            security_group_ids=[self.security_group.security_group_id],
            snapshot_retention_limit=config.cache_snapshot_retention_days,
            auto_minor_version_upgrade=True,
            log_delivery_configurations=[self._slow_log_delivery()],
        )

    def _slow_log_delivery(
        self,
    ) -> elasticache.CfnReplicationGroup.LogDeliveryConfigurationRequestProperty:
        group = elasticache.CfnReplicationGroup
        return group.LogDeliveryConfigurationRequestProperty(
            destination_type="cloudwatch-logs",
            destination_details=group.DestinationDetailsProperty(
                cloud_watch_logs_details=group.CloudWatchLogsDestinationDetailsProperty(
                    log_group=self.slow_log.log_group_name
                )
            ),
            log_format="json",
            log_type="slow-log",
        )

    @property
    def endpoint_address(self) -> str:
        """Primary endpoint (follows the primary across failovers), or in cluster mode the
        configuration endpoint (the client discovers every node from it)."""
        if self.cluster_mode:
            return self.replication_group.attr_configuration_end_point_address
        return self.replication_group.attr_primary_end_point_address

    @property
    def url(self) -> str:
        """REDIS_URL for the runtime: TLS, database 0; the password travels apart."""
        return f"rediss://{self.endpoint_address}:{PORT}/0"

    @property
    def member_cluster_ids(self) -> list[str]:
        """CacheClusterId of every node (the dimension of per-node CloudWatch metrics)."""
        group = self.replication_group_id
        if self.cluster_mode:
            per_shard = self.node_count // self.shard_count
            return [
                f"{group}-{shard:04d}-{node:03d}"
                for shard in range(1, 1 + self.shard_count)
                for node in range(1, 1 + per_shard)
            ]
        return [f"{group}-{i:03d}" for i in range(1, 1 + self.node_count)]

    def allow_from(self, peer: ec2.ISecurityGroup) -> None:
        """Open the Valkey port to `peer` (the fleet's security group), and to nothing else.

        The rule lives beside `peer` (in the service stack): a rule in this stack would make the
        stateful stack depend on the replaceable one.
        """
        ec2.CfnSecurityGroupIngress(
            peer,
            "ValkeyIngress",
            group_id=self.security_group.security_group_id,
            source_security_group_id=peer.security_group_id,
            ip_protocol="tcp",
            from_port=PORT,
            to_port=PORT,
            description="Valkey from the DTQ fleet",
        )
