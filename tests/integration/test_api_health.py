"""Health probes, and the API through a Redis outage: 503 with Retry-After, then recovery."""

from __future__ import annotations

import shutil

import httpx

from runtime.localserver import LocalServer
from tests.conftest import SettingsFactory, wait_for
from tests.integration.test_api import assert_error, serve


async def test_live_is_200(client: httpx.AsyncClient) -> None:
    r = await client.get("/health/live")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


async def test_ready_is_200_when_redis_answers(client: httpx.AsyncClient) -> None:
    r = await client.get("/health/ready")
    assert (r.status_code, r.json()) == (200, {"status": "ready"})


async def test_redis_outage_gives_503_and_the_api_recovers_by_itself(
    make_settings: SettingsFactory, private_server: LocalServer
) -> None:
    settings = make_settings(redis_url=private_server.url, redis_timeout_ms=300)
    async with serve(settings) as c:
        job_id = (await c.post("/jobs", json={"task_type": "noop"})).json()["id"]
        assert (await c.get("/health/ready")).status_code == 200
        private_server.stop()

        for r in [
            await c.get("/health/ready"),
            await c.post("/jobs", json={"task_type": "noop"}),
            await c.get(f"/jobs/{job_id}"),
            await c.get("/jobs"),
            await c.get("/metrics"),
        ]:
            error = assert_error(r, 503, "BrokerUnavailable")
            assert r.headers["Retry-After"] == "1" and "unreachable" in error["message"]
        assert (await c.get("/health/live")).status_code == 200

        restarted = LocalServer(private_server.data_dir, port=private_server.port).start()
        try:

            async def ready() -> bool:
                return (await c.get("/health/ready")).status_code == 200

            await wait_for(ready)
            assert (await c.get(f"/jobs/{job_id}")).json()["status"] == "queued"
            assert (await c.post("/jobs", json={"task_type": "noop"})).status_code == 201
        finally:
            restarted.stop()


async def test_server_that_lost_its_data_is_not_ready(
    make_settings: SettingsFactory, private_server: LocalServer
) -> None:
    settings = make_settings(redis_url=private_server.url)
    async with serve(settings) as c:
        assert (await c.get("/health/ready")).status_code == 200
        private_server.stop(kill=True)
        for folder in private_server.data_dir.glob("appendonly*"):
            shutil.rmtree(folder)
        restarted = LocalServer(private_server.data_dir, port=private_server.port).start()
        try:
            r = await c.get("/health/ready")
            assert "data" in assert_error(r, 503, "EmptyBrokerDetected")["message"]
        finally:
            restarted.stop()
