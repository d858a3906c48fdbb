"""S9: the production configuration, through the real entry point (uvicorn runtime.api.main:app):
no docs, no OpenAPI, no /dev/*; unknown verbs 405; no error body carries a traceback or a path."""

from __future__ import annotations

import re
import socket

import httpx
import pytest

from runtime.api.app import create_app
from runtime.api.auth import new_key
from runtime.broker.redis_broker import RedisBroker
from tests.conftest import SettingsFactory
from tests.security.conftest import Figures, api_env, api_process

ADMIN, ADMIN_ENTRY = new_key("admin")
HIDDEN = [
    ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc"),
    ("GET", "/openapi.json"), ("POST", "/dev/generate-jobs"), ("GET", "/dev/generate-jobs"),
]  # fmt: skip
UNKNOWN_VERBS = [
    ("PUT", "/jobs"), ("PATCH", "/jobs"), ("DELETE", "/jobs"), ("TRACE", "/jobs"),
    ("PUT", "/jobs/0123456789abcdef0123-0"), ("DELETE", "/metrics"),
    ("POST", "/health/live"),
]  # fmt: skip
LEAK = re.compile(r'Traceback|File "|\.py\b|/work/|/usr/|site-packages|RuntimeError')


def leaks(text: str) -> bool:
    """Whether a body shows internals: a traceback, a source file or a path."""
    return LEAK.search(text) is not None


def raw_request(port: int, data: bytes) -> bytes:
    """Send bytes that are not valid HTTP; what the server answers before closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65_536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_s9_production_process_exposes_nothing_extra(
    make_settings: SettingsFactory, figures: Figures
) -> None:
    settings = make_settings(environment="production", api_keys=ADMIN_ENTRY)
    bodies: list[str] = []
    with (
        api_process(api_env(settings)) as api,
        httpx.Client(base_url=api.base_url, headers={"X-API-Key": ADMIN}, timeout=5) as client,
    ):
        exposed = []
        for method, path in HIDDEN:
            r = client.request(method, path)
            bodies.append(r.text)
            if r.status_code != 404:
                exposed.append(f"{method} {path} {r.status_code}")
        verbs = {}
        for method, path in UNKNOWN_VERBS:
            r = client.request(method, path)
            bodies.append(r.text)
            verbs[f"{method} {path}"] = (r.status_code, r.headers.get("Allow"))
        bodies += [
            client.post(
                "/jobs", content=b"{nope", headers={"content-type": "application/json"}
            ).text,
            client.get("/jobs/../../etc/passwd").text,
            client.get("/jobs", params={"cursor": "x" * 65}).text,
            client.get("/jobs", headers={"X-API-Key": "wrong"}).text,
        ]
        unknown_method = client.request("BREW", "/jobs")  # uvicorn's parser refuses it: 400
        bodies.append(unknown_method.text)
        garbage = raw_request(api.port, b"GET /jobs HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        bodies.append(garbage.decode(errors="replace"))
        info = client.get("/info").json()
    traceback_bodies = sum(leaks(b) for b in bodies)
    figures(
        f"S9 exposed_paths={len(exposed)} traceback_bodies={traceback_bodies}"
        f" unknown_verbs_405={sum(s == 405 for s, _ in verbs.values())}/{len(verbs)}"
        f" bodies_checked={len(bodies)} malformed_http={garbage.split(b' ', 2)[1].decode()}"
    )
    assert exposed == [] and info["dev_routes"] is False
    assert all(status == 405 and allow for status, allow in verbs.values()), verbs
    assert traceback_bodies == 0, [b[:200] for b in bodies if leaks(b)]
    assert garbage.startswith(b"HTTP/1.1 400") and unknown_method.status_code == 400


@pytest.mark.parametrize("method", ["stats", "list_jobs", "enqueue"])
async def test_s9_unexpected_error_is_a_generic_500(
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    method: str,
) -> None:
    async def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"secret detail in /work/main/runtime/broker/{method}.py line 1")

    monkeypatch.setattr(RedisBroker, method, explode)
    settings = make_settings(environment="production", api_keys=ADMIN_ENTRY)
    app = create_app(settings)
    requests = {
        "stats": ("GET", "/metrics", None),
        "list_jobs": ("GET", "/jobs", None),
        "enqueue": ("POST", "/jobs", {"task_type": "echo"}),
    }
    verb, path, body = requests[method]
    async with app.router.lifespan_context(app):
        # the app's own handler answers; the transport must not re-raise what it already handled
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://dtq.test", headers={"X-API-Key": ADMIN}
        ) as client:
            r = await client.request(verb, path, json=body)
    assert r.status_code == 500
    assert r.json() == {"error": {
        "code": "InternalError", "message": "an unexpected error occurred; it was logged",
        "details": None,
    }}  # fmt: skip
    assert not leaks(r.text)
    assert "secret detail" in caplog.text  # the operator still gets the whole story in the log
