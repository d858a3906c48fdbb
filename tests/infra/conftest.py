"""Fixtures: every environment synthesized once per session (cdk.json context, cdk-nag on)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.assembly import build_app, stack_names
from infra.environments import ENVIRONMENTS
from tests.infra.templates import TOOLS_BIN, TemplateJson

ENV_NAMES = tuple(ENVIRONMENTS)


class Synthesized:
    """The cloud assembly of the full app, with templates loaded on demand.

    cfn-lint (one process for every template) starts as soon as the templates exist and runs
    beside the other tests; lint_findings() waits for it.
    """

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self._templates: dict[str, Template] = {}
        self._findings: list[dict[str, Any]] | None = None
        regions = sorted({env.region for env in ENVIRONMENTS.values()})
        templates = sorted(str(p) for p in outdir.glob("*.template.json"))
        self._lint = subprocess.Popen(
            [
                str(TOOLS_BIN / "cfn-lint"),
                "--format",
                "json",
                "--regions",
                *regions,
                "--",
                *templates,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def lint_findings(self, stack_name: str) -> list[str]:
        """cfn-lint errors and warnings (any level) in the stack's template."""
        if self._findings is None:
            stdout, stderr = self._lint.communicate(timeout=120)
            assert self._lint.returncode in (0, 2, 4, 6, 8, 10, 12, 14), stderr
            self._findings = json.loads(stdout or "[]")
        name = self.template_path(stack_name).name
        return [
            f"{f['Rule']['Id']} {f['Message']}"
            for f in self._findings
            if Path(f["Filename"]).name == name
        ]

    def close(self) -> None:
        """Stop cfn-lint if no test asked for its findings, and close its pipes."""
        if self._findings is None:
            self._lint.kill()
            self._lint.communicate()

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


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    """dev, staging and prod synthesized with cdk-nag; an unacknowledged finding fails here.

    CDK_DOCKER points at a missing binary: synthesis must never need a container engine.
    """
    outdir = tmp_path_factory.mktemp("cdk.out")
    saved = os.environ.get("CDK_DOCKER")
    os.environ["CDK_DOCKER"] = str(outdir / "no-docker-here")
    try:
        build_app(ENVIRONMENTS.values(), outdir=str(outdir)).synth()
    finally:
        if saved is None:
            os.environ.pop("CDK_DOCKER", None)
        else:
            os.environ["CDK_DOCKER"] = saved
    synthesized = Synthesized(outdir)
    yield synthesized
    synthesized.close()


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
