"""S8: Idempotency-Key under replay, conflicting bodies, concurrency, tenants, TTL, bad keys."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from runtime.api.auth import new_key
from tests.conftest import SettingsFactory
from tests.integration.test_api import serve
from tests.security.conftest import Figures

ACME, ACME_ENTRY = new_key("submit", "acme")
GLOBEX, GLOBEX_ENTRY = new_key("submit", "globex")
BODY = {"task_type": "echo", "payload": {"order": 17}}
MALFORMED = ["", "has space", "k" * 201, "tab\there", "é", "\x7f", "a\x00b"]


async def post(client: httpx.AsyncClient, key: str, body: dict[str, Any] = BODY) -> httpx.Response:
    return await client.post("/jobs", json=body, headers={"Idempotency-Key": key.encode("latin-1")})


async def job_count(client: httpx.AsyncClient) -> int:
    return len((await client.get("/jobs", params={"limit": 1000})).json()["items"])


async def test_s8_idempotency(make_settings: SettingsFactory, figures: Figures) -> None:
    settings = make_settings(api_keys=f"{ACME_ENTRY},{GLOBEX_ENTRY}", idempotency_ttl_s=1)
    async with (
        serve(settings, **{"X-API-Key": ACME}) as acme,
        serve(settings, **{"X-API-Key": GLOBEX}) as globex,
    ):
        # replay ×100: one job, every replay the same status and body as the others
        first = await post(acme, "order-17")
        assert first.status_code == 201, first.text
        replays = [await post(acme, "order-17") for _ in range(100)]
        replay_statuses = {r.status_code for r in replays}
        replay_identical = len({r.content for r in replays}) == 1 and replay_statuses == {200}
        first_equals_replay = replays[0].json() == first.json()
        jobs_created = await job_count(acme)

        # same key, another body: a conflict, and still one job
        conflict = await post(acme, "order-17", {"task_type": "echo", "payload": {"order": 18}})

        # 50 at once with a fresh key: one 201, the rest replay it
        key = f"burst-{uuid.uuid4().hex}"
        burst = await asyncio.gather(*(post(acme, key) for _ in range(50)))
        burst_statuses = sorted(r.status_code for r in burst)
        burst_ids = {r.json()["id"] for r in burst}
        jobs_after_burst = await job_count(acme)

        # another tenant, the same key: a job of its own
        other = await post(globex, "order-17")

        # past the TTL (1 s) the key is forgotten: a new job
        await asyncio.sleep(1.5)
        after_ttl = await post(acme, "order-17")

        malformed = [(await post(acme, k)).status_code for k in MALFORMED]
        jobs_final = await job_count(acme)

    collision = other.json()["id"] == first.json()["id"]
    figures(
        f"S8 jobs_created={jobs_created} replay_identical={replay_identical}"
        f" replay_statuses={sorted(replay_statuses)} status_mismatch={conflict.status_code}"
        f" status_concurrent={{201: {burst_statuses.count(201)}, 200: {burst_statuses.count(200)}}}"
        f" concurrent_ids={len(burst_ids)} cross_tenant_collision={collision}"
        f" first_equals_replay={first_equals_replay}"
        f" after_ttl={after_ttl.status_code} malformed={sorted(set(malformed))}"
    )
    assert jobs_created == 1 and replay_identical and first_equals_replay
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "IdempotencyConflict"
    assert burst_statuses == [200] * 49 + [201] and len(burst_ids) == 1
    assert jobs_after_burst == 2
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert after_ttl.status_code == 201 and after_ttl.json()["id"] != first.json()["id"]
    assert all(400 <= s < 500 for s in malformed), malformed
    assert jobs_final == 3  # order-17, the burst, order-17 after the TTL (globex's is not ours)
