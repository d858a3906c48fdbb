"""LoadBalancer: HTTPS (and a redirect) where a certificate is set, drop invalid headers, logs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_cdk.assertions import Match, Template

from infra.environments import ENVIRONMENTS
from tests.infra.conftest import ENV_NAMES
from tests.infra.templates import TemplateJson, attributes, only


@pytest.mark.parametrize("env", ENV_NAMES)
def test_alb_attributes(service_json: Callable[[str], TemplateJson], env: str) -> None:
    config = ENVIRONMENTS[env]
    alb = attributes(
        only(service_json(env), "AWS::ElasticLoadBalancingV2::LoadBalancer"),
        "LoadBalancerAttributes",
    )
    assert alb["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert alb["access_logs.s3.enabled"] == "true"
    assert alb["idle_timeout.timeout_seconds"] == str(config.timeouts.alb_idle_s)
    assert alb["deletion_protection.enabled"] == str(config.retain_data).lower()


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_https_with_modern_tls_and_a_redirect_from_http(
    service: Callable[[str], Template], env: str
) -> None:
    template = service(env)
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 443,
            "Protocol": "HTTPS",
            "SslPolicy": Match.string_like_regexp("TLS13"),
            "Certificates": [{"CertificateArn": ENVIRONMENTS[env].certificate_arn}],
        },
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "DefaultActions": [
                Match.object_like(
                    {"Type": "redirect", "RedirectConfig": Match.object_like({"Protocol": "HTTPS"})}
                )
            ],
        },
    )


def test_dev_serves_plain_http_only(service: Callable[[str], Template]) -> None:
    template = service("dev")
    template.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 1)
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener", {"Port": 80, "Protocol": "HTTP"}
    )


@pytest.mark.parametrize("env", ENV_NAMES)
def test_target_group_checks_readiness_and_drains_quickly(
    service_json: Callable[[str], TemplateJson], env: str
) -> None:
    group = only(service_json(env), "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert group["HealthCheckPath"] == "/health/ready"
    assert group["HealthCheckTimeoutSeconds"] < group["HealthCheckIntervalSeconds"]
    assert group["Port"] == 8000
    delay = int(attributes(group, "TargetGroupAttributes")["deregistration_delay.timeout_seconds"])
    assert 30 <= delay <= 60


def test_access_logs_bucket_is_private_encrypted_and_tls_only(
    service: Callable[[str], Template],
) -> None:
    template = service("prod")
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": Match.any_value(),
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )
