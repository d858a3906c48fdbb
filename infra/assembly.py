"""Builds the CDK app: one StatefulStack + ServiceStack pair per environment.

Shared by app.py (the cdk CLI), infra.synth (make synth) and tests/infra, so all three see the
same stacks and, through load_cdk_context(), the same feature flags.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.environments import ENVIRONMENTS, EnvironmentConfig
from infra.stacks.service import ServiceStack
from infra.stacks.stateful import StatefulStack

REPO_ROOT = Path(__file__).resolve().parents[1]
OVERRIDABLE = ("account", "certificate_arn", "alarm_email", "ami_id")


def load_cdk_context(path: Path = REPO_ROOT / "cdk.json") -> dict[str, Any]:
    """The "context" block of cdk.json: feature flags and CLI settings."""
    context: dict[str, Any] = json.loads(path.read_text())["context"]
    return context


def select_environments(name: str | None) -> list[EnvironmentConfig]:
    """The environment called `name`, or all of them when no name is given."""
    if name is None:
        return list(ENVIRONMENTS.values())
    if name not in ENVIRONMENTS:
        raise SystemExit(f"unknown environment {name!r}; choose from {', '.join(ENVIRONMENTS)}")
    return [ENVIRONMENTS[name]]


def with_overrides(
    config: EnvironmentConfig, overrides: dict[str, str | None]
) -> EnvironmentConfig:
    """`config` with the deploy-time values given on the command line (-c certificate_arn=...)."""
    given = {key: value for key, value in overrides.items() if key in OVERRIDABLE and value}
    return dataclasses.replace(config, **given) if given else config


def stack_names(config: EnvironmentConfig) -> tuple[str, str]:
    """CloudFormation names of the environment's stateful and service stacks."""
    return f"Dtq-{config.name}-Stateful", f"Dtq-{config.name}-Service"


def add_environment(
    app: cdk.App, config: EnvironmentConfig, *, image_directory: Path = REPO_ROOT
) -> tuple[StatefulStack, ServiceStack]:
    """Add one environment's stack pair to `app`."""
    env = cdk.Environment(account=config.account, region=config.region)
    stateful_name, service_name = stack_names(config)
    tags = {"Application": "dtq", "Environment": config.name}
    stateful = StatefulStack(app, stateful_name, config=config, env=env, tags=tags)
    service = ServiceStack(
        app,
        service_name,
        config=config,
        stateful=stateful,
        image_directory=image_directory,
        env=env,
        tags=tags,
    )
    return stateful, service


def add_nag_checks(app: cdk.App) -> None:
    """cdk-nag AwsSolutions rules as a synth-time validation: any unacknowledged finding fails."""
    from cdk_nag import AwsSolutionsChecks  # loads a second jsii assembly: only when checking

    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def build_app(
    configs: Iterable[EnvironmentConfig],
    *,
    context: dict[str, Any] | None = None,
    outdir: str | None = None,
    nag: bool = True,
) -> cdk.App:
    """A complete app for `configs`, with cdk.json's context unless `context` is given."""
    app = cdk.App(context=load_cdk_context() if context is None else context, outdir=outdir)
    for config in configs:
        add_environment(app, config)
    if nag:
        add_nag_checks(app)
    return app
