"""One-box and PaaS targets: docker-compose, Render, Netlify, Vercel."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_valkey_api_worker_and_nginx_from_one_image() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"valkey", "api", "worker", "nginx"}
    assert services["worker"]["image"] == services["api"]["image"]
    assert services["worker"]["command"] == ["python", "-m", "runtime.worker"]
    assert "noeviction" in services["valkey"]["command"]
    assert services["nginx"]["volumes"] == ["./deploy/nginx.conf:/etc/nginx/nginx.conf:ro"]


def test_render_blueprint_has_api_worker_and_key_value() -> None:
    render = yaml.safe_load((ROOT / "render.yaml").read_text())
    kinds = {service["name"]: service["type"] for service in render["services"]}
    assert kinds == {"dtq-api": "web", "dtq-worker": "worker", "dtq-valkey": "keyvalue"}
    (api,) = [s for s in render["services"] if s["name"] == "dtq-api"]
    assert api["healthCheckPath"] == "/health/ready"


def test_static_ui_hosts_build_ui_dist_as_a_single_page_app() -> None:
    netlify = tomllib.loads((ROOT / "ui" / "netlify.toml").read_text())
    assert netlify["build"]["publish"] == "dist"
    assert netlify["redirects"][0]["to"] == "/index.html"
    vercel = json.loads((ROOT / "ui" / "vercel.json").read_text())
    assert vercel["outputDirectory"] == "dist"
    assert vercel["rewrites"] == [{"source": "/(.*)", "destination": "/index.html"}]
