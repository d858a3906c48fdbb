"""Network: a VPC over the environment's zones with public, private-app and isolated-data tiers."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.logs import retention

SUBNET_TIERS = [
    ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
    ec2.SubnetConfiguration(
        name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
    ),
    ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=26),
]


class Network(Construct):
    """VPC with flow logs; the fleet lives in `app` subnets, the cache in `data` subnets."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        availability_zones: tuple[str, ...],
        nat_gateways: int,
        log_retention_days: int,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            retention=retention(log_retention_days),
            removal_policy=removal_policy,
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=list(availability_zones),
            nat_gateways=nat_gateways,
            subnet_configuration=SUBNET_TIERS,
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)
            },
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        _drop_redundant_depends_on(cdk.Stack.of(self))

    @property
    def app_subnets(self) -> ec2.SubnetSelection:
        """Private subnets with egress through NAT, for the fleet."""
        return ec2.SubnetSelection(subnet_group_name="app")

    @property
    def data_subnets(self) -> ec2.SubnetSelection:
        """Isolated subnets without any route out, for the cache."""
        return ec2.SubnetSelection(subnet_group_name="data")


def _drop_redundant_depends_on(stack: cdk.Stack) -> None:
    """The default-SG-restricting custom resource's Lambda DependsOn the role it already GetAtts.

    cfn-lint rightly warns (W3005); the GetAtt alone orders the two, so the DependsOn goes.
    """
    provider = stack.node.try_find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
    if provider is None:
        return
    handler = provider.node.find_child("Handler")
    role = provider.node.find_child("Role")
    if isinstance(handler, cdk.CfnResource) and isinstance(role, cdk.CfnResource):
        handler.remove_resource_dependency(role)
