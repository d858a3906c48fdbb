"""The release CLI against moto: S3 upload, SSM pointer, ECR pinning, CodeDeploy deployment.

moto keeps a deployment "Created" forever (no agents run there); where a test needs the
deployment to end, the CLI's sleep callback plays the agents and moves moto's state on.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from infra.environments import (
    artifacts_parameter_name,
    built_image_parameter_name,
    codedeploy_names,
    release_parameter_name,
)
from infra.release import Watch, bundle, main, release
from infra.rollout.rollout import outcome
from tests.infra.conftest import create_deployment_group, moto_account

REGION = "eu-west-1"
ENV = "staging"
REPOSITORY = f"{DEFAULT_ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/dtq"
DIGEST_IMAGE = f"{REPOSITORY}@sha256:{'b' * 64}"


@pytest.fixture
def aws() -> Iterator[boto3.Session]:
    """A moto account with what `cdk deploy` leaves behind for the release CLI."""
    with moto_account(REGION) as session:
        s3 = session.client("s3")
        s3.create_bucket(
            Bucket="revisions", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        s3.put_bucket_versioning(Bucket="revisions", VersioningConfiguration={"Status": "Enabled"})
        ssm = session.client("ssm")
        ssm.put_parameter(Name=artifacts_parameter_name(ENV), Value="revisions", Type="String")
        create_deployment_group(session, ENV)
        yield session


def agents(
    session: boto3.Session, status: str, *, pointer: str | None = None
) -> Callable[[float], None]:
    """A sleep that ends every running deployment with `status` (and, like ValidateService on
    an instance that passed, may move the pointer first)."""

    def sleep(_: float) -> None:
        """Instead of waiting: the agents finish the deployments."""
        if pointer:
            session.client("ssm").put_parameter(
                Name=release_parameter_name(ENV), Value=pointer, Type="String", Overwrite=True
            )
        for deployment in get_backend("codedeploy")[DEFAULT_ACCOUNT_ID][
            REGION
        ].deployments.values():
            deployment.status = status

    return sleep


def pointer(session: boto3.Session) -> str:
    """The current-release pointer."""
    return session.client("ssm").get_parameter(Name=release_parameter_name(ENV))["Parameter"][
        "Value"
    ]


def test_bundle_holds_appspec_executable_hooks_and_the_image() -> None:
    data = bundle(DIGEST_IMAGE)
    assert bundle(DIGEST_IMAGE) == data  # deterministic: same input, same object key
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert {"appspec.yml", "hooks/lib.sh", "hooks/validate_service.sh", "release.env"} <= names
        assert archive.read("release.env").decode() == f"IMAGE={DIGEST_IMAGE}\n"
        mode = archive.getinfo("hooks/application_start.sh").external_attr >> 16
        assert mode & 0o111


def test_successful_release_uploads_deploys_and_moves_the_pointer(aws: boto3.Session) -> None:
    lines: list[str] = []
    outcome = release(
        aws, ENV, DIGEST_IMAGE, Watch(poll_s=0, sleep=agents(aws, "Succeeded"), out=lines.append)
    )
    assert outcome.succeeded and outcome.image == DIGEST_IMAGE
    assert pointer(aws) == DIGEST_IMAGE
    key = f"revisions/{ENV}/{hashlib.sha256(bundle(DIGEST_IMAGE)).hexdigest()}.zip"
    assert aws.client("s3").head_object(Bucket="revisions", Key=key)["ContentLength"] > 0
    info = aws.client("codedeploy").get_deployment(deploymentId=outcome.deployment_id)[
        "deploymentInfo"
    ]
    assert info["revision"]["s3Location"]["key"] == key
    assert info["deploymentGroupName"] == codedeploy_names(ENV)[1]
    assert lines[0].startswith(f"deployment {outcome.deployment_id}")
    assert lines[-1].startswith("Succeeded")


def test_failed_release_puts_the_previous_pointer_back(aws: boto3.Session) -> None:
    old = f"{REPOSITORY}@sha256:{'a' * 64}"
    aws.client("ssm").put_parameter(Name=release_parameter_name(ENV), Value=old, Type="String")
    watch = Watch(poll_s=0, sleep=agents(aws, "Failed", pointer=DIGEST_IMAGE), out=lambda _: None)
    outcome = release(aws, ENV, DIGEST_IMAGE, watch)
    assert outcome.status == "Failed"
    assert pointer(aws) == old


def backend_deployments() -> list[Any]:
    """moto's deployments, oldest first."""
    return list(get_backend("codedeploy")[DEFAULT_ACCOUNT_ID][REGION].deployments.values())


def test_every_instance_must_succeed() -> None:
    overview = {"Succeeded": 2, "Failed": 1}
    assert outcome({"status": "Succeeded", "deploymentOverview": overview}) == "Failed"
    assert outcome({"status": "Succeeded", "deploymentOverview": {"Succeeded": 3}}) == "Succeeded"
    assert outcome({"status": "Stopped", "deploymentOverview": overview}) == "Stopped"
    assert outcome({"status": "InProgress"}) == "InProgress"


def test_a_failed_last_instance_fails_the_release_and_the_previous_image_is_redeployed(
    aws: boto3.Session,
) -> None:
    """OneAtATime calls a deployment whose last instance failed a success; the release does not."""
    old = f"{REPOSITORY}@sha256:{'a' * 64}"
    aws.client("ssm").put_parameter(Name=release_parameter_name(ENV), Value=old, Type="String")
    new_key = hashlib.sha256(bundle(DIGEST_IMAGE)).hexdigest()

    def sleep(_: float) -> None:
        """The agents: every deployment ends Succeeded; the new image's lost its last instance."""
        for deployment in backend_deployments():
            deployment.status = "Succeeded"
            if new_key in deployment.revision["s3Location"]["key"]:
                deployment.deployment_overview.update(Succeeded=2, Failed=1)

    lines: list[str] = []
    outcome_ = release(aws, ENV, DIGEST_IMAGE, Watch(poll_s=0, sleep=sleep, out=lines.append))
    assert outcome_.status == "Failed" and not outcome_.succeeded
    assert pointer(aws) == old
    keys = [d.revision["s3Location"]["key"] for d in backend_deployments()]
    old_key = hashlib.sha256(bundle(old)).hexdigest()
    assert [new_key in keys[0], old_key in keys[1], len(keys)] == [True, True, 2]
    assert any("1 instance(s) failed although CodeDeploy reports Succeeded" in x for x in lines)


def test_a_tag_is_pinned_to_its_digest_through_ecr(aws: boto3.Session) -> None:
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName="dtq", imageTagMutability="IMMUTABLE")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {},
            "layers": [],
        }
    )
    pushed = ecr.put_image(repositoryName="dtq", imageManifest=manifest, imageTag="abc123")
    digest = pushed["image"]["imageId"]["imageDigest"]
    aws.client("ssm").put_parameter(
        Name=built_image_parameter_name(ENV), Value=f"{REPOSITORY}:abc123", Type="String"
    )
    outcome = release(
        aws, ENV, None, Watch(poll_s=0, sleep=agents(aws, "Succeeded"), out=lambda _: None)
    )
    assert outcome.image == f"{REPOSITORY}@{digest}"
    assert pointer(aws) == outcome.image


def test_an_unfinished_deployment_leaves_the_pointer_alone(aws: boto3.Session) -> None:
    outcome = release(aws, ENV, DIGEST_IMAGE, Watch(poll_s=0, timeout_s=0, out=lambda _: None))
    assert outcome.status == "Created"
    with pytest.raises(aws.client("ssm").exceptions.ParameterNotFound):
        pointer(aws)


def test_cli_exits_non_zero_without_an_image_to_release(aws: boto3.Session) -> None:
    with pytest.raises(SystemExit, match="no built image"):
        main(["--env", ENV])
