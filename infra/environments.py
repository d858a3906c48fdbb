"""Typed environment configs (dev, staging, prod): the only place where environments differ.

Pure data, no AWS CDK import, so the release CLI and tests can read it cheaply. Durations
carry their unit in the name; the timeouts chain every environment shares lives in TIMEOUTS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

# Log retention values CloudWatch Logs accepts (days).
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)


class Capacity(NamedTuple):
    """Auto Scaling bounds; there is deliberately no desired size (a deploy never resets it)."""

    min: int
    max: int


@dataclass(frozen=True)
class Timeouts:
    """The timeouts chain (RELIABILITY.md Z4): each layer gives up after the one inside it."""

    client_request_s: int = 30  # what we tell API clients to use; also the longest request
    alb_idle_s: int = 60  # ALB idle timeout: below uvicorn keep-alive so the ALB closes first
    uvicorn_keep_alive_s: int = 65  # --timeout-keep-alive in the Dockerfile CMD
    api_graceful_s: int = 20  # --timeout-graceful-shutdown in the Dockerfile CMD
    worker_grace_s: int = 20  # WORKER_SHUTDOWN_GRACE_S: in-flight jobs get this long
    container_stop_s: int = 45  # docker stop --time: SIGKILL only after both graces
    deregistration_delay_s: int = 45  # ALB draining: >= longest request, < hook timeout
    health_check_interval_s: int = 10
    health_check_timeout_s: int = 5
    health_check_grace_s: int = 600  # boot: packages, agents, image pull, first /health/ready
    # Scale-in: the group deregisters the instance from the ALB (deregistration delay), then
    # holds it in Terminating:Wait while the instance drains itself (dtq-drain.timer looks for
    # it every drain_check_s, runs the ApplicationStop hook script, completes the action).
    # The hook outlasts two ApplicationStop timeouts: one already running (a deployment's, or
    # CodeDeploy's termination hook's) that the drain waits for, then the drain's own.
    drain_check_s: int = 5
    termination_wait_s: int = 330  # lifecycle hook heartbeat timeout; >= 5 + 2 x 150 s + margin


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything that differs between dev, staging and prod."""

    name: str
    region: str
    availability_zones: tuple[str, ...]
    instance_type: str
    capacity: Capacity
    cache_node_type: str
    cache_replicas: int  # replicas per shard (node group)
    multi_az: bool
    runtime_environment: str  # ENVIRONMENT of the runtime: development|test|staging|production
    account: str | None = None  # None: the account of the CLI credentials at deploy time
    # Amazon Linux 2023 x86_64 AMI id in `region`. Left None here: the pins live in
    # infra/amis.json (written by `python -m infra.ami refresh`, see docs/deploy.md) and are
    # applied by infra.assembly; `cdk deploy` refuses an environment without one.
    ami_id: str | None = None
    vpc_cidr: str = "10.0.0.0/16"
    nat_gateways: int = 1
    certificate_arn: str | None = None  # None: plain HTTP (allowed in dev only)
    alarm_email: str | None = None
    log_retention_days: int = 30
    cache_engine_version: str = "8.0"
    cache_snapshot_retention_days: int = 0
    retain_data: bool = False  # RETAIN the cache and secrets when the stack is deleted
    zone_by_zone_deploys: bool = False  # CodeDeploy one availability zone at a time
    worker_concurrency: int = 32
    # Cluster mode (ElastiCache cluster mode enabled): the queue's SHARDS streams spread over
    # cache_shards node groups of 1 + cache_replicas nodes; SHARDS = shards_per_cache_shard ×
    # cache_shards, so every node group serves as many streams (with a power of two node groups
    # the hash tags {0}..{n-1} fall evenly on ElastiCache's even slot ranges; asserted in tests)
    cache_cluster_mode: bool = False
    cache_shards: int = 1
    shards_per_cache_shard: int = 2
    single_node_shards: int = 1  # SHARDS when cluster mode is off
    cpu_target_percent: int = 60
    backlog_per_instance_target: int = 500
    p99_latency_alarm_s: float = 1.0
    oldest_job_alarm_s: int = 300
    timeouts: Timeouts = field(default_factory=Timeouts)

    def __post_init__(self) -> None:
        """Refuse configurations that would deploy but fail in production."""
        problems = [message for broken, message in self._rules() if broken]
        if problems:
            raise ValueError(f"environment {self.name!r}: " + "; ".join(problems))

    def _rules(self) -> list[tuple[bool, str]]:
        return [
            (self.multi_az and self.cache_replicas < 1, "Multi-AZ needs at least one replica"),
            (len(self.availability_zones) < 2, "the VPC needs two or more availability zones"),
            (self.capacity.min > self.capacity.max, "capacity min above max"),
            (self.capacity.min < 1, "at least one instance must run"),
            (self.log_retention_days not in RETENTION_DAYS, "log retention not a CloudWatch value"),
            (self.certificate_arn is None and self.name != "dev", "HTTPS is required outside dev"),
            (self.nat_gateways < 1, "private subnets need a NAT gateway for egress"),
            (
                self.cache_shards > 1 and not self.cache_cluster_mode,
                "cache_shards needs cluster mode",
            ),
            (not 1 <= self.cache_shards <= 500, "cache_shards must be between 1 and 500"),
            (self.shards > 256, "SHARDS is at most 256"),
        ]

    @property
    def shards(self) -> int:
        """SHARDS for the runtime: a multiple of the node groups in cluster mode."""
        if self.cache_cluster_mode:
            return self.cache_shards * self.shards_per_cache_shard
        return self.single_node_shards

    @property
    def wait_replicas(self) -> int:
        """WAIT_REPLICAS for the runtime: 1 where a replica exists, so 201 means replicated."""
        return 1 if self.cache_replicas > 0 else 0

    @property
    def cache_node_count(self) -> int:
        """Every node: primary plus replicas, per shard."""
        return self.cache_shards * (1 + self.cache_replicas)


def release_parameter_name(env_name: str) -> str:
    """SSM parameter holding the current release (an image reference pinned by digest)."""
    return f"/dtq/{env_name}/release/image"


def built_image_parameter_name(env_name: str) -> str:
    """SSM parameter with the image the last `cdk deploy` built (tag in an immutable repo)."""
    return f"/dtq/{env_name}/release/built-image"


def artifacts_parameter_name(env_name: str) -> str:
    """SSM parameter holding the name of the bucket CodeDeploy revisions are uploaded to."""
    return f"/dtq/{env_name}/release/artifacts-bucket"


# Name of the termination lifecycle hook the instances complete themselves after draining.
DRAIN_HOOK_NAME = "dtq-drain"


def codedeploy_names(env_name: str) -> tuple[str, str]:
    """CodeDeploy application and deployment group names."""
    return f"dtq-{env_name}", f"dtq-{env_name}-fleet"


# Replace the certificate ARNs (and add alarm e-mails) with your own before deploying, or pass
# `-c certificate_arn=... -c alarm_email=...` to cdk (see docs/deploy.md).
_EXAMPLE_CERTIFICATE = "arn:aws:acm:eu-west-1:111111111111:certificate/example-replace-me"

DEV = EnvironmentConfig(
    name="dev",
    region="eu-west-1",
    availability_zones=("eu-west-1a", "eu-west-1b"),
    instance_type="t3.small",
    capacity=Capacity(min=1, max=2),
    cache_node_type="cache.t4g.micro",
    cache_replicas=0,
    multi_az=False,
    runtime_environment="development",
    vpc_cidr="10.10.0.0/16",
    log_retention_days=7,
    worker_concurrency=16,
)

STAGING = EnvironmentConfig(
    name="staging",
    region="eu-west-1",
    availability_zones=("eu-west-1a", "eu-west-1b"),
    instance_type="t3.medium",
    capacity=Capacity(min=2, max=4),
    cache_node_type="cache.t4g.small",
    cache_replicas=1,
    multi_az=True,
    cache_cluster_mode=True,
    cache_shards=2,
    runtime_environment="staging",
    vpc_cidr="10.20.0.0/16",
    certificate_arn=_EXAMPLE_CERTIFICATE,
    log_retention_days=30,
    cache_snapshot_retention_days=1,
)

PROD = EnvironmentConfig(
    name="prod",
    region="eu-west-1",
    availability_zones=("eu-west-1a", "eu-west-1b", "eu-west-1c"),
    instance_type="m7i.large",
    capacity=Capacity(min=3, max=12),
    cache_node_type="cache.m7g.large",
    cache_replicas=2,
    multi_az=True,
    cache_cluster_mode=True,
    cache_shards=2,
    shards_per_cache_shard=4,
    runtime_environment="production",
    vpc_cidr="10.30.0.0/16",
    nat_gateways=3,
    certificate_arn=_EXAMPLE_CERTIFICATE,
    log_retention_days=90,
    cache_snapshot_retention_days=7,
    retain_data=True,
    zone_by_zone_deploys=True,
    worker_concurrency=64,
)

ENVIRONMENTS: dict[str, EnvironmentConfig] = {env.name: env for env in (DEV, STAGING, PROD)}
