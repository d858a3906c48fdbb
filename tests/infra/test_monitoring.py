"""Monitoring and scaling: alarms on every signal that matters, a dashboard, two policies."""

from __future__ import annotations

from collections.abc import Callable

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from infra.constructs.alerts import Alerts
from infra.constructs.monitoring import NAMESPACE, QUEUE_METRICS
from infra.environments import ENVIRONMENTS
from tests.infra.conftest import ENV_NAMES
from tests.infra.templates import TemplateJson, resources_of


@pytest.mark.parametrize("env", ENV_NAMES)
def test_every_signal_has_an_alarm_to_the_topic(
    service_json: Callable[[str], TemplateJson], env: str
) -> None:
    alarms = resources_of(service_json(env), "AWS::CloudWatch::Alarm")
    names = {a.get("MetricName") for a in alarms}
    assert {
        "HTTPCode_ELB_5XX_Count",
        "HTTPCode_Target_5XX_Count",
        "UnHealthyHostCount",
        "TargetResponseTime",
        "DlqDepth",
        "OldestQueuedAgeSeconds",
    } <= names
    math = [a for a in alarms if "Metrics" in a]
    expressions = {m["Expression"] for a in math for m in a["Metrics"] if "Expression" in m}
    assert len(expressions) == 3  # cache CPU, memory, evictions (max over the nodes)
    for alarm in alarms:
        assert alarm["AlarmActions"] and alarm["OKActions"]


@pytest.mark.parametrize("env", ENV_NAMES)
def test_queue_alarms_read_the_runtime_emf_metrics(
    service: Callable[[str], Template], env: str
) -> None:
    dimension = [{"Name": "Environment", "Value": ENVIRONMENTS[env].runtime_environment}]
    for metric, threshold in (
        ("DlqDepth", 0),
        ("OldestQueuedAgeSeconds", ENVIRONMENTS[env].oldest_job_alarm_s),
    ):
        service(env).has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "Namespace": NAMESPACE,
                "MetricName": metric,
                "Dimensions": dimension,
                "Threshold": threshold,
                "ComparisonOperator": "GreaterThanThreshold",
            },
        )


def test_cache_alarms_cover_every_node(service_json: Callable[[str], TemplateJson]) -> None:
    alarms = [
        a for a in resources_of(service_json("prod"), "AWS::CloudWatch::Alarm") if "Metrics" in a
    ]
    for alarm in alarms:
        clusters = {
            d["Value"]
            for m in alarm["Metrics"]
            if "MetricStat" in m
            for d in m["MetricStat"]["Metric"]["Dimensions"]
        }
        # prod runs in cluster mode: 2 node groups of a primary and 2 replicas
        assert clusters == {f"dtq-prod-{g:04d}-{n:03d}" for g in (1, 2) for n in (1, 2, 3)}


def test_dashboard_shows_queue_metrics(service_json: Callable[[str], TemplateJson]) -> None:
    (dashboard,) = resources_of(service_json("staging"), "AWS::CloudWatch::Dashboard")
    body = str(dashboard["DashboardBody"])
    assert all(name in body for name in QUEUE_METRICS if name != "BacklogPerInstance")


@pytest.mark.parametrize("env", ENV_NAMES)
def test_scaling_tracks_cpu_and_backlog_per_instance(
    service: Callable[[str], Template], env: str
) -> None:
    template = service(env)
    template.resource_count_is("AWS::AutoScaling::ScalingPolicy", 2)
    template.has_resource_properties(
        "AWS::AutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingConfiguration": Match.object_like(
                {
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "ASGAverageCPUUtilization"
                    }
                }
            ),
        },
    )
    template.has_resource_properties(
        "AWS::AutoScaling::ScalingPolicy",
        {
            "TargetTrackingConfiguration": Match.object_like(
                {
                    "CustomizedMetricSpecification": Match.object_like(
                        {"MetricName": "BacklogPerInstance", "Namespace": NAMESPACE}
                    ),
                    "TargetValue": ENVIRONMENTS[env].backlog_per_instance_target,
                }
            )
        },
    )


def test_alert_topic_is_tls_only_and_mails_when_asked() -> None:
    stack = cdk.Stack(cdk.App(), "Alerts")
    Alerts(stack, "Alerts", env_name="dev", email="ops@example.com")
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with([Match.object_like({"Effect": "Deny"})])
            }
        },
    )
