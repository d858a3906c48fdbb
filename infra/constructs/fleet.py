"""Fleet: launch template, Auto Scaling group and role; user-data starts the API and the worker.

Each instance runs both containers of one image; the environment variables written here are the
runtime<->infra contract (tests/infra asserts each one is a runtime.config.Settings field).
An instance the group terminates is never cut short while it drains: a termination lifecycle hook
holds it until its own dtq-drain.timer has run the ApplicationStop hook script and completed the
lifecycle action (or the hook times out after Timeouts.termination_wait_s).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.ami import LATEST_AL2023
from infra.constructs.logs import AppLogs
from infra.constructs.nag import nag_resource
from infra.constructs.release import Release
from infra.environments import DRAIN_HOOK_NAME, EnvironmentConfig, built_image_parameter_name

INFRA_DIR = Path(__file__).resolve().parents[1]
USER_DATA_SCRIPT = INFRA_DIR / "userdata.sh"
HOOKS_DIR = INFRA_DIR / "revision" / "hooks"
HOOKS_LIB = HOOKS_DIR / "lib.sh"
# Hook scripts every instance has from boot (in /opt/dtq/hooks), before any CodeDeploy revision:
# the termination drain and the ApplicationStop script it falls back to.
BOOT_HOOKS = ("lib.sh", "application_stop.sh", "drain_on_termination.sh")
API_PORT = 8000


@dataclass(frozen=True)
class FleetInputs:
    """What the fleet consumes from the other constructs."""

    redis_url: str
    redis_secret: secretsmanager.ISecret
    api_keys_secret: secretsmanager.ISecret
    logs: AppLogs
    release: Release
    target_group: elbv2.ApplicationTargetGroup
    notifications: sns.ITopic


def container_environment(config: EnvironmentConfig, redis_url: str) -> dict[str, dict[str, str]]:
    """Runtime settings per env file (common, api, worker); secrets are added on the instance."""
    return {
        "common": {
            "ENVIRONMENT": config.runtime_environment,
            "REDIS_URL": redis_url,
            "LOG_FORMAT": "json",
            "WAIT_REPLICAS": str(config.wait_replicas),
            "SHARDS": str(config.shards),
            "REDIS_CLUSTER": str(config.cache_cluster_mode).lower(),
            "EMF_NAMESPACE": "DTQ",
        },
        "api": {"HOST": "0.0.0.0", "PORT": str(API_PORT), "EMF_METRICS": "false"},
        "worker": {
            "EMF_METRICS": "true",
            "WORKER_CONCURRENCY": str(config.worker_concurrency),
            "WORKER_SHUTDOWN_GRACE_S": str(config.timeouts.worker_grace_s),
        },
    }


def host_environment(config: EnvironmentConfig, inputs: FleetInputs) -> dict[str, str]:
    """Settings of the hooks and user-data themselves (/etc/dtq/dtq.env), not of the runtime."""
    names = inputs.logs.names
    return {
        "DTQ_ENV": config.name,
        "DTQ_REGION": config.region,
        "DTQ_RELEASE_PARAMETER": inputs.release.pointer_name,
        "DTQ_BUILT_IMAGE_PARAMETER": built_image_parameter_name(config.name),
        "DTQ_REDIS_SECRET_ARN": inputs.redis_secret.secret_arn,
        "DTQ_API_KEYS_SECRET_ARN": inputs.api_keys_secret.secret_arn,
        "DTQ_LOG_GROUP_API": names["api"],
        "DTQ_LOG_GROUP_WORKER": names["worker"],
        "DTQ_LOG_GROUP_SYSTEM": names["system"],
        "DTQ_CONTAINER_STOP_S": str(config.timeouts.container_stop_s),
        "DTQ_DRAIN_HOOK": DRAIN_HOOK_NAME,
        "DTQ_DRAIN_CHECK_S": str(config.timeouts.drain_check_s),
    }


def compact(script: str) -> str:
    """A script as user-data carries it: without its comment lines, since EC2 takes at most
    16 KB of user-data (the shebang and shellcheck directives stay)."""
    lines = script.splitlines()
    kept = [
        line
        for n, line in enumerate(lines)
        if not line.lstrip().startswith("#")
        or (n == 0 and line.startswith("#!"))
        or line.lstrip().startswith("# shellcheck")
    ]
    return "\n".join(kept) + "\n"


def _heredoc(path: str, text: str, mode: str) -> list[str]:
    return [f"cat >{path} <<'DTQ_EOF'", text.rstrip("\n"), "DTQ_EOF", f"chmod {mode} {path}"]


def _env_file(values: dict[str, str]) -> str:
    return "\n".join(f"{key}={value}" for key, value in values.items())


def build_user_data(config: EnvironmentConfig, inputs: FleetInputs) -> ec2.UserData:
    """Preamble (env files + lib.sh) followed by infra/userdata.sh."""
    user_data = ec2.UserData.for_linux(shebang="#!/bin/bash")
    commands = ["set -euo pipefail", "install -d -m 0755 /etc/dtq /opt/dtq/hooks"]
    commands += _heredoc("/etc/dtq/dtq.env", _env_file(host_environment(config, inputs)), "0644")
    for name, values in container_environment(config, inputs.redis_url).items():
        commands += _heredoc(f"/etc/dtq/{name}.env", _env_file(values), "0644")
    for name in BOOT_HOOKS:
        mode = "0644" if name == "lib.sh" else "0755"
        commands += _heredoc(
            f"/opt/dtq/hooks/{name}", compact((HOOKS_DIR / name).read_text()), mode
        )
    body = compact(USER_DATA_SCRIPT.read_text()).splitlines()
    commands += [line for line in body if not line.startswith(("#!", "set -euo pipefail"))]
    user_data.add_commands(*commands)
    return user_data


class Fleet(Construct):
    """Private instances behind the ALB, IMDSv2 only, no SSH, encrypted gp3, least privilege."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        config: EnvironmentConfig,
        inputs: FleetInputs,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description=f"DTQ {config.name} instances"
        )
        self.role = self._role(config, inputs)
        self.launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            machine_image=machine_image(config),
            instance_type=ec2.InstanceType(config.instance_type),
            role=self.role,
            security_group=self.security_group,
            user_data=build_user_data(config, inputs),
            require_imdsv2=True,
            http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
            http_put_response_hop_limit=2,  # containers sit one hop behind the host
            block_devices=[_root_volume()],
            detailed_monitoring=True,
        )
        self.group = self._group(vpc, subnets, config, inputs.notifications)
        self.group.attach_to_application_target_group(inputs.target_group)
        self._drain_on_termination(config)

    def _role(self, config: EnvironmentConfig, inputs: FleetInputs) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"DTQ {config.name} instances",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore")
            ],
        )
        inputs.redis_secret.grant_read(role)
        inputs.api_keys_secret.grant_read(role)
        inputs.logs.grant_write(role)
        inputs.release.grant_instance(role)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "DTQ/Host"}},
            )
        )
        role.add_to_policy(iam.PolicyStatement(actions=["ec2:DescribeTags"], resources=["*"]))
        _acknowledge_role(role)
        return role

    def _group(
        self,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        config: EnvironmentConfig,
        notifications: sns.ITopic,
    ) -> autoscaling.AutoScalingGroup:
        # No desired_capacity: a deployment must never reset the size scaling has chosen.
        return autoscaling.AutoScalingGroup(
            self,
            "Group",
            vpc=vpc,
            vpc_subnets=subnets,
            launch_template=self.launch_template,
            min_capacity=config.capacity.min,
            max_capacity=config.capacity.max,
            health_checks=autoscaling.HealthChecks.with_additional_checks(
                additional_types=[autoscaling.AdditionalHealthCheckType.ELB],
                grace_period=cdk.Duration.seconds(config.timeouts.health_check_grace_s),
            ),
            default_instance_warmup=cdk.Duration.minutes(5),
            group_metrics=[autoscaling.GroupMetrics.all()],
            notifications=[autoscaling.NotificationConfiguration(topic=notifications)],
        )

    def _drain_on_termination(self, config: EnvironmentConfig) -> None:
        """Terminating:Wait until the instance has drained itself (or termination_wait_s)."""
        self.drain_hook = self.group.add_lifecycle_hook(
            "Drain",
            lifecycle_hook_name=DRAIN_HOOK_NAME,
            lifecycle_transition=autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
            heartbeat_timeout=cdk.Duration.seconds(config.timeouts.termination_wait_s),
            default_result=autoscaling.DefaultResult.CONTINUE,
        )
        # The instance finds its group through its aws:autoscaling:groupName tag (ec2:DescribeTags,
        # already granted): user-data cannot name the group that launches it. A policy of its own,
        # since the launch template waits for the role's default policy and the group for both.
        policy = iam.Policy(
            self,
            "DrainPolicy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    actions=["autoscaling:CompleteLifecycleAction"],
                    resources=[self.group.auto_scaling_group_arn],
                )
            ],
        )
        cdk.Validations.of(policy).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-IAM5[Resource::"
                f"{nag_resource(self, self.group.auto_scaling_group_arn)}]",
                reason="One action on this fleet's own group, named exactly; the wildcard is the "
                "group's UUID, which autoscaling ARNs carry and CloudFormation does not return.",
            )
        )


def _acknowledge_role(role: iam.Role) -> None:
    findings = {
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
        "AmazonSSMManagedInstanceCore]": "Session Manager (no SSH) and the SSM agent need "
        "exactly this AWS-maintained policy; AWS updates it as the agent changes.",
        "AwsSolutions-IAM5[Resource::*]": "Only actions that cannot be scoped to a resource: "
        "ecr:GetAuthorizationToken (image pulls), ec2:DescribeTags (CloudWatch agent "
        "dimensions) and cloudwatch:PutMetricData, limited by condition to namespace DTQ/Host.",
    }
    for finding, reason in findings.items():
        cdk.Validations.of(role).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))


def machine_image(config: EnvironmentConfig) -> ec2.IMachineImage:
    """The pinned AMI (infra/amis.json, or -c ami_id). Without one, the latest AL2023 resolved
    by CloudFormation at deploy time: only `make synth` and the tests build such a template, the
    cdk CLI refuses an unpinned environment (infra.assembly.deployable)."""
    if config.ami_id:
        return ec2.MachineImage.generic_linux({config.region: config.ami_id})
    # the parameter `python -m infra.ami refresh` pins from
    return ec2.MachineImage.from_ssm_parameter(LATEST_AL2023, os=ec2.OperatingSystemType.LINUX)


def _root_volume() -> ec2.BlockDevice:
    return ec2.BlockDevice(
        device_name="/dev/xvda",
        volume=ec2.BlockDeviceVolume.ebs(
            30, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3, delete_on_termination=True
        ),
    )
