"""Network: three subnet tiers over the environment's zones, NAT sized per environment."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_cdk.assertions import Match, Template

from infra.environments import ENVIRONMENTS
from tests.infra.conftest import ENV_NAMES


@pytest.mark.parametrize("env", ENV_NAMES)
def test_vpc_has_public_app_and_data_subnets_in_every_zone(
    stateful: Callable[[str], Template], env: str
) -> None:
    config = ENVIRONMENTS[env]
    template = stateful(env)
    zones = len(config.availability_zones)
    template.resource_count_is("AWS::EC2::Subnet", 3 * zones)
    template.resource_count_is("AWS::EC2::NatGateway", config.nat_gateways)
    template.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": config.vpc_cidr})
    template.has_resource_properties(
        "AWS::EC2::Subnet",
        {
            "MapPublicIpOnLaunch": False,
            "Tags": Match.array_with([{"Key": "aws-cdk:subnet-name", "Value": "data"}]),
        },
    )


@pytest.mark.parametrize("env", ENV_NAMES)
def test_flow_logs_go_to_a_log_group_with_retention(
    stateful: Callable[[str], Template], env: str
) -> None:
    template = stateful(env)
    template.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL"})
    template.has_resource_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": ENVIRONMENTS[env].log_retention_days}
    )


def test_s3_traffic_stays_on_a_gateway_endpoint(stateful: Callable[[str], Template]) -> None:
    stateful("dev").has_resource_properties("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway"})
