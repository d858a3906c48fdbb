"""`cdk deploy` rolls a changed image out: the custom resource in the templates, and its handler
(infra/rollout/rollout.py) against moto.

moto has no agents and leaves lastSuccessfulDeployment and rollbackInfo empty; tests move a
deployment's status on themselves and add those two fields through a thin client wrapper.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from infra.environments import ENVIRONMENTS, codedeploy_names, release_parameter_name
from infra.release import bundle, revision_files
from infra.rollout.rollout import is_complete, on_event, read_zip
from tests.infra.conftest import ENV_NAMES, Synthesized, create_deployment_group, moto_account
from tests.infra.templates import TemplateJson, only, resources_of

REGION = "eu-west-1"
ENV = "staging"
REPOSITORY = f"{DEFAULT_ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/cdk-assets"
OLD = f"{REPOSITORY}@sha256:{'a' * 64}"


@pytest.fixture
def aws() -> Iterator[boto3.Session]:
    """What `cdk deploy` leaves for the handler: the pushed image, the revision asset, the
    artifacts bucket and the CodeDeploy group."""
    with moto_account(REGION) as session:
        session.client("ecr").create_repository(repositoryName="cdk-assets")
        s3 = session.client("s3")
        for bucket in ("assets", "revisions"):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        s3.put_bucket_versioning(Bucket="revisions", VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="assets", Key="revision.zip", Body=asset_zip())
        create_deployment_group(session, ENV)
        yield session


def asset_zip() -> bytes:
    """infra/revision zipped the way the CDK stages a directory asset (any order, any dates)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(revision_files().items(), reverse=True):
            archive.writestr(name, data)
    return buffer.getvalue()


def push_image(session: boto3.Session, tag: str) -> str:
    """Push an image with `tag`; returns its digest-pinned reference."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"digest": f"sha256:{hashlib.sha256(tag.encode()).hexdigest()}"},
        "layers": [],
    }
    pushed = session.client("ecr").put_image(
        repositoryName="cdk-assets", imageManifest=json.dumps(manifest), imageTag=tag
    )
    return f"{REPOSITORY}@{pushed['image']['imageId']['imageDigest']}"


def event(request: str, tag: str, **extra: Any) -> dict[str, Any]:
    """A CloudFormation request as the provider framework hands it to the handlers."""
    application, group = codedeploy_names(ENV)
    props = {
        "Image": f"{REPOSITORY}:{tag}",
        "RevisionBucket": "assets",
        "RevisionKey": "revision.zip",
        "ArtifactsBucket": "revisions",
        "Prefix": f"revisions/{ENV}/",
        "Application": application,
        "DeploymentGroup": group,
        "Pointer": release_parameter_name(ENV),
    }
    return {"RequestType": request, "ResourceProperties": props, **extra}


def pointer(session: boto3.Session) -> str:
    """The current-release pointer."""
    parameter = session.client("ssm").get_parameter(Name=release_parameter_name(ENV))
    return str(parameter["Parameter"]["Value"])


def deployments() -> list[Any]:
    """moto's deployments, oldest first."""
    return list(get_backend("codedeploy")[DEFAULT_ACCOUNT_ID][REGION].deployments.values())


class Reporting:
    """A session whose CodeDeploy client also reports what moto leaves out."""

    def __init__(self, session: boto3.Session, **reports: Any) -> None:
        self.session, self.reports = session, reports

    def client(self, name: str) -> Any:
        """The real (moto) client, with CodeDeploy's answers completed."""
        client = self.session.client(name)
        return _Completed(client, self.reports) if name == "codedeploy" else client


class _Completed:
    def __init__(self, client: Any, reports: dict[str, Any]) -> None:
        self._client, self._reports = client, reports

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_deployment_group(self, **kwargs: Any) -> Any:
        answer = self._client.get_deployment_group(**kwargs)
        last = self._reports.get("last_succeeded")
        answer["deploymentGroupInfo"]["lastSuccessfulDeployment"] = {"deploymentId": last}
        return answer

    def get_deployment(self, **kwargs: Any) -> Any:
        answer = self._client.get_deployment(**kwargs)
        rollback = self._reports.get("rollback")
        if rollback and kwargs["deploymentId"] != rollback:
            answer["deploymentInfo"]["rollbackInfo"] = {"rollbackDeploymentId": rollback}
        return answer


def set_old_pointer(session: boto3.Session) -> None:
    """An environment that has released before."""
    session.client("ssm").put_parameter(Name=release_parameter_name(ENV), Value=OLD, Type="String")


def test_a_new_environment_only_gets_its_pointer(aws: boto3.Session) -> None:
    pinned = push_image(aws, "v1")
    answer = on_event(event("Create", "v1"), session=aws)
    assert answer["Data"]["DeploymentId"] == "none"  # its instances boot this very image
    assert deployments() == []
    assert pointer(aws) == pinned  # pinned by digest from now on, not the built-image fallback
    assert is_complete({**event("Create", "v1"), **answer}, session=aws) == {"IsComplete": True}


def test_a_changed_image_is_deployed_with_the_bundle_the_release_cli_would_make(
    aws: boto3.Session,
) -> None:
    set_old_pointer(aws)
    pinned = push_image(aws, "v2")
    answer = on_event(event("Update", "v2"), session=aws)
    assert answer["Data"] == {"Image": pinned, "Previous": OLD, "DeploymentId": ANY_ID}
    (deployment,) = deployments()
    location = deployment.revision["s3Location"]
    uploaded = aws.client("s3").get_object(Bucket="revisions", Key=location["key"])["Body"].read()
    assert uploaded == bundle(pinned)  # same bytes, same key: both paths share revisions
    assert location["key"] == f"revisions/{ENV}/{hashlib.sha256(uploaded).hexdigest()}.zip"
    assert read_zip(uploaded)["release.env"] == f"IMAGE={pinned}\n".encode()
    assert deployment.deployment_group_name == codedeploy_names(ENV)[1]
    assert pointer(aws) == OLD  # moved only once the deployment succeeded


class _AnyId(str):
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and len(other) > 8

    __hash__ = str.__hash__


ANY_ID = _AnyId()


def test_what_already_runs_is_not_deployed_again(aws: boto3.Session) -> None:
    set_old_pointer(aws)
    push_image(aws, "v2")
    first = on_event(event("Update", "v2"), session=aws)["Data"]["DeploymentId"]
    deployments()[0].status = "Succeeded"
    # e.g. CloudFormation rolling back to properties whose bundle CodeDeploy already put back
    answer = on_event(event("Update", "v2"), session=Reporting(aws, last_succeeded=first))
    assert answer["Data"]["DeploymentId"] == "none"
    assert len(deployments()) == 1


def test_a_successful_deployment_moves_the_pointer(aws: boto3.Session) -> None:
    set_old_pointer(aws)
    pinned = push_image(aws, "v2")
    request = {**event("Update", "v2"), **on_event(event("Update", "v2"), session=aws)}
    assert is_complete(request, session=aws) == {"IsComplete": False}
    deployments()[0].status = "Succeeded"
    assert is_complete(request, session=aws) == {"IsComplete": True}
    assert pointer(aws) == pinned


def test_a_failed_last_instance_fails_the_stack_update_and_restores_the_pointer(
    aws: boto3.Session,
) -> None:
    set_old_pointer(aws)
    pinned = push_image(aws, "v2")
    request = {**event("Update", "v2"), **on_event(event("Update", "v2"), session=aws)}
    aws.client("ssm").put_parameter(  # the instances that validated moved it meanwhile
        Name=release_parameter_name(ENV), Value=pinned, Type="String", Overwrite=True
    )
    (deployment,) = deployments()
    deployment.status = "Succeeded"  # OneAtATime's verdict
    deployment.deployment_overview.update(Succeeded=2, Failed=1)
    with pytest.raises(RuntimeError, match="Succeeded \\(1 instance\\(s\\) failed\\)"):
        is_complete(request, session=aws)
    assert pointer(aws) == OLD


def test_a_failed_deployment_waits_for_codedeploys_rollback_then_fails(
    aws: boto3.Session,
) -> None:
    set_old_pointer(aws)
    push_image(aws, "v2")
    request = {**event("Update", "v2"), **on_event(event("Update", "v2"), session=aws)}
    # CodeDeploy's automatic rollback: a deployment of the previous revision
    application, group = codedeploy_names(ENV)
    rollback = aws.client("codedeploy").create_deployment(
        applicationName=application,
        deploymentGroupName=group,
        revision={"revisionType": "S3", "s3Location": {"bucket": "revisions", "key": "old.zip"}},
    )["deploymentId"]
    failed, rolling_back = deployments()
    failed.status, rolling_back.status = "Failed", "InProgress"
    watching = Reporting(aws, rollback=rollback)
    assert is_complete(request, session=watching) == {"IsComplete": False}
    rolling_back.status = "Succeeded"
    with pytest.raises(RuntimeError, match="Failed"):
        is_complete(request, session=watching)
    assert pointer(aws) == OLD


def test_deleting_the_stack_deploys_nothing(aws: boto3.Session) -> None:
    request = event("Delete", "v2", PhysicalResourceId="dtq-staging-fleet-rollout")
    assert on_event(request, session=aws) == {"PhysicalResourceId": "dtq-staging-fleet-rollout"}
    assert is_complete(request, session=aws) == {"IsComplete": True}
    assert deployments() == []


# --- the templates ------------------------------------------------------------------------


def rollout_of(template: TemplateJson) -> dict[str, Any]:
    """The Custom::DtqRollout resource's properties."""
    return only(template, "Custom::DtqRollout")


@pytest.mark.parametrize("env", ENV_NAMES)
def test_cdk_deploy_rolls_out_the_built_image_and_the_revision_asset(
    service_json: Callable[[str], TemplateJson], synthesized: Synthesized, env: str
) -> None:
    template = service_json(env)
    props = rollout_of(template)
    built = [
        p["Value"]
        for p in resources_of(template, "AWS::SSM::Parameter")
        if p["Name"] == f"/dtq/{env}/release/built-image"
    ]
    assert props["Image"] == built[0]  # repo:<content hash>: changes exactly with the image
    assert props["Pointer"] == release_parameter_name(env)
    assert props["Prefix"] == f"revisions/{env}/"
    assert props["DeploymentGroup"]["Ref"].startswith("DeploymentGroup")
    # the revision asset is infra/revision as it is: the bundle equals the release CLI's
    staged = synthesized.outdir / f"asset.{props['RevisionKey'].removesuffix('.zip')}"
    files = {
        p.relative_to(staged).as_posix(): p.read_bytes() for p in staged.rglob("*") if p.is_file()
    }
    assert files == revision_files()


def test_handlers_are_python_with_the_shared_module(
    service_json: Callable[[str], TemplateJson], synthesized: Synthesized
) -> None:
    functions = resources_of(service_json("prod"), "AWS::Lambda::Function")
    handlers = {f["Handler"]: f for f in functions if f["Runtime"].startswith("python")}
    assert set(handlers) == {"rollout.on_event", "rollout.is_complete"}
    key = handlers["rollout.on_event"]["Code"]["S3Key"].removesuffix(".zip")
    staged = Path(synthesized.outdir / f"asset.{key}")
    assert sorted(p.name for p in staged.iterdir()) == ["__init__.py", "rollout.py"]


def test_rollout_role_names_every_resource(service_json: Callable[[str], TemplateJson]) -> None:
    template = service_json("prod")
    (policy,) = [
        r["Properties"]
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Policy" and k.startswith("RolloutRoleDefaultPolicy")
    ]
    actions: set[str] = set()
    for statement in policy["PolicyDocument"]["Statement"]:
        listed = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        actions |= set(listed)
        resources = statement["Resource"]
        assert resources != "*" and "*" not in (resources if isinstance(resources, list) else [])
    assert actions == {
        "ecr:DescribeImages",
        "s3:GetObject",
        "s3:PutObject",
        "codedeploy:CreateDeployment",
        "codedeploy:GetDeployment",
        "codedeploy:GetDeploymentGroup",
        "codedeploy:GetDeploymentConfig",
        "codedeploy:GetApplicationRevision",
        "codedeploy:RegisterApplicationRevision",
        "ssm:GetParameter",
        "ssm:PutParameter",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


def test_the_waiter_gives_up_before_cloudformation_does(
    service_json: Callable[[str], TemplateJson],
) -> None:
    (machine,) = resources_of(service_json("prod"), "AWS::StepFunctions::StateMachine")
    parts = machine["DefinitionString"]["Fn::Join"][1]
    definition = json.loads("".join(p if isinstance(p, str) else "ARN" for p in parts))
    (retry,) = definition["States"][definition["StartAt"]]["Retry"]
    waited_s = retry["IntervalSeconds"] * retry["MaxAttempts"]
    assert 30 * 60 <= waited_s < 3600  # CloudFormation's custom resource limit is one hour
    assert ENVIRONMENTS["prod"].zone_by_zone_deploys
