"""Fixtures: every environment synthesized once per session (cdk.json context, cdk-nag on)."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.assembly import REPO_ROOT as ROOT
from infra.assembly import stack_names
from infra.environments import ENVIRONMENTS
from tests.infra.templates import TemplateJson

ENV_NAMES = tuple(ENVIRONMENTS)


LINT_REPORT = "cfn-lint.json"  # written by tests/infra/background.py
TEMPLATE_FIXTURES = {"synthesized", "stateful", "service", "stateful_json", "service_json"}
_background: dict[str, object] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run template tests last and start the synthesis now, in a process of its own."""
    needs_templates = [i for i in items if TEMPLATE_FIXTURES & set(getattr(i, "fixturenames", ()))]
    if not needs_templates:
        return
    items[:] = [i for i in items if i not in needs_templates] + needs_templates
    outdir = Path(tempfile.mkdtemp(prefix="dtq-cdk-out-"))
    _background["outdir"] = outdir
    _background["process"] = subprocess.Popen(
        [sys.executable, "-m", "tests.infra.background", str(outdir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop a synthesis nobody waited for (e.g. tests deselected) and remove its output."""
    process = _background.get("process")
    if isinstance(process, subprocess.Popen):
        if process.poll() is None:
            process.kill()
        process.communicate()
    outdir = _background.get("outdir")
    if isinstance(outdir, Path):
        shutil.rmtree(outdir, ignore_errors=True)


class Synthesized:
    """The cloud assembly of the full app, with templates loaded on demand."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self._templates: dict[str, Template] = {}

    def template_path(self, stack_name: str) -> Path:
        """Where the stack's template was written."""
        return self.outdir / f"{stack_name}.template.json"

    def template_json(self, stack_name: str) -> TemplateJson:
        """The template as plain JSON."""
        data: TemplateJson = json.loads(self.template_path(stack_name).read_text())
        return data

    def template(self, stack_name: str) -> Template:
        """The template for CDK assertions (parsed once)."""
        if stack_name not in self._templates:
            self._templates[stack_name] = Template.from_json(self.template_json(stack_name))
        return self._templates[stack_name]

    def lint_findings(self, stack_name: str) -> list[str]:
        """cfn-lint errors and warnings (any level) in the stack's template."""
        findings = json.loads((self.outdir / LINT_REPORT).read_text() or "[]")
        name = self.template_path(stack_name).name
        return [
            f"{f['Rule']['Id']} {f['Message']}"
            for f in findings
            if Path(f["Filename"]).name == name
        ]


@pytest.fixture(scope="session")
def synthesized() -> Synthesized:
    """dev, staging and prod synthesized with cdk-nag (an unacknowledged finding fails here),
    and linted with cfn-lint, by tests/infra/background.py."""
    process = _background["process"]
    assert isinstance(process, subprocess.Popen)
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    outdir = _background["outdir"]
    assert isinstance(outdir, Path)
    return Synthesized(outdir)


@pytest.fixture(scope="session")
def stateful(synthesized: Synthesized) -> Callable[[str], Template]:
    """StatefulStack template of an environment."""
    return lambda env: synthesized.template(stack_names(ENVIRONMENTS[env])[0])


@pytest.fixture(scope="session")
def service(synthesized: Synthesized) -> Callable[[str], Template]:
    """ServiceStack template of an environment."""
    return lambda env: synthesized.template(stack_names(ENVIRONMENTS[env])[1])


@pytest.fixture(scope="session")
def service_json(synthesized: Synthesized) -> Callable[[str], TemplateJson]:
    """ServiceStack template of an environment as JSON."""
    return lambda env: synthesized.template_json(stack_names(ENVIRONMENTS[env])[1])


@pytest.fixture(scope="session")
def stateful_json(synthesized: Synthesized) -> Callable[[str], TemplateJson]:
    """StatefulStack template of an environment as JSON."""
    return lambda env: synthesized.template_json(stack_names(ENVIRONMENTS[env])[0])


def create_deployment_group(session: Any, env_name: str) -> None:
    """The environment's CodeDeploy application and deployment group, in moto."""
    from moto.core import DEFAULT_ACCOUNT_ID

    from infra.environments import codedeploy_names

    application, group = codedeploy_names(env_name)
    codedeploy = session.client("codedeploy")
    codedeploy.create_application(applicationName=application, computePlatform="Server")
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/codedeploy",
        deploymentConfigName="CodeDeployDefault.OneAtATime",
    )


@contextlib.contextmanager
def moto_account(region: str) -> Iterator[Any]:
    """A moto AWS account: fake credentials and region in the environment (restored after), AWS
    mocked, and a boto3 session of that region."""
    import boto3
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            patch.setenv(name, "testing")
        patch.setenv("AWS_DEFAULT_REGION", region)
        yield boto3.Session(region_name=region)
