"""Fleet: IMDSv2-only private instances, no SSH, encrypted gp3, no desired size, user-data."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from infra.constructs.fleet import BOOT_HOOKS, HOOKS_DIR, HOOKS_LIB, compact, machine_image
from infra.environments import DEV, DRAIN_HOOK_NAME, ENVIRONMENTS, PROD
from tests.infra.conftest import ENV_NAMES
from tests.infra.templates import TOOLS_BIN, TemplateJson, heredocs, only, render_user_data

MAX_USER_DATA_BYTES = 16 * 1024  # EC2 refuses larger user-data (before base64)


@pytest.mark.parametrize("env", ENV_NAMES)
def test_launch_template_hardening(service_json: Callable[[str], TemplateJson], env: str) -> None:
    data = only(service_json(env), "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert data["MetadataOptions"] == {"HttpPutResponseHopLimit": 2, "HttpTokens": "required"}
    assert "KeyName" not in data
    assert data["InstanceType"] == ENVIRONMENTS[env].instance_type
    (device,) = data["BlockDeviceMappings"]
    assert device["Ebs"]["Encrypted"] is True
    assert device["Ebs"]["VolumeType"] == "gp3"


@pytest.mark.parametrize("env", ENV_NAMES)
def test_group_has_no_desired_size_and_uses_elb_health(
    service_json: Callable[[str], TemplateJson], env: str
) -> None:
    config = ENVIRONMENTS[env]
    group = only(service_json(env), "AWS::AutoScaling::AutoScalingGroup")
    assert "DesiredCapacity" not in group
    assert (group["MinSize"], group["MaxSize"]) == (
        str(config.capacity.min),
        str(config.capacity.max),
    )
    assert group["HealthCheckType"] == "ELB"
    assert group["HealthCheckGracePeriod"] == config.timeouts.health_check_grace_s
    assert all("appSubnet" in str(subnet) for subnet in group["VPCZoneIdentifier"])
    assert group["NotificationConfigurations"]


def test_instances_are_managed_through_session_manager(service: Callable[[str], Template]) -> None:
    service("prod").has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": Match.object_like(
                {"Statement": [Match.object_like({"Principal": {"Service": "ec2.amazonaws.com"}})]}
            ),
            "ManagedPolicyArns": [
                {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":iam::aws:policy/AmazonSSMManagedInstanceCore",
                        ],
                    ]
                }
            ],
        },
    )


def test_instance_role_has_no_wildcard_actions(service_json: Callable[[str], TemplateJson]) -> None:
    policies = [
        r["Properties"]
        for r in service_json("prod")["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and "FleetRole" in str(r["Properties"]["Roles"])
    ]
    assert len(policies) == 2  # the role's default policy and the drain's
    statements = [st for policy in policies for st in policy["PolicyDocument"]["Statement"]]
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all(not a.endswith(":*") and a != "*" for a in actions), statement
        if statement["Resource"] == "*":
            assert set(actions) <= {
                "ecr:GetAuthorizationToken",
                "ec2:DescribeTags",
                "cloudwatch:PutMetricData",
            }


def test_pinned_ami_is_used_as_is() -> None:
    stack = cdk.Stack(cdk.App(), "Ami", env=cdk.Environment(region=DEV.region))
    config = dataclasses.replace(DEV, ami_id="ami-0123456789abcdef0")
    assert machine_image(config).get_image(stack).image_id == "ami-0123456789abcdef0"


@pytest.mark.parametrize("env", ENV_NAMES)
def test_user_data_is_complete_small_and_shellcheck_clean(
    service_json: Callable[[str], TemplateJson], env: str, tmp_path: Path
) -> None:
    script = render_user_data(service_json(env))
    assert len(script.encode()) < MAX_USER_DATA_BYTES
    assert script.startswith("#!/bin/bash\nset -euo pipefail\n")
    files = heredocs(script)
    for name in BOOT_HOOKS:
        text = compact((HOOKS_DIR / name).read_text())
        assert files[f"/opt/dtq/hooks/{name}"] == text.rstrip("\n")
    assert set(files) >= {f"/etc/dtq/{n}.env" for n in ("dtq", "common", "api", "worker")}
    for package in ("docker", "amazon-cloudwatch-agent", "codedeploy-agent"):
        assert package in script
    path = tmp_path / "user-data.sh"
    path.write_text(script)
    (tmp_path / "revision" / "hooks").mkdir(parents=True)
    (tmp_path / "revision" / "hooks" / "lib.sh").write_text(HOOKS_LIB.read_text())
    result = subprocess.run(
        [str(TOOLS_BIN / "shellcheck"), "-x", "--shell=bash", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_instances_reach_their_secrets_through_arns_not_values(
    service_json: Callable[[str], TemplateJson],
) -> None:
    files = heredocs(render_user_data(service_json("prod")))
    assert "DTQ_REDIS_SECRET_ARN=TOKEN" in files["/etc/dtq/dtq.env"]
    assert "REDIS_PASSWORD" not in "".join(
        files[f"/etc/dtq/{n}.env"] for n in ("common", "api", "worker")
    )


@pytest.mark.parametrize(
    ("config", "cluster", "shards"), [(DEV, "false", "1"), (PROD, "true", "8")]
)
def test_runtime_settings_follow_the_cache_mode(config, cluster: str, shards: str) -> None:
    from infra.constructs.fleet import container_environment

    common = container_environment(config, "rediss://cache.example:6379/0")["common"]
    assert (common["REDIS_CLUSTER"], common["SHARDS"]) == (cluster, shards)
    assert common["WAIT_REPLICAS"] == str(config.wait_replicas)


@pytest.mark.parametrize("env", ENV_NAMES)
def test_scale_in_waits_for_the_instance_to_drain_itself(
    service_json: Callable[[str], TemplateJson], env: str
) -> None:
    template = service_json(env)
    hook = only(template, "AWS::AutoScaling::LifecycleHook")
    assert hook["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    assert hook["LifecycleHookName"] == DRAIN_HOOK_NAME
    assert hook["DefaultResult"] == "CONTINUE"  # a drain that hangs delays, never blocks, scale-in
    assert hook["HeartbeatTimeout"] == ENVIRONMENTS[env].timeouts.termination_wait_s
    assert "NotificationTargetARN" not in hook  # the instance watches IMDS itself
    script = render_user_data(template)
    assert "systemctl enable --now dtq-drain.timer" in script
    assert "ExecStart=/opt/dtq/hooks/drain_on_termination.sh" in script
    assert f"DTQ_DRAIN_HOOK={DRAIN_HOOK_NAME}" in heredocs(script)["/etc/dtq/dtq.env"]


def test_instances_may_complete_the_lifecycle_action_of_their_own_group_only(
    service_json: Callable[[str], TemplateJson],
) -> None:
    policies = [
        r["Properties"]
        for r in service_json("prod")["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        and "autoscaling:CompleteLifecycleAction" in str(r["Properties"]["PolicyDocument"])
    ]
    (policy,) = policies
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "autoscaling:CompleteLifecycleAction"
    arn = statement["Resource"]["Fn::Join"][1]
    assert arn[-2] == ":autoScalingGroup:*:autoScalingGroupName/"
    assert arn[-1]["Ref"].startswith("FleetGroupASG")
    assert [r["Ref"] for r in policy["Roles"]] == [
        k
        for k in service_json("prod")["Resources"]
        if k.startswith("FleetRole") and "Policy" not in k
    ]
