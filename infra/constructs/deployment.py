"""Deployment: CodeDeploy in-place rolling updates of the fleet, with alarm-driven rollback."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from infra.environments import codedeploy_names

_CODEDEPLOY_POLICY = "arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRole"


class Deployment(Construct):
    """One instance at a time (a zone at a time when zone_by_zone), ALB traffic blocked around it.

    The group's termination hook makes scale-in run ApplicationStop (drain) before an instance
    goes away. Rollback happens on failure, on stop, and when an alarm added with
    add_rollback_alarm() fires during the deployment.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        group: autoscaling.IAutoScalingGroup,
        target_group: elbv2.IApplicationTargetGroup,
        zone_by_zone: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        application_name, group_name = codedeploy_names(env_name)
        self.application = codedeploy.ServerApplication(
            self, "Application", application_name=application_name
        )
        self.group = codedeploy.ServerDeploymentGroup(
            self,
            "Group",
            application=self.application,
            deployment_group_name=group_name,
            auto_scaling_groups=[group],
            load_balancers=[codedeploy.LoadBalancer.application(target_group)],
            deployment_config=self._config(zone_by_zone),
            install_agent=False,  # user-data installs it (no CloudFormation::Init round trip)
            termination_hook=True,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
        )
        cdk.Validations.of(self.group).acknowledge(
            cdk.Acknowledgment(
                id=f"AwsSolutions-IAM4[Policy::{_CODEDEPLOY_POLICY}]",
                reason="AWSCodeDeployRole is the service role policy AWS maintains for CodeDeploy "
                "on EC2/Auto Scaling (lifecycle hooks, ELB registration); a hand copy would drift.",
            )
        )

    def _config(self, zone_by_zone: bool) -> codedeploy.IServerDeploymentConfig:
        # Every instance must succeed, one (or one zone) at a time. No deployment config can say
        # so on its own, which is why this is not a custom config:
        # - CodeDeploy takes (instances - MinimumHealthyHosts) out at once and calls a deployment
        #   Succeeded when at least MinimumHealthyHosts instances succeeded. One at a time thus
        #   means a minimum of N - 1, and that tolerates exactly one failure: the last instance's
        #   (AWS documents it for OneAtATime; a HOST_COUNT or FLEET_PERCENT config equal to N - 1
        #   behaves the same). A minimum of N makes CodeDeploy fail every deployment at once.
        # - A custom config can only count HOST_COUNT or FLEET_PERCENT, which is one at a time for
        #   one fleet size only (FLEET_PERCENT 50: one at a time at 2 instances, two at 4), while
        #   the group's size moves with scaling. OneAtATime's MOST_CONCURRENCY 1, not available to
        #   custom configs, is one at a time at every size, so non-zonal environments keep it.
        # "Every instance" is therefore enforced by what starts deployments: `python -m
        # infra.release` and the rollout `cdk deploy` starts (infra/rollout/rollout.py,
        # outcome()) count a Succeeded deployment with a Failed instance as failed and put the
        # previous release back (tests/infra/test_release.py, test_rollout.py).
        if not zone_by_zone:
            return codedeploy.ServerDeploymentConfig.ONE_AT_A_TIME
        # A third of the fleet at most, one availability zone at a time, watching the alarms
        # for a while after each zone (longer after the first).
        return codedeploy.ServerDeploymentConfig(
            self,
            "ZoneByZone",
            minimum_healthy_hosts=codedeploy.MinimumHealthyHosts.percentage(66),
            zonal_config=codedeploy.ZonalConfig(
                minimum_healthy_hosts_per_zone=codedeploy.MinimumHealthyHostsPerZone.count(0),
                monitor_duration=cdk.Duration.minutes(5),
                first_zone_monitor_duration=cdk.Duration.minutes(10),
            ),
        )

    def add_rollback_alarm(self, alarm: cloudwatch.IAlarm) -> None:
        """Roll the deployment back when `alarm` fires while it runs."""
        self.group.add_alarm(alarm)
