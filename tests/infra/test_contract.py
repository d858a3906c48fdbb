"""The runtime<->infra contract: every variable a deployment sets is a runtime Settings field."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from infra.constructs.fleet import HOOKS_LIB, container_environment
from infra.environments import ENVIRONMENTS
from runtime.config import Settings
from tests.infra.conftest import ENV_NAMES
from tests.infra.templates import TemplateJson, env_file_keys, heredocs, render_user_data

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {name.upper() for name in Settings.model_fields}
NOT_SETTINGS = re.compile(r"^(PYTHON|PIP_)")  # interpreter knobs in the Dockerfile


def lib_runtime_env_keys() -> list[str]:
    """Variables lib.sh writes into the containers' secrets.env."""
    text = HOOKS_LIB.read_text()
    block = text.split("# runtime-env:begin", 1)[1].split("# runtime-env:end", 1)[0]
    return re.findall(r'echo "([A-Z][A-Z0-9_]*)=', block)


def dockerfile_env_keys() -> list[str]:
    """Variables set by ENV in the Dockerfile (the runtime's, not the interpreter's)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    keys = [
        key
        for line in text.splitlines()
        if line.startswith("ENV ")
        for key in re.findall(r"([A-Z][A-Z0-9_]*)=", line)
    ]
    return [key for key in keys if not NOT_SETTINGS.match(key)]


@pytest.mark.parametrize("env", ENV_NAMES)
def test_fleet_sets_only_settings_fields(
    service_json: Callable[[str], TemplateJson], env: str
) -> None:
    files = heredocs(render_user_data(service_json(env)))
    keys = [
        key
        for name in ("common", "api", "worker")
        for key in env_file_keys(files[f"/etc/dtq/{name}.env"])
    ]
    assert keys, "no container environment found in the user-data"
    assert set(keys) - SETTINGS == set()


def test_secrets_written_on_the_instance_are_settings_fields() -> None:
    keys = lib_runtime_env_keys()
    assert set(keys) == {"REDIS_PASSWORD", "API_KEYS"}
    assert set(keys) <= SETTINGS


def test_image_compose_and_render_set_only_settings_fields() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    render = yaml.safe_load((ROOT / "render.yaml").read_text())
    keys = set(dockerfile_env_keys())
    for service in compose["services"].values():
        if service.get("image", "").startswith("dtq") or "build" in service:
            keys |= set(service.get("environment", {}))
    for service in render["services"]:
        keys |= {var["key"] for var in service.get("envVars", [])}
    assert keys - SETTINGS == set()


@pytest.mark.parametrize("config", ENVIRONMENTS.values(), ids=list(ENVIRONMENTS))
def test_container_environment_parses_as_settings(config: object) -> None:
    env = container_environment(config, "rediss://cache.example:6379/0")  # type: ignore[arg-type]
    for role in ("api", "worker"):
        values = {k.lower(): v for k, v in {**env["common"], **env[role]}.items()}
        settings = Settings(**values, redis_password="x", api_keys="")  # type: ignore[arg-type]
        assert settings.redis_url.startswith("rediss://")
        assert settings.environment == config.runtime_environment  # type: ignore[attr-defined]
    assert env["worker"]["EMF_METRICS"] == "true"
