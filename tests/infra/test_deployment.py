"""Deployment: CodeDeploy one instance (or zone) at a time, traffic control, alarm rollback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from aws_cdk.assertions import Match, Template

from infra.environments import ENVIRONMENTS
from tests.infra.conftest import ENV_NAMES
from tests.infra.templates import TemplateJson, only

REVISION = Path(__file__).resolve().parents[2] / "infra" / "revision"
HOOKS = ("ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService")


@pytest.mark.parametrize("env", ENV_NAMES)
def test_group_rolls_with_traffic_control_and_rolls_back(
    service: Callable[[str], Template], env: str
) -> None:
    service(env).has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {
            "DeploymentGroupName": f"dtq-{env}-fleet",
            "DeploymentStyle": {"DeploymentOption": "WITH_TRAFFIC_CONTROL"},
            "AutoScalingGroups": [{"Ref": Match.string_like_regexp("^FleetGroup")}],
            "LoadBalancerInfo": {"TargetGroupInfoList": [Match.any_value()]},
            "TerminationHookEnabled": True,
            "AutoRollbackConfiguration": {
                "Enabled": True,
                "Events": Match.array_with(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]),
            },
            "AlarmConfiguration": {"Enabled": True, "Alarms": Match.any_value()},
        },
    )


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_one_instance_at_a_time(service_json: Callable[[str], TemplateJson], env: str) -> None:
    group = only(service_json(env), "AWS::CodeDeploy::DeploymentGroup")
    assert group["DeploymentConfigName"] == "CodeDeployDefault.OneAtATime"


def test_prod_deploys_zone_by_zone(service: Callable[[str], Template]) -> None:
    service("prod").has_resource_properties(
        "AWS::CodeDeploy::DeploymentConfig",
        {
            "MinimumHealthyHosts": {"Type": "FLEET_PERCENT", "Value": 66},
            "ZonalConfig": Match.object_like({"MonitorDurationInSeconds": 300}),
        },
    )
    assert ENVIRONMENTS["prod"].zone_by_zone_deploys


def test_rollback_alarms_are_target_5xx_and_unhealthy_hosts(
    service_json: Callable[[str], TemplateJson],
) -> None:
    alarms = only(service_json("prod"), "AWS::CodeDeploy::DeploymentGroup")["AlarmConfiguration"]
    names = sorted(a["Name"]["Ref"] for a in alarms["Alarms"])
    assert [n.removeprefix("Monitoring")[:9] for n in names] == ["Target5xx", "Unhealthy"]


def test_appspec_runs_every_hook_as_root_from_the_revision() -> None:
    appspec = yaml.safe_load((REVISION / "appspec.yml").read_text())
    assert appspec["os"] == "linux"
    assert set(appspec["hooks"]) == set(HOOKS)
    for hook in HOOKS:
        (step,) = appspec["hooks"][hook]
        script = REVISION / step["location"]
        assert script.is_file() and script.stat().st_mode & 0o111, script
        assert step["runas"] == "root"
