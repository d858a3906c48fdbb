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

from infra.ami import AmiPin, load_pins, require_pinned, with_pinned_ami
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


def deployable(
    name: str | None,
    overrides: dict[str, str | None],
    pins: dict[str, AmiPin | None] | None = None,
) -> list[EnvironmentConfig]:
    """What app.py (the cdk CLI: synth, diff, deploy) builds: the selected environments with
    the command line's values and their pinned AMIs; an environment without a pinned AMI is
    refused here, before any template exists."""
    pins = load_pins() if pins is None else pins
    configs = [
        with_pinned_ami(with_overrides(config, overrides), pins)
        for config in select_environments(name)
    ]
    require_pinned(configs)
    return configs


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
    """A complete app for `configs`, with cdk.json's context unless `context` is given, and the
    pinned AMIs of infra/amis.json (an unpinned environment still synthesizes, for `make synth`
    and the tests; app.py is what refuses to deploy it)."""
    app = cdk.App(context=load_cdk_context() if context is None else context, outdir=outdir)
    pins = load_pins()
    for config in configs:
        add_environment(app, with_pinned_ami(config, pins))
    if nag:
        add_nag_checks(app)
    return app
