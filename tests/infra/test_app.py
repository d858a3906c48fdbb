"""The whole app: every environment synthesizes offline, passes cdk-nag and cfn-lint."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from infra.assembly import select_environments, stack_names, with_overrides
from infra.environments import DEV, ENVIRONMENTS
from infra.synth import resource_counts
from tests.infra.conftest import ENV_NAMES, Synthesized
from tests.infra.templates import TemplateJson

STACKS = [name for env in ENVIRONMENTS.values() for name in stack_names(env)]
STATEFUL_TYPES = {
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::Route",
    "AWS::EC2::EIP",
    "AWS::EC2::NatGateway",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::FlowLog",
    "AWS::EC2::SecurityGroup",
    "AWS::Logs::LogGroup",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::SecretsManager::Secret",
    "AWS::ElastiCache::SubnetGroup",
    "AWS::ElastiCache::ParameterGroup",
    "AWS::ElastiCache::ReplicationGroup",
    "Custom::VpcRestrictDefaultSG",
    "AWS::Lambda::Function",
}
# Every cdk-nag acknowledgment (rule ids without their finding), per construct path; adding one
# means adding it here too, on purpose.
STATEFUL_ACKNOWLEDGMENTS = {
    "ApiKeys": {"AwsSolutions-SMG4"},
    "Cache/AuthToken": {"AwsSolutions-SMG4"},
}
SERVICE_ACKNOWLEDGMENTS = {
    "LoadBalancer/Alb": {"AwsSolutions-EC23"},
    "Deployment/Group": {"AwsSolutions-IAM4"},
    "Fleet/Role": {"AwsSolutions-IAM4", "AwsSolutions-IAM5"},
    "Fleet/DrainPolicy": {"AwsSolutions-IAM5"},
    "Rollout": {"AwsSolutions-IAM5"},
    "Rollout/Role": {"AwsSolutions-IAM5"},
    "Rollout/Provider": {"AwsSolutions-SF1", "AwsSolutions-SF2"},
}
SINGLE_NODE_CACHE = {"Cache/ReplicationGroup": {"AwsSolutions-AEC4"}}


def acknowledgments(synthesized: Synthesized, stack: str) -> dict[str, dict[str, str]]:
    """cdk-nag acknowledgments (rule -> reason) per construct path, from the stack metadata."""
    metadata = json.loads((synthesized.outdir / f"{stack}.metadata.json").read_text())
    found: dict[str, dict[str, str]] = {}
    for path, entries in metadata.items():
        for entry in entries:
            if entry["type"] == "aws:cdk:acknowledged-rules":
                rules = {k.removeprefix("Annotation::"): v for k, v in entry["data"].items()}
                found.setdefault(path.removeprefix(f"/{stack}/"), {}).update(rules)
    return found


def test_every_environment_has_its_stack_pair(synthesized: Synthesized) -> None:
    for stack in STACKS:
        assert synthesized.template_path(stack).is_file()


@pytest.mark.parametrize("env", ENV_NAMES)
def test_nag_acknowledgments_are_the_expected_ones_with_reasons(
    synthesized: Synthesized, env: str
) -> None:
    stateful, service = stack_names(ENVIRONMENTS[env])
    expected = {
        stateful: STATEFUL_ACKNOWLEDGMENTS
        | ({} if ENVIRONMENTS[env].multi_az else SINGLE_NODE_CACHE),
        service: SERVICE_ACKNOWLEDGMENTS,
    }
    for stack, wanted in expected.items():
        nag = {
            path: {
                rule: reason for rule, reason in rules.items() if rule.startswith("AwsSolutions")
            }
            for path, rules in acknowledgments(synthesized, stack).items()
        }
        nag = {path: rules for path, rules in nag.items() if rules}
        assert {path: {r.split("[")[0] for r in rules} for path, rules in nag.items()} == wanted
        assert all(len(reason) > 40 for rules in nag.values() for reason in rules.values())


def test_stateful_stacks_are_termination_protected(synthesized: Synthesized) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    for env in ENVIRONMENTS.values():
        stateful, service = stack_names(env)
        assert manifest["artifacts"][stateful]["properties"]["terminationProtection"] is True
        assert manifest["artifacts"][service]["properties"]["terminationProtection"] is False


@pytest.mark.parametrize("env", ENV_NAMES)
def test_stateful_stack_holds_only_network_cache_and_secrets(
    stateful_json: Callable[[str], TemplateJson], env: str
) -> None:
    types = {r["Type"] for r in stateful_json(env)["Resources"].values()}
    assert types <= STATEFUL_TYPES


def test_resource_counts_cover_every_stack(synthesized: Synthesized) -> None:
    counts = resource_counts(synthesized.outdir)
    assert set(counts) == set(STACKS)
    assert all(count > 20 for count in counts.values())


def test_env_context_selects_one_environment_or_all() -> None:
    assert select_environments("prod") == [ENVIRONMENTS["prod"]]
    assert select_environments(None) == list(ENVIRONMENTS.values())
    with pytest.raises(SystemExit):
        select_environments("qa")


def test_command_line_overrides_replace_only_known_fields() -> None:
    changed = with_overrides(DEV, {"alarm_email": "ops@example.com", "env": "x", "account": None})
    assert changed.alarm_email == "ops@example.com"
    assert changed.account is None
    assert with_overrides(DEV, {}) is DEV
