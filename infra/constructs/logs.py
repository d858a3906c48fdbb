"""Log groups of the fleet (API, worker, system) with the environment's retention."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.environments import RETENTION_DAYS

_RETENTION_BY_DAYS = dict(zip(RETENTION_DAYS, list(logs.RetentionDays), strict=False))


def retention(days: int) -> logs.RetentionDays:
    """The RetentionDays member for a day count EnvironmentConfig already validated."""
    return _RETENTION_BY_DAYS[days]


class AppLogs(Construct):
    """Where the containers (awslogs driver) and the CloudWatch agent write."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_name: str,
        retention_days: int,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.groups = {
            role: logs.LogGroup(
                self,
                role.capitalize(),
                log_group_name=f"/dtq/{env_name}/{role}",
                retention=retention(retention_days),
                removal_policy=removal_policy,
            )
            for role in ("api", "worker", "system")
        }

    @property
    def names(self) -> dict[str, str]:
        """Log group name per role (api, worker, system)."""
        return {role: group.log_group_name for role, group in self.groups.items()}

    def grant_write(self, grantee: iam.IGrantable) -> None:
        """Let the instances create streams and put events in these groups only."""
        for group in self.groups.values():
            group.grant_write(grantee)
