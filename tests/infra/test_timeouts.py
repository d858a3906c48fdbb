"""The timeouts chain (RELIABILITY.md Z4), read from the files that really set each timeout."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from infra.environments import ENVIRONMENTS
from tests.infra.conftest import ENV_NAMES
from tests.infra.templates import (
    TemplateJson,
    attributes,
    env_file_keys,
    heredocs,
    only,
    render_user_data,
)

ROOT = Path(__file__).resolve().parents[2]


def dockerfile_cmd() -> list[str]:
    """The image's default command (exec form, so PID 1 is python and receives SIGTERM)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    (line,) = [line for line in text.splitlines() if line.startswith("CMD ")]
    command: list[str] = json.loads(line.removeprefix("CMD "))
    return command


def option(command: list[str], name: str) -> int:
    """The integer value following `name` in a command line."""
    return int(command[command.index(name) + 1])


def hook_timeouts() -> dict[str, int]:
    """CodeDeploy hook timeouts from appspec.yml."""
    appspec = yaml.safe_load((ROOT / "infra" / "revision" / "appspec.yml").read_text())
    return {hook: steps[0]["timeout"] for hook, steps in appspec["hooks"].items()}


def host_settings(template: TemplateJson) -> dict[str, str]:
    """/etc/dtq/*.env values the user-data writes."""
    files = heredocs(render_user_data(template))
    values: dict[str, str] = {}
    for name in ("dtq", "common", "worker"):
        text = files[f"/etc/dtq/{name}.env"]
        for key, line in zip(env_file_keys(text), text.splitlines(), strict=True):
            values[key] = line.split("=", 1)[1]
    return values


def test_image_runs_uvicorn_in_exec_form_and_stops_on_sigterm() -> None:
    command = dockerfile_cmd()
    assert command[:3] == ["python", "-m", "uvicorn"]
    assert "STOPSIGNAL SIGTERM" in (ROOT / "Dockerfile").read_text()


@pytest.mark.parametrize("env", ENV_NAMES)
def test_timeouts_chain_holds(service_json: Callable[[str], TemplateJson], env: str) -> None:
    template = service_json(env)
    timeouts = ENVIRONMENTS[env].timeouts
    command = dockerfile_cmd()
    keep_alive = option(command, "--timeout-keep-alive")
    api_graceful = option(command, "--timeout-graceful-shutdown")
    alb = attributes(
        only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer"), "LoadBalancerAttributes"
    )
    alb_idle = int(alb["idle_timeout.timeout_seconds"])
    group = only(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    deregistration = int(
        attributes(group, "TargetGroupAttributes")["deregistration_delay.timeout_seconds"]
    )
    host = host_settings(template)
    worker_grace = int(host["WORKER_SHUTDOWN_GRACE_S"])
    stop = int(host["DTQ_CONTAINER_STOP_S"])
    hooks = hook_timeouts()

    assert timeouts.client_request_s < alb_idle < keep_alive
    assert (keep_alive, api_graceful) == (timeouts.uvicorn_keep_alive_s, timeouts.api_graceful_s)
    assert api_graceful + worker_grace < stop
    assert 2 * stop < hooks["ApplicationStop"]  # worker then API, one after the other
    assert timeouts.client_request_s <= deregistration < hooks["ApplicationStop"]
    assert group["HealthCheckTimeoutSeconds"] < group["HealthCheckIntervalSeconds"]
    # scale-in: the termination hook outlasts a drain already under way, then the drain's own
    termination = only(template, "AWS::AutoScaling::LifecycleHook")["HeartbeatTimeout"]
    check = int(host["DTQ_DRAIN_CHECK_S"])
    assert check + 2 * hooks["ApplicationStop"] < termination <= 7200


def test_local_nginx_and_compose_follow_the_same_chain() -> None:
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    upstream_keepalive = int(
        re.search(r"upstream dtq_api \{[^}]*keepalive_timeout (\d+)s", nginx)[1]
    )
    assert upstream_keepalive < option(dockerfile_cmd(), "--timeout-keep-alive")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for role in ("api", "worker"):
        grace = int(compose["services"][role]["stop_grace_period"].removesuffix("s"))
        assert grace > option(dockerfile_cmd(), "--timeout-graceful-shutdown") + 20
