"""The CodeDeploy revision bundle and the success rule, shared by `python -m infra.release` and
the rollout `cdk deploy` starts.

This module is also the code of the rollout's Lambda function (infra/constructs/rollout.py), so
it imports nothing but the standard library and boto3.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping
from typing import Any

import boto3

_ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same input gives the same bundle


def build_bundle(files: Mapping[str, bytes], image: str) -> bytes:
    """The CodeDeploy revision: the revision directory's files (appspec.yml, hooks/*.sh made
    executable) plus release.env naming the image, as a zip that depends on nothing else."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            if name != "release.env":
                _add(archive, name, files[name])
        _add(archive, "release.env", f"IMAGE={image}\n".encode())
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.external_attr = (0o755 if name.endswith(".sh") else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def outcome(deployment: Mapping[str, Any]) -> str:
    """CodeDeploy's status of a deployment, made strict: every instance must succeed.

    CodeDeployDefault.OneAtATime (and any minimum-healthy-hosts rule that takes one instance out
    at a time) reports Succeeded when the LAST instance failed; that counts as Failed here, and
    whoever started the deployment rolls the release back.
    """
    status = str(deployment["status"])
    failed = int(deployment.get("deploymentOverview", {}).get("Failed", 0))
    return "Failed" if status == "Succeeded" and failed else status


# --- the rollout `cdk deploy` starts: a CloudFormation custom resource (Provider framework) ----
#
# Properties (infra/constructs/rollout.py): Image (the image asset, repo:<asset hash>),
# RevisionBucket/RevisionKey (infra/revision as a zip asset), ArtifactsBucket, Prefix (object
# key prefix there), Application, DeploymentGroup, Pointer (SSM parameter of the current
# release). CloudFormation calls on_event only when one of them changed: a new image or new
# hooks mean a new deployment; an unchanged stack starts none.

TERMINAL = {"Succeeded", "Failed", "Stopped"}
NONE = "none"  # Data value for "no deployment" / "no previous release"


def pin_image(ecr: Any, image: str) -> str:
    """repo:tag as repo@sha256:... (the image asset's repository is immutable, but the release
    pointer always names a digest)."""
    if "@sha256:" in image:
        return image
    repository_uri, _, tag = image.rpartition(":")
    registry, _, repository = repository_uri.partition("/")
    found = ecr.describe_images(
        registryId=registry.split(".")[0], repositoryName=repository, imageIds=[{"imageTag": tag}]
    )
    return f"{repository_uri}@{found['imageDetails'][0]['imageDigest']}"


def read_zip(data: bytes) -> dict[str, bytes]:
    """The files of a zip by name (directories left out)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}


def read_parameter(ssm: Any, name: str) -> str | None:
    """An SSM parameter's value, or None when it does not exist yet."""
    try:
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def last_succeeded_key(codedeploy: Any, application: str, group: str) -> str | None:
    """The S3 key of the revision the group's last successful deployment deployed."""
    info = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=group)
    last = info["deploymentGroupInfo"].get("lastSuccessfulDeployment", {}).get("deploymentId")
    if not last:
        return None
    deployment = codedeploy.get_deployment(deploymentId=last)["deploymentInfo"]
    return deployment.get("revision", {}).get("s3Location", {}).get("key")


def on_event(
    event: Mapping[str, Any], context: object = None, session: Any = None
) -> dict[str, Any]:
    """Create/Update: pin the image, bundle the revision with it and start a deployment, unless
    the group's last successful deployment is that very bundle, or the environment is brand new
    (no release pointer yet: its instances boot this image; only the pointer is written).
    Delete: nothing (a deployment is not undone by deleting the stack)."""
    physical_id = f"{event['ResourceProperties']['DeploymentGroup']}-rollout"
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event.get("PhysicalResourceId", physical_id)}
    props = event["ResourceProperties"]
    session = session or _session()
    ssm, codedeploy = session.client("ssm"), session.client("codedeploy")
    image = pin_image(session.client("ecr"), props["Image"])
    previous = read_parameter(ssm, props["Pointer"])
    # no empty values: DeploymentId ends up in a stack output, which may not be empty
    data = {"Image": image, "Previous": previous or NONE, "DeploymentId": NONE}
    if event["RequestType"] == "Create" and previous is None:
        ssm.put_parameter(Name=props["Pointer"], Value=image, Type="String", Overwrite=True)
        return {"PhysicalResourceId": physical_id, "Data": data}
    s3 = session.client("s3")
    revision = s3.get_object(Bucket=props["RevisionBucket"], Key=props["RevisionKey"])
    bundle = build_bundle(read_zip(revision["Body"].read()), image)
    key = f"{props['Prefix']}{hashlib.sha256(bundle).hexdigest()}.zip"
    if last_succeeded_key(codedeploy, props["Application"], props["DeploymentGroup"]) == key:
        return {"PhysicalResourceId": physical_id, "Data": data}  # already what runs
    put = s3.put_object(Bucket=props["ArtifactsBucket"], Key=key, Body=bundle)
    location = {"bucket": props["ArtifactsBucket"], "key": key, "bundleType": "zip"}
    location["eTag"] = put["ETag"].strip('"')
    if put.get("VersionId"):
        location["version"] = put["VersionId"]
    created = codedeploy.create_deployment(
        applicationName=props["Application"],
        deploymentGroupName=props["DeploymentGroup"],
        revision={"revisionType": "S3", "s3Location": location},
        description=f"DTQ rollout by cdk deploy: {image}"[:100],
        fileExistsBehavior="OVERWRITE",
    )
    data["DeploymentId"] = str(created["deploymentId"])
    return {"PhysicalResourceId": physical_id, "Data": data}


def is_complete(
    event: Mapping[str, Any], context: object = None, session: Any = None
) -> dict[str, Any]:
    """Done when the deployment on_event started ended: Succeeded with every instance moves the
    pointer to the image; anything else puts the previous one back, waits for CodeDeploy's own
    rollback to end, and fails, so CloudFormation rolls the stack back too."""
    data = event.get("Data") or {}
    if event["RequestType"] == "Delete" or data.get("DeploymentId", NONE) == NONE:
        return {"IsComplete": True}
    session = session or _session()
    codedeploy, ssm = session.client("codedeploy"), session.client("ssm")
    info = codedeploy.get_deployment(deploymentId=data["DeploymentId"])["deploymentInfo"]
    if info["status"] not in TERMINAL:
        return {"IsComplete": False}
    pointer = event["ResourceProperties"]["Pointer"]
    status = outcome(info)
    if status == "Succeeded":
        ssm.put_parameter(Name=pointer, Value=data["Image"], Type="String", Overwrite=True)
        return {"IsComplete": True}
    rollback = info.get("rollbackInfo", {}).get("rollbackDeploymentId")
    if rollback:
        ended = codedeploy.get_deployment(deploymentId=rollback)["deploymentInfo"]["status"]
        if ended not in TERMINAL:
            return {"IsComplete": False}  # CodeDeploy still puts the previous revision back
    previous = data.get("Previous", NONE)
    if previous != NONE:
        ssm.put_parameter(Name=pointer, Value=previous, Type="String", Overwrite=True)
    failed = info.get("deploymentOverview", {}).get("Failed", 0)
    raise RuntimeError(
        f"deployment {data['DeploymentId']} of {data['Image']}: {info['status']} "
        f"({failed} instance(s) failed); the release pointer is back at {previous}"
    )


def _session() -> Any:
    return boto3.Session()
