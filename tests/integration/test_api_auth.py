"""API keys end to end: 401/403, Bearer and X-API-Key, tenant isolation, per-key rate limits."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from runtime.api.app import create_app
from runtime.api.auth import new_key
from runtime.config import Settings
from tests.conftest import SettingsFactory
from tests.integration.test_api import assert_error, serve

ADMIN, ADMIN_ENTRY = new_key("admin")
SUBMIT, SUBMIT_ENTRY = new_key("submit")
READER, READER_ENTRY = new_key("read")
ACME, ACME_ENTRY = new_key("submit", "acme")
GLOBEX, GLOBEX_ENTRY = new_key("admin", "globex")
ALL_KEYS = ",".join([ADMIN_ENTRY, SUBMIT_ENTRY, READER_ENTRY, ACME_ENTRY, GLOBEX_ENTRY])
SOME_ID = "0123456789abcdef0123-0"


@pytest.fixture
def auth_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(api_keys=ALL_KEYS)


def as_key(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def protected_routes(settings: Settings) -> list[tuple[str, str]]:
    """(method, path) of every API route except the health probes, path ids filled in."""
    app = create_app(settings)
    routes = [r for r in app.routes if isinstance(r, APIRoute) and not r.path.startswith("/health")]
    return [(m, re.sub(r"\{\w+\}", SOME_ID, r.path)) for r in routes for m in sorted(r.methods)]


async def test_every_route_but_health_needs_a_key(auth_settings: Settings) -> None:
    routes = protected_routes(auth_settings)
    assert len(routes) >= 16
    async with serve(auth_settings) as c:
        for method, path in routes:
            r = await c.request(method, path)
            assert_error(r, 401, "Unauthorized")
            assert r.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)
        assert (await c.get("/health/live")).status_code == 200
        assert (await c.get("/health/ready")).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "dtq_wrong"},
        {"Authorization": "Bearer dtq_wrong"},
        {"Authorization": f"Basic {ADMIN}"},
        {"Authorization": "Bearer "},
        {"X-API-Key": ""},
    ],
)
async def test_wrong_key_is_401(auth_settings: Settings, headers: dict[str, str]) -> None:
    async with serve(auth_settings) as c:
        r = await c.get("/jobs", headers=headers)
        assert_error(r, 401, "Unauthorized")
        assert "WWW-Authenticate" in r.headers


async def test_bearer_and_x_api_key_both_authenticate(auth_settings: Settings) -> None:
    async with serve(auth_settings) as c:
        assert (
            await c.get("/jobs", headers={"Authorization": f"Bearer {ADMIN}"})
        ).status_code == 200
        assert (
            await c.get("/jobs", headers={"authorization": f"bearer {ADMIN}"})
        ).status_code == 200
        assert (await c.get("/jobs", headers=as_key(ADMIN))).status_code == 200
        assert (await c.get("/info", headers=as_key(READER))).json()["auth_required"] is True


async def test_read_role_cannot_change_anything(auth_settings: Settings) -> None:
    async with serve(auth_settings) as c:
        job_id = (await c.post("/jobs", json={"task_type": "noop"}, headers=as_key(SUBMIT))).json()[
            "id"
        ]
        reader = as_key(READER)
        assert (await c.get(f"/jobs/{job_id}", headers=reader)).status_code == 200
        refusals = [
            await c.post("/jobs", json={"task_type": "noop"}, headers=reader),
            await c.post("/jobs/batch", json={"jobs": [{"task_type": "noop"}]}, headers=reader),
            await c.post(f"/jobs/{job_id}/cancel", headers=reader),
            await c.post(f"/dlq/{job_id}/replay", headers=reader),
            await c.post("/dlq/replay", json={"ids": [job_id]}, headers=reader),
            await c.delete("/dlq", headers=reader),
            await c.post("/dev/generate-jobs", json={"count": 1}, headers=reader),
        ]
        for r in refusals:
            assert "'read'" in assert_error(r, 403, "Forbidden")["message"]
        assert (await c.get(f"/jobs/{job_id}", headers=reader)).json()["status"] == "queued"


async def test_only_admin_may_purge_or_generate(auth_settings: Settings) -> None:
    async with serve(auth_settings) as c:
        assert_error(await c.delete("/dlq", headers=as_key(SUBMIT)), 403, "Forbidden")
        r = await c.post("/dev/generate-jobs", json={"count": 1}, headers=as_key(SUBMIT))
        assert_error(r, 403, "Forbidden")
        assert (await c.delete("/dlq", headers=as_key(ADMIN))).status_code == 200


async def test_tenant_key_cannot_see_or_cancel_another_tenants_jobs(
    auth_settings: Settings,
) -> None:
    async with serve(auth_settings) as c:
        acme_job = (await c.post("/jobs", json={"task_type": "noop"}, headers=as_key(ACME))).json()
        globex_job = (
            await c.post("/jobs", json={"task_type": "noop"}, headers=as_key(GLOBEX))
        ).json()
        globex = as_key(GLOBEX)
        assert_error(await c.get(f"/jobs/{acme_job['id']}", headers=globex), 404, "JobNotFound")
        assert_error(
            await c.post(f"/jobs/{acme_job['id']}/cancel", headers=globex), 404, "JobNotFound"
        )
        assert_error(
            await c.post(f"/dlq/{acme_job['id']}/replay", headers=globex), 404, "JobNotFound"
        )
        listed = (await c.get("/jobs", headers=globex)).json()["items"]
        assert [j["id"] for j in listed] == [globex_job["id"]]
        acme_listed = (await c.get("/jobs", headers=as_key(ACME))).json()["items"]
        assert [j["id"] for j in acme_listed] == [acme_job["id"]]
        everything = (await c.get("/jobs", headers=as_key(ADMIN))).json()["items"]
        assert {j["id"] for j in everything} == {acme_job["id"], globex_job["id"]}
        assert (await c.get(f"/jobs/{acme_job['id']}", headers=as_key(ACME))).json()[
            "status"
        ] == "queued"


async def test_tenant_admin_cannot_purge_every_tenants_dead_letters(
    auth_settings: Settings,
) -> None:
    async with serve(auth_settings) as c:
        assert_error(await c.delete("/dlq", headers=as_key(GLOBEX)), 403, "Forbidden")


async def test_idempotency_keys_are_per_tenant(auth_settings: Settings) -> None:
    async with serve(auth_settings) as c:
        body = {"task_type": "noop"}
        a = await c.post("/jobs", json=body, headers={**as_key(ACME), "Idempotency-Key": "same"})
        b = await c.post("/jobs", json=body, headers={**as_key(GLOBEX), "Idempotency-Key": "same"})
        assert (a.status_code, b.status_code) == (201, 201) and a.json()["id"] != b.json()["id"]


async def test_rate_limit_answers_429_with_retry_after_per_key(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(api_keys=ALL_KEYS, rate_limit_per_s=5, rate_limit_burst=5)
    async with serve(settings) as c:
        statuses = [(await c.get("/info", headers=as_key(READER))).status_code for _ in range(7)]
        assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
        r = await c.get("/info", headers=as_key(READER))
        error = assert_error(r, 429, "RateLimited")
        assert int(r.headers["Retry-After"]) >= 1 and error["details"]["retry_after_s"] >= 1
        assert (await c.get("/info", headers=as_key(ADMIN))).status_code == 200
        assert (await c.get("/health/ready")).status_code == 200
