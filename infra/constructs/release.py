"""Release: the container image, the revision bucket and the current-release pointer.

The pointer is the SSM parameter release_parameter_name(env): the image (pinned by digest) that
the last validated deployment runs. CodeDeploy's ValidateService hook, the release CLI and the
rollout `cdk deploy` starts (Rollout) write it; it is not a CloudFormation resource, so no
template value ever overwrites it. `cdk deploy` builds the image and publishes it in the `built
image` parameter: what a brand-new environment boots, what the Rollout deploys when it changed,
and what `python -m infra.release` rolls out when given no --image.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.environments import (
    artifacts_parameter_name,
    built_image_parameter_name,
    release_parameter_name,
)

REVISIONS_PREFIX = "revisions/"


class Release(Construct):
    """What a deployment needs: where revisions go, which image runs, and the pointer to it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        image_directory: Path,
        access_logs_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.image = ecr_assets.DockerImageAsset(
            self,
            "Image",
            directory=str(image_directory),
            platform=ecr_assets.Platform.LINUX_AMD64,
        )
        self.bucket = self._revisions_bucket(access_logs_bucket)
        self.built_image = ssm.StringParameter(
            self,
            "BuiltImage",
            parameter_name=built_image_parameter_name(env_name),
            string_value=self.image.image_uri,
            description="DTQ image built by the last cdk deploy (input of python -m infra.release)",
        )
        self.artifacts_bucket_name = ssm.StringParameter(
            self,
            "ArtifactsBucket",
            parameter_name=artifacts_parameter_name(env_name),
            string_value=self.bucket.bucket_name,
            description="Bucket python -m infra.release uploads CodeDeploy revisions to",
        )
        self.pointer_name = release_parameter_name(env_name)

    def _revisions_bucket(self, access_logs_bucket: s3.IBucket) -> s3.Bucket:
        return s3.Bucket(
            self,
            "Revisions",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix="s3/revisions/",
            lifecycle_rules=[
                s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(30)),
                s3.LifecycleRule(expiration=cdk.Duration.days(365), prefix=REVISIONS_PREFIX),
            ],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def grant_instance(self, grantee: iam.IGrantable) -> None:
        """What an instance needs: pull the image, fetch revisions, read and move the pointer."""
        self.image.repository.grant_pull(grantee)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[self.bucket.arn_for_objects(f"{REVISIONS_PREFIX}*")],
            )
        )
        self.built_image.grant_read(grantee)
        stack = cdk.Stack.of(self)
        bucket_id = stack.resolve(stack.get_logical_id(self.bucket.node.default_child))
        cdk.Validations.of(grantee.grant_principal).acknowledge(
            cdk.Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{REVISIONS_PREFIX}*]",
                reason="Read-only access to CodeDeploy revision bundles, whose object keys are "
                "only known at release time.",
            )
        )
        pointer_arn = stack.format_arn(
            service="ssm", resource="parameter", resource_name=self.pointer_name.lstrip("/")
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ssm:GetParameter", "ssm:PutParameter"], resources=[pointer_arn]
            )
        )
