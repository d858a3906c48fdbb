"""LoadBalancer: the public ALB serving the UI and the API on one origin."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.environments import EnvironmentConfig, Timeouts

API_PORT = 8000
HEALTH_CHECK_PATH = "/health/ready"


class LoadBalancer(Construct):
    """ALB + target group on /health/ready; HTTPS plus an HTTP redirect given a certificate."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        config: EnvironmentConfig,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        timeouts = config.timeouts
        self.logs_bucket = self._logs_bucket(removal_policy)
        self.alb = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            vpc=vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            drop_invalid_header_fields=True,
            idle_timeout=cdk.Duration.seconds(timeouts.alb_idle_s),
            deletion_protection=config.retain_data,
        )
        self.alb.log_access_logs(self.logs_bucket, prefix="alb")
        cdk.Validations.of(self.alb).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-EC23",
                reason="The ALB is the public entry point of the UI and the API: it must accept "
                "80/443 from anywhere. Instances accept traffic only from this security group.",
            )
        )
        self.target_group = self._target_group(vpc, timeouts)
        self.is_https = config.certificate_arn is not None
        self.listener = self._listeners(config.certificate_arn)

    def _logs_bucket(self, removal_policy: cdk.RemovalPolicy) -> s3.Bucket:
        return s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # ALB log delivery supports SSE-S3 only
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(90))],
            removal_policy=removal_policy,
            auto_delete_objects=False,
        )

    def _target_group(self, vpc: ec2.IVpc, timeouts: Timeouts) -> elbv2.ApplicationTargetGroup:
        return elbv2.ApplicationTargetGroup(
            self,
            "Api",
            vpc=vpc,
            port=API_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.INSTANCE,
            deregistration_delay=cdk.Duration.seconds(timeouts.deregistration_delay_s),
            health_check=elbv2.HealthCheck(
                path=HEALTH_CHECK_PATH,
                healthy_http_codes="200",
                interval=cdk.Duration.seconds(timeouts.health_check_interval_s),
                timeout=cdk.Duration.seconds(timeouts.health_check_timeout_s),
                healthy_threshold_count=2,
                unhealthy_threshold_count=2,
            ),
        )

    def _listeners(self, certificate_arn: str | None) -> elbv2.ApplicationListener:
        if certificate_arn is None:
            return self.alb.add_listener("Http", port=80, default_target_groups=[self.target_group])
        self.alb.add_redirect(source_port=80, target_port=443)
        return self.alb.add_listener(
            "Https",
            port=443,
            certificates=[elbv2.ListenerCertificate.from_arn(certificate_arn)],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
            default_target_groups=[self.target_group],
        )

    @property
    def url(self) -> str:
        """Public base URL of the UI and the API."""
        scheme = "https" if self.is_https else "http"
        return f"{scheme}://{self.alb.load_balancer_dns_name}"
