"""StatefulStack: what must survive any refactor (network, cache, secrets); never replaced."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.cache import Cache
from infra.constructs.network import Network
from infra.environments import EnvironmentConfig


def removal_policy(config: EnvironmentConfig) -> cdk.RemovalPolicy:
    """RETAIN where data must outlive the stack (prod), DESTROY elsewhere."""
    return cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY


class StatefulStack(cdk.Stack):
    """Network + Cache + API keys, termination-protected; construct ids here never change."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, termination_protection=True, **kwargs)
        policy = removal_policy(config)
        self.network = Network(
            self,
            "Network",
            cidr=config.vpc_cidr,
            availability_zones=config.availability_zones,
            nat_gateways=config.nat_gateways,
            log_retention_days=config.log_retention_days,
            removal_policy=policy,
        )
        self.cache = Cache(
            self,
            "Cache",
            vpc=self.network.vpc,
            subnets=self.network.data_subnets,
            config=config,
            removal_policy=policy,
        )
        self.api_keys = self._api_keys(config, policy)

    def _api_keys(
        self, config: EnvironmentConfig, policy: cdk.RemovalPolicy
    ) -> secretsmanager.Secret:
        # {"keys": "<API_KEYS entries, comma-separated>", "probe": "<key ValidateService uses>"};
        # operators add their clients' entries (python -m runtime.api.auth) to "keys".
        api_keys = secretsmanager.Secret(
            self,
            "ApiKeys",
            description=f"DTQ {config.name} API_KEYS entries and the deployment probe key",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template='{"keys": ""}',
                generate_string_key="probe",
                exclude_punctuation=True,
                password_length=40,
            ),
            removal_policy=policy,
        )
        cdk.Validations.of(api_keys).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-SMG4",
                reason="API keys are rotated by operators adding a new entry and removing the "
                "old one after clients moved; an automatic rotation would cut every client off.",
            )
        )
        return api_keys
