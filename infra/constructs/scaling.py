"""Scaling: target tracking on CPU and on queue backlog per instance."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct


class Scaling(Construct):
    """Scale out when either CPU or backlog per instance is above target; in when both are low."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        group: autoscaling.AutoScalingGroup,
        cpu_target_percent: int,
        backlog_metric: cloudwatch.IMetric,
        backlog_per_instance_target: int,
    ) -> None:
        super().__init__(scope, construct_id)
        group.scale_on_cpu_utilization("Cpu", target_utilization_percent=cpu_target_percent)
        group.scale_to_track_metric(
            "Backlog",
            metric=backlog_metric,
            target_value=backlog_per_instance_target,
            estimated_instance_warmup=cdk.Duration.minutes(5),
        )
