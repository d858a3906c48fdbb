"""Rollout: `cdk deploy` rolls a changed image (or changed hooks) out with CodeDeploy.

A custom resource whose properties are the image asset (repo:<content hash>) and the revision
directory as a zip asset: CloudFormation calls it only when one of them changed, so an unchanged
stack starts no deployment. Its handler (infra/rollout/rollout.py, the code `python -m
infra.release` uses too) pins the image by digest, bundles the revision with it, starts the
deployment and waits for it (Provider framework, polling): success moves the release pointer,
a failure (or a failed instance, see Deployment) puts it back and fails the stack update, which
CloudFormation then rolls back. A brand-new environment, whose instances boot the built image,
only gets its pointer.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.constructs.deployment import Deployment
from infra.constructs.logs import retention
from infra.constructs.nag import nag_resource
from infra.constructs.release import REVISIONS_PREFIX, Release

INFRA_DIR = Path(__file__).resolve().parents[1]
NOT_CODE = ["__pycache__", "*.pyc"]
# CloudFormation waits at most an hour for a custom resource; the slowest rollout (prod, zone by
# zone with 10 + 5 min of alarm watching between zones) stays well below this.
ROLLOUT_TIMEOUT = cdk.Duration.minutes(55)


class Rollout(Construct):
    """Deploys the built image with CodeDeploy when `cdk deploy` changed it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        release: Release,
        deployment: Deployment,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        revision = s3_assets.Asset(
            self, "Revision", path=str(INFRA_DIR / "revision"), exclude=NOT_CODE
        )
        logs_group = logs.LogGroup(
            self,
            "Logs",
            retention=retention(log_retention_days),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"DTQ {env_name} rollout on cdk deploy",
        )
        logs_group.grant_write(self.role)
        prefix = f"{REVISIONS_PREFIX}{env_name}/"
        self._grant(release, deployment, revision, prefix)
        code = lambda_.Code.from_asset(str(INFRA_DIR / "rollout"), exclude=NOT_CODE)
        handlers = {
            name: lambda_.Function(
                self,
                name,
                code=code,
                handler=f"rollout.{handler}",
                runtime=lambda_.Runtime.PYTHON_3_14,
                role=self.role,
                log_group=logs_group,
                timeout=cdk.Duration.minutes(2),
                memory_size=256,
                description=f"DTQ {env_name} rollout: {handler}",
            )
            for name, handler in (("OnEvent", "on_event"), ("IsComplete", "is_complete"))
        }
        # The framework's own functions (which call ours and answer CloudFormation) get roles
        # of ours too: their default ones carry the AWSLambdaBasicExecutionRole policy. Two of
        # them: onEvent starts the waiter, which runs isComplete/onTimeout.
        framework_roles = [
            iam.Role(
                self,
                f"Framework{name}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"DTQ {env_name} rollout: custom resource framework ({name})",
            )
            for name in ("OnEvent", "Waiter")
        ]
        for role in framework_roles:
            logs_group.grant_write(role)
        provider = cr.Provider(
            self,
            "Provider",
            framework_on_event_role=framework_roles[0],
            framework_complete_and_timeout_role=framework_roles[1],
            on_event_handler=handlers["OnEvent"],
            is_complete_handler=handlers["IsComplete"],
            query_interval=cdk.Duration.seconds(30),
            total_timeout=ROLLOUT_TIMEOUT,
            log_group=logs_group,
        )
        self.resource = cdk.CustomResource(
            self,
            "Deployment",
            service_token=provider.service_token,
            resource_type="Custom::DtqRollout",
            properties={
                "Image": release.image.image_uri,
                "RevisionBucket": revision.s3_bucket_name,
                "RevisionKey": revision.s3_object_key,
                "ArtifactsBucket": release.bucket.bucket_name,
                "Prefix": prefix,
                "Application": deployment.application.application_name,
                "DeploymentGroup": deployment.group.deployment_group_name,
                "Pointer": release.pointer_name,
            },
        )
        self.deployment_id = self.resource.get_att_string("DeploymentId")
        self._acknowledge(provider, release.bucket.arn_for_objects(f"{prefix}*"))
        self._depend_on_policies_only()

    def _depend_on_policies_only(self) -> None:
        """Each function and the waiter wait for their role's policy (DependsOn) and name the
        role itself (GetAtt); the CDK would list the role in DependsOn too (cfn-lint W3005)."""
        stack = cdk.Stack.of(self)
        roles = {
            stack.resolve(stack.get_logical_id(r)): r
            for r in self.node.find_all()
            if isinstance(r, iam.CfnRole)
        }
        users = [
            (c, c.role if isinstance(c, lambda_.CfnFunction) else c.role_arn)
            for c in self.node.find_all()
            if isinstance(c, (lambda_.CfnFunction, sfn.CfnStateMachine))
        ]
        for resource, role_arn in users:
            role = roles[stack.resolve(role_arn)["Fn::GetAtt"][0]]
            policy = role.node.scope.node.find_child("DefaultPolicy").node.default_child
            resource.add_override("DependsOn", [stack.resolve(stack.get_logical_id(policy))])

    def _acknowledge(self, provider: cr.Provider, revisions: str) -> None:
        """cdk-nag findings on the rollout and on the provider framework's internals."""
        stack = cdk.Stack.of(self)
        cdk.Validations.of(self.role).acknowledge(
            cdk.Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::{nag_resource(self, revisions)}]",
                reason="Writes revision bundles of this environment only; their keys are content "
                "hashes, known when the image is built.",
            )
        )
        functions = [c for c in self.node.find_all() if isinstance(c, lambda_.CfnFunction)]
        for function in functions:
            logical_id = stack.resolve(stack.get_logical_id(function))
            cdk.Validations.of(self).acknowledge(
                cdk.Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>:*]",
                    reason="The provider framework may invoke each of its handler functions and "
                    "their versions (ARN:*): one function each, no other.",
                )
            )
        waiter = "the waiter only re-invokes the isComplete function every 30 s"
        cdk.Validations.of(provider).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-SF1",
                reason=f"Not logged to spare its role logs:*Delivery on every resource; {waiter}, "
                "whose every poll the Rollout log group records.",
            ),
            cdk.Acknowledgment(
                id="AwsSolutions-SF2",
                reason=f"The provider framework offers no tracing setting; {waiter}, a trace "
                "would show one Lambda call per poll.",
            ),
        )

    def _grant(
        self, release: Release, deployment: Deployment, revision: s3_assets.Asset, prefix: str
    ) -> None:
        """Exactly what on_event and is_complete call, on exactly these resources."""
        stack = cdk.Stack.of(self)
        group = deployment.group
        statements = [
            (["ecr:DescribeImages"], [release.image.repository.repository_arn]),
            (["s3:GetObject"], [revision.bucket.arn_for_objects(revision.s3_object_key)]),
            (["s3:PutObject"], [release.bucket.arn_for_objects(f"{prefix}*")]),
            (
                [
                    "codedeploy:CreateDeployment",
                    "codedeploy:GetDeployment",
                    "codedeploy:GetDeploymentGroup",
                ],
                [group.deployment_group_arn],
            ),
            (["codedeploy:GetDeploymentConfig"], [group.deployment_config.deployment_config_arn]),
            (
                ["codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
                [deployment.application.application_arn],
            ),
            (
                ["ssm:GetParameter", "ssm:PutParameter"],
                [
                    stack.format_arn(
                        service="ssm",
                        resource="parameter",
                        resource_name=release.pointer_name.lstrip("/"),
                    )
                ],
            ),
        ]
        for actions, resources in statements:
            self.role.add_to_policy(iam.PolicyStatement(actions=actions, resources=resources))
