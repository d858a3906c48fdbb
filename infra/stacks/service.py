"""ServiceStack: the replaceable part (ALB, fleet, deployment, monitoring, scaling)."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from infra.constructs.alerts import Alerts
from infra.constructs.deployment import Deployment
from infra.constructs.fleet import Fleet, FleetInputs
from infra.constructs.load_balancer import LoadBalancer
from infra.constructs.logs import AppLogs
from infra.constructs.monitoring import Monitoring, Watched
from infra.constructs.release import Release
from infra.constructs.scaling import Scaling
from infra.environments import EnvironmentConfig
from infra.stacks.stateful import StatefulStack, removal_policy


class ServiceStack(cdk.Stack):
    """Wires the service constructs to the stateful stack's network, cache and secrets."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        stateful: StatefulStack,
        image_directory: Path,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        vpc, cache = stateful.network.vpc, stateful.cache
        policy = removal_policy(config)
        alerts = Alerts(self, "Alerts", env_name=config.name, email=config.alarm_email)
        logs = AppLogs(
            self,
            "Logs",
            env_name=config.name,
            retention_days=config.log_retention_days,
            removal_policy=policy,
        )
        lb = LoadBalancer(self, "LoadBalancer", vpc=vpc, config=config, removal_policy=policy)
        release = Release(
            self,
            "Release",
            env_name=config.name,
            image_directory=image_directory,
            access_logs_bucket=lb.logs_bucket,
        )
        inputs = FleetInputs(
            redis_url=cache.url,
            redis_secret=cache.auth_secret,
            api_keys_secret=stateful.api_keys,
            logs=logs,
            release=release,
            target_group=lb.target_group,
            notifications=alerts.topic,
        )
        fleet = Fleet(
            self,
            "Fleet",
            vpc=vpc,
            subnets=stateful.network.app_subnets,
            config=config,
            inputs=inputs,
        )
        cache.allow_from(fleet.security_group)
        deployment = Deployment(
            self,
            "Deployment",
            env_name=config.name,
            group=fleet.group,
            target_group=lb.target_group,
            zone_by_zone=config.zone_by_zone_deploys,
        )
        watched = Watched(
            alb=lb.alb,
            target_group=lb.target_group,
            cache_cluster_ids=cache.member_cluster_ids,
            auto_scaling_group_name=fleet.group.auto_scaling_group_name,
        )
        monitoring = Monitoring(
            self, "Monitoring", config=config, watched=watched, topic=alerts.topic
        )
        for alarm in monitoring.rollback_alarms:
            deployment.add_rollback_alarm(alarm)
        Scaling(
            self,
            "Scaling",
            group=fleet.group,
            cpu_target_percent=config.cpu_target_percent,
            backlog_metric=monitoring.backlog_per_instance,
            backlog_per_instance_target=config.backlog_per_instance_target,
        )
        cdk.CfnOutput(self, "Url", value=lb.url, description="UI and API base URL")
        cdk.CfnOutput(self, "BuiltImage", value=release.image.image_uri)
