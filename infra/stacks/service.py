"""ServiceStack: the replaceable part (ALB, fleet, deployment, rollout, monitoring, scaling)."""

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
from infra.constructs.rollout import Rollout
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
        self.config = config
        policy = removal_policy(config)
        self.alerts = Alerts(self, "Alerts", env_name=config.name, email=config.alarm_email)
        self.logs = AppLogs(
            self,
            "Logs",
            env_name=config.name,
            retention_days=config.log_retention_days,
            removal_policy=policy,
        )
        self.load_balancer = LoadBalancer(
            self, "LoadBalancer", vpc=stateful.network.vpc, config=config, removal_policy=policy
        )
        self.release = Release(
            self,
            "Release",
            env_name=config.name,
            image_directory=image_directory,
            access_logs_bucket=self.load_balancer.logs_bucket,
        )
        self.fleet = self._fleet(stateful)
        self._operations(stateful)
        cdk.CfnOutput(self, "Url", value=self.load_balancer.url, description="UI and API URL")
        cdk.CfnOutput(self, "BuiltImage", value=self.release.image.image_uri)

    def _fleet(self, stateful: StatefulStack) -> Fleet:
        inputs = FleetInputs(
            redis_url=stateful.cache.url,
            redis_secret=stateful.cache.auth_secret,
            api_keys_secret=stateful.api_keys,
            logs=self.logs,
            release=self.release,
            target_group=self.load_balancer.target_group,
            notifications=self.alerts.topic,
        )
        fleet = Fleet(
            self,
            "Fleet",
            vpc=stateful.network.vpc,
            subnets=stateful.network.app_subnets,
            config=self.config,
            inputs=inputs,
        )
        stateful.cache.allow_from(fleet.security_group)
        return fleet

    def _operations(self, stateful: StatefulStack) -> None:
        """Deployment, monitoring and scaling of the fleet; alarms roll deployments back."""
        lb, group = self.load_balancer, self.fleet.group
        deployment = Deployment(
            self,
            "Deployment",
            env_name=self.config.name,
            group=group,
            target_group=lb.target_group,
            zone_by_zone=self.config.zone_by_zone_deploys,
        )
        watched = Watched(
            alb=lb.alb,
            target_group=lb.target_group,
            cache_cluster_ids=stateful.cache.member_cluster_ids,
            auto_scaling_group_name=group.auto_scaling_group_name,
        )
        monitoring = Monitoring(
            self, "Monitoring", config=self.config, watched=watched, topic=self.alerts.topic
        )
        for alarm in monitoring.rollback_alarms:
            deployment.add_rollback_alarm(alarm)
        rollout = Rollout(
            self,
            "Rollout",
            env_name=self.config.name,
            release=self.release,
            deployment=deployment,
            log_retention_days=self.config.log_retention_days,
        )
        cdk.CfnOutput(self, "RolloutDeployment", value=rollout.deployment_id)
        Scaling(
            self,
            "Scaling",
            group=group,
            cpu_target_percent=self.config.cpu_target_percent,
            backlog_metric=monitoring.backlog_per_instance,
            backlog_per_instance_target=self.config.backlog_per_instance_target,
        )
