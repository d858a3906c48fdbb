"""`python -m infra.release --env <name> [--image <ref>]`: roll a new version out with CodeDeploy.

Bundles infra/revision/ plus release.env (IMAGE=<repo>@sha256:...) into a zip, uploads it to the
environment's artifacts bucket, starts a deployment and prints per-instance progress until it
succeeds or rolls back. Every instance must succeed: a deployment CodeDeploy reports Succeeded
although an instance failed (OneAtATime forgives the last one) is rolled back by redeploying the
previous release. On success the current-release pointer holds the new image; on failure it is
put back to what it was. Without --image it releases what the last `cdk deploy` built (which
`cdk deploy` itself rolls out when the image changed).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from infra.environments import (
    ENVIRONMENTS,
    artifacts_parameter_name,
    built_image_parameter_name,
    codedeploy_names,
    release_parameter_name,
)
from infra.rollout.rollout import build_bundle, outcome, read_parameter
from infra.rollout.rollout import pin_image as pin

REVISION_DIR = Path(__file__).resolve().parent / "revision"
TERMINAL = {"Succeeded", "Failed", "Stopped"}


@dataclass(frozen=True)
class Outcome:
    """How a release ended."""

    deployment_id: str
    status: str
    image: str

    @property
    def succeeded(self) -> bool:
        """Whether the new image now runs everywhere."""
        return self.status == "Succeeded"


def pin_image(session: boto3.Session, image: str) -> str:
    """`image` pinned by digest: repo@sha256:...; a tag is resolved through ECR."""
    if "@sha256:" in image:
        return image
    repository_uri, _, tag = image.rpartition(":")
    if not repository_uri or "/" in tag:
        raise ValueError(f"{image!r} has neither a digest nor a tag")
    return pin(session.client("ecr"), image)


def revision_files(revision_dir: Path = REVISION_DIR) -> dict[str, bytes]:
    """The files of the revision directory by relative path (what `cdk deploy` uploads too)."""
    files = (p for p in revision_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return {p.relative_to(revision_dir).as_posix(): p.read_bytes() for p in files}


def bundle(image: str, revision_dir: Path = REVISION_DIR) -> bytes:
    """The CodeDeploy revision: appspec.yml, hooks/ (executable) and release.env."""
    return build_bundle(revision_files(revision_dir), image)


def upload(session: boto3.Session, env_name: str, data: bytes) -> dict[str, str]:
    """Put the bundle in the artifacts bucket; returns CodeDeploy's S3 location."""
    bucket = read_parameter(session.client("ssm"), artifacts_parameter_name(env_name))
    if bucket is None:
        raise SystemExit(f"no artifacts bucket for {env_name}: run `cdk deploy -c env={env_name}`")
    key = f"revisions/{env_name}/{hashlib.sha256(data).hexdigest()}.zip"
    put = session.client("s3").put_object(Bucket=bucket, Key=key, Body=data)
    location = {"bucket": bucket, "key": key, "bundleType": "zip", "eTag": put["ETag"].strip('"')}
    if put.get("VersionId"):
        location["version"] = put["VersionId"]
    return location


def start_deployment(
    session: boto3.Session, env_name: str, location: dict[str, str], image: str
) -> str:
    """Create the CodeDeploy deployment of the uploaded revision; returns its id."""
    application, group = codedeploy_names(env_name)
    created = session.client("codedeploy").create_deployment(
        applicationName=application,
        deploymentGroupName=group,
        revision={"revisionType": "S3", "s3Location": location},
        description=f"DTQ {image}"[:100],
        fileExistsBehavior="OVERWRITE",
    )
    return str(created["deploymentId"])


def describe_progress(deployment: dict[str, Any], instances: list[dict[str, Any]]) -> str:
    """One progress line: overall status, per-state counts, then each instance's state."""
    overview = deployment.get("deploymentOverview", {})
    counts = " ".join(f"{state}={n}" for state, n in overview.items() if n)
    per_instance = " ".join(f"{i['id']}:{i['status']}" for i in instances)
    return " | ".join(part for part in (deployment["status"], counts, per_instance) if part)


def instance_states(codedeploy: Any, deployment_id: str) -> list[dict[str, Any]]:
    """Each target instance and its lifecycle status (empty where the API offers none)."""
    try:
        ids = codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
        if not ids:
            return []
        targets = codedeploy.batch_get_deployment_targets(
            deploymentId=deployment_id, targetIds=ids
        )["deploymentTargets"]
    except (NotImplementedError, codedeploy.exceptions.ClientError):
        return []
    return [
        {"id": t["instanceTarget"]["targetId"], "status": t["instanceTarget"]["status"]}
        for t in targets
        if "instanceTarget" in t
    ]


@dataclass(frozen=True)
class Watch:
    """How to follow a deployment: poll interval, give-up time, and where progress goes."""

    poll_s: float = 10.0
    timeout_s: float = 3600.0
    sleep: Callable[[float], None] = time.sleep
    out: Callable[[str], None] = print


def wait(session: boto3.Session, deployment_id: str, watch: Watch) -> dict[str, Any]:
    """Poll until the deployment ends (or the watch times out); returns its last description."""
    codedeploy = session.client("codedeploy")
    deadline = time.monotonic() + watch.timeout_s
    last = ""
    while True:
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        line = describe_progress(info, instance_states(codedeploy, deployment_id))
        if line != last:
            watch.out(line)
            last = line
        if info["status"] in TERMINAL or time.monotonic() >= deadline:
            return dict(info)
        watch.sleep(watch.poll_s)


def follow_rollback(session: boto3.Session, deployment_id: str, watch: Watch) -> None:
    """Show CodeDeploy's automatic rollback of a failed deployment until it ends."""
    info = session.client("codedeploy").get_deployment(deploymentId=deployment_id)
    rollback_id = info["deploymentInfo"].get("rollbackInfo", {}).get("rollbackDeploymentId")
    if rollback_id:
        watch.out(f"rolling back with deployment {rollback_id}")
        wait(session, rollback_id, watch)


def deploy(session: boto3.Session, env_name: str, image: str, watch: Watch) -> dict[str, Any]:
    """Bundle, upload and deploy `image`; follow the deployment until it ends."""
    location = upload(session, env_name, bundle(image))
    deployment_id = start_deployment(session, env_name, location, image)
    watch.out(f"deployment {deployment_id}: {image} to {env_name}")
    return wait(session, deployment_id, watch)


def release(
    session: boto3.Session, env_name: str, image: str | None, watch: Watch | None = None
) -> Outcome:
    """The whole release: pin, bundle, upload, deploy, wait, then move or restore the pointer."""
    watch = watch or Watch()
    ssm = session.client("ssm")
    pointer = release_parameter_name(env_name)
    image = image or read_parameter(ssm, built_image_parameter_name(env_name))
    if image is None:
        raise SystemExit(f"no built image for {env_name}: pass --image")
    pinned = pin_image(session, image)
    previous = read_parameter(ssm, pointer)
    info = deploy(session, env_name, pinned, watch)
    status = outcome(info)
    if info["status"] in TERMINAL - {"Succeeded"}:
        follow_rollback(session, info["deploymentId"], watch)
    elif status == "Failed":
        # CodeDeploy forgave a failed last instance; the release does not: put the previous one
        # back everywhere, as CodeDeploy's own rollback would have done.
        failed = info["deploymentOverview"]["Failed"]
        watch.out(f"{failed} instance(s) failed although CodeDeploy reports Succeeded")
        if previous is not None:
            watch.out(f"rolling back: redeploying {previous}")
            deploy(session, env_name, previous, watch)
    if status == "Succeeded":
        ssm.put_parameter(Name=pointer, Value=pinned, Type="String", Overwrite=True)
    elif previous is not None and info["status"] in TERMINAL:
        ssm.put_parameter(Name=pointer, Value=previous, Type="String", Overwrite=True)
    return Outcome(info["deploymentId"], status, pinned)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; exit status 0 only when the deployment succeeded."""
    parser = argparse.ArgumentParser(prog="python -m infra.release", description=__doc__)
    parser.add_argument("--env", required=True, choices=sorted(ENVIRONMENTS))
    parser.add_argument("--image", help="repo@sha256:... or repo:tag (default: last built)")
    parser.add_argument("--poll-s", type=float, default=10.0)
    parser.add_argument("--timeout-s", type=float, default=3600.0)
    args = parser.parse_args(argv)
    session = boto3.Session(region_name=ENVIRONMENTS[args.env].region)
    watch = Watch(poll_s=args.poll_s, timeout_s=args.timeout_s)
    outcome = release(session, args.env, args.image, watch)
    print(f"{outcome.status}: {outcome.image} ({outcome.deployment_id})")
    return 0 if outcome.succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
