"""Monitoring: alarms and a dashboard from the ALB, the cache and the runtime's EMF metrics.

The runtime's worker prints Embedded Metric Format lines (namespace DTQ, dimension Environment);
CloudWatch turns them into the queue metrics used here with no API call on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.environments import EnvironmentConfig

NAMESPACE = "DTQ"
QUEUE_METRICS = (
    "QueueBacklog",
    "OldestQueuedAgeSeconds",
    "DlqDepth",
    "JobsCompleted",
    "JobsFailed",
    "JobLatencyMs",
    "BacklogPerInstance",
)
_MINUTE = cdk.Duration.minutes(1)
_BREACHING = cw.TreatMissingData.BREACHING
_NOT_BREACHING = cw.TreatMissingData.NOT_BREACHING
_GE = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
_GT = cw.ComparisonOperator.GREATER_THAN_THRESHOLD


@dataclass(frozen=True)
class Watched:
    """The resources whose metrics are watched."""

    alb: elbv2.ApplicationLoadBalancer
    target_group: elbv2.ApplicationTargetGroup
    cache_cluster_ids: list[str]
    auto_scaling_group_name: str


def queue_metric(config: EnvironmentConfig, name: str, statistic: str) -> cw.Metric:
    """One of the runtime's EMF metrics for this environment, per minute."""
    return cw.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map={"Environment": config.runtime_environment},
        statistic=statistic,
        period=_MINUTE,
    )


def _cache_max(watched: Watched, metric_name: str, label: str) -> cw.MathExpression:
    prefix = metric_name[:3].lower()  # ids must be unique across a graph's expressions
    nodes = {
        f"{prefix}{i}": cw.Metric(
            namespace="AWS/ElastiCache",
            metric_name=metric_name,
            dimensions_map={"CacheClusterId": cluster_id},
            statistic="Maximum",
            period=_MINUTE,
        )
        for i, cluster_id in enumerate(watched.cache_cluster_ids)
    }
    return cw.MathExpression(
        expression=f"MAX([{', '.join(nodes)}])", using_metrics=nodes, label=label, period=_MINUTE
    )


class Monitoring(Construct):
    """Alarms to the alert topic, and one dashboard with every signal that matters."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        watched: Watched,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self._topic = topic
        self.metrics = self._metrics(config, watched)
        self.alarms = self._alarms(config)
        self.rollback_alarms = [self.alarms["Target5xx"], self.alarms["UnhealthyHosts"]]
        self.backlog_per_instance = queue_metric(config, "BacklogPerInstance", "Average")
        self.dashboard = cw.Dashboard(
            self, "Dashboard", dashboard_name=f"dtq-{config.name}", widgets=self._widgets()
        )

    def _metrics(self, config: EnvironmentConfig, watched: Watched) -> dict[str, cw.IMetric]:
        tg = watched.target_group.metrics
        return {
            "Elb5xx": watched.alb.metrics.http_code_elb(
                elbv2.HttpCodeElb.ELB_5XX_COUNT, period=_MINUTE, statistic="Sum"
            ),
            "Target5xx": tg.http_code_target(
                elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=_MINUTE, statistic="Sum"
            ),
            "Requests": watched.alb.metrics.request_count(period=_MINUTE, statistic="Sum"),
            "UnhealthyHosts": tg.unhealthy_host_count(period=_MINUTE, statistic="Maximum"),
            "HealthyHosts": tg.healthy_host_count(period=_MINUTE, statistic="Minimum"),
            "P99Latency": tg.target_response_time(period=_MINUTE, statistic="p99"),
            "DlqDepth": queue_metric(config, "DlqDepth", "Maximum"),
            "OldestQueuedAge": queue_metric(config, "OldestQueuedAgeSeconds", "Maximum"),
            "Backlog": queue_metric(config, "QueueBacklog", "Maximum"),
            "JobsCompleted": queue_metric(config, "JobsCompleted", "Sum"),
            "JobsFailed": queue_metric(config, "JobsFailed", "Sum"),
            "JobLatencyP99": queue_metric(config, "JobLatencyMs", "p99"),
            "CacheCpu": _cache_max(watched, "EngineCPUUtilization", "Cache engine CPU %"),
            "CacheMemory": _cache_max(watched, "DatabaseMemoryUsagePercentage", "Cache memory %"),
            "CacheEvictions": _cache_max(watched, "Evictions", "Cache evictions"),
            "FleetCpu": cw.Metric(
                namespace="AWS/EC2",
                metric_name="CPUUtilization",
                dimensions_map={"AutoScalingGroupName": watched.auto_scaling_group_name},
                statistic="Average",
                period=_MINUTE,
            ),
        }

    def _alarms(self, config: EnvironmentConfig) -> dict[str, cw.Alarm]:
        # name: (threshold, comparison, evaluation periods, missing data, description)
        specs = {
            "Elb5xx": (10, _GE, 5, _NOT_BREACHING, "ALB itself answered 5xx (no healthy target?)"),
            "Target5xx": (5, _GE, 3, _NOT_BREACHING, "API answered 5xx; rolls a deployment back"),
            "UnhealthyHosts": (1, _GE, 3, _NOT_BREACHING, "a target fails /health/ready"),
            "P99Latency": (config.p99_latency_alarm_s, _GT, 5, _NOT_BREACHING, "API p99 latency"),
            "DlqDepth": (0, _GT, 1, _NOT_BREACHING, "jobs were dead-lettered"),
            "OldestQueuedAge": (
                config.oldest_job_alarm_s,
                _GT,
                3,
                _BREACHING,
                "queue not drained, or no worker reports metrics",
            ),
            "CacheCpu": (80, _GT, 5, _NOT_BREACHING, "cache engine CPU"),
            "CacheMemory": (75, _GT, 3, _NOT_BREACHING, "cache memory: writes fail at 100 %"),
            "CacheEvictions": (0, _GT, 1, _NOT_BREACHING, "evictions despite noeviction"),
        }
        return {name: self._alarm(name, config, *spec) for name, spec in specs.items()}

    def _alarm(
        self,
        name: str,
        config: EnvironmentConfig,
        threshold: float,
        comparison: cw.ComparisonOperator,
        periods: int,
        missing: cw.TreatMissingData,
        description: str,
    ) -> cw.Alarm:
        alarm = self.metrics[name].create_alarm(
            self,
            name,
            alarm_description=f"DTQ {config.name}: {description}",
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=periods,
            treat_missing_data=missing,
        )
        alarm.add_alarm_action(actions.SnsAction(self._topic))
        alarm.add_ok_action(actions.SnsAction(self._topic))
        return alarm

    def _widgets(self) -> list[list[cw.IWidget]]:
        m = self.metrics

        def graph(title: str, *names: str) -> cw.GraphWidget:
            """A third-of-a-row graph of the named metrics."""
            return cw.GraphWidget(title=title, left=[m[n] for n in names], width=8)

        return [
            [
                graph("Requests", "Requests"),
                graph("5xx", "Elb5xx", "Target5xx"),
                graph("API p99 (s)", "P99Latency"),
            ],
            [
                graph("Backlog", "Backlog"),
                graph("Oldest queued job (s)", "OldestQueuedAge"),
                graph("Dead letters", "DlqDepth"),
            ],
            [
                graph("Jobs per minute", "JobsCompleted", "JobsFailed"),
                graph("Job latency p99 (ms)", "JobLatencyP99"),
                graph("Fleet", "FleetCpu", "HealthyHosts", "UnhealthyHosts"),
            ],
            [
                graph("Cache CPU / memory (%)", "CacheCpu", "CacheMemory"),
                graph("Cache evictions", "CacheEvictions"),
                cw.AlarmStatusWidget(alarms=list(self.alarms.values()), width=8),
            ],
        ]
