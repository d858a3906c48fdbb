"""GET /jobs (pagination, filters), POST /jobs/{id}/cancel and POST /jobs/batch end to end."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from runtime.config import Settings
from tests.conftest import SettingsFactory, wait_for
from tests.integration.test_api import StartWorker, assert_error, serve


async def create(client: httpx.AsyncClient, n: int, **body: Any) -> list[str]:
    r = await client.post("/jobs/batch", json={"jobs": [{"task_type": "noop", **body}] * n})
    assert r.status_code == 201, r.text
    return [j["id"] for j in r.json()["items"]]


async def walk(client: httpx.AsyncClient, limit: int, **params: str) -> list[list[str]]:
    """Every page of a listing, following next_cursor to the end."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {"limit": str(limit), **params, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/jobs", params=query)
        assert r.status_code == 200, r.text
        pages.append([j["id"] for j in r.json()["items"]])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100


async def test_listing_is_newest_first_with_default_limit_50(client: httpx.AsyncClient) -> None:
    ids = await create(client, 55)
    page = (await client.get("/jobs")).json()
    assert len(page["items"]) == 50 and page["next_cursor"]
    assert [j["id"] for j in page["items"]] == sorted(ids, reverse=True)[:50]


@pytest.mark.parametrize("shards", [1, 4])
async def test_next_cursor_walks_every_job_once(
    make_settings: SettingsFactory, shards: int
) -> None:
    async with serve(make_settings(shards=shards)) as c:
        ids = await create(c, 7)
        pages = await walk(c, 3)
        assert [len(p) for p in pages] == [3, 3, 1]
        flat = [i for p in pages for i in p]
        assert flat == sorted(ids, reverse=True)


async def test_limit_1000_is_allowed(client: httpx.AsyncClient) -> None:
    assert (await client.get("/jobs", params={"limit": "1000"})).status_code == 200


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "abc", ""])
async def test_limit_out_of_range_is_422(client: httpx.AsyncClient, limit: str) -> None:
    assert_error(await client.get("/jobs", params={"limit": limit}), 422, "ValidationError")


@pytest.mark.parametrize("cursor", ["bad", "0123456789abcdef0123-0\n", "'; DROP", "x" * 64])
async def test_bad_cursor_is_400(client: httpx.AsyncClient, cursor: str) -> None:
    assert_error(await client.get("/jobs", params={"cursor": cursor}), 400, "InvalidCursor")


async def test_overlong_cursor_is_422(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/jobs", params={"cursor": "x" * 65}), 422, "ValidationError")


async def test_unknown_status_filter_is_422(client: httpx.AsyncClient) -> None:
    error = assert_error(await client.get("/jobs", params={"status": "lost"}), 422)
    assert "queued" in error["message"]


async def test_filters_by_status_task_type_and_partition_key(client: httpx.AsyncClient) -> None:
    noops = await create(client, 2, partition_key="a")
    echo = (await client.post("/jobs", json={"task_type": "echo", "partition_key": "b"})).json()[
        "id"
    ]
    await client.post(f"/jobs/{noops[0]}/cancel")

    async def listed(**params: str) -> set[str]:
        r = await client.get("/jobs", params=params)
        assert r.status_code == 200, r.text
        return {j["id"] for j in r.json()["items"]}

    assert await listed(status="cancelled") == {noops[0]}
    assert await listed(status="queued") == {noops[1], echo}
    assert await listed(task_type="echo") == {echo}
    assert await listed(partition_key="a") == set(noops)
    assert await listed(partition_key="a", status="queued") == {noops[1]}
    assert await listed(task_type="nope") == set()


async def test_cancel_queued_job_cancels_it(client: httpx.AsyncClient) -> None:
    (job_id,) = await create(client, 1)
    r = await client.post(f"/jobs/{job_id}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert (await client.get(f"/jobs/{job_id}")).json()["status"] == "cancelled"


async def test_cancel_scheduled_job_cancels_it(client: httpx.AsyncClient) -> None:
    (job_id,) = await create(client, 1, delay_ms=60_000)
    assert (await client.post(f"/jobs/{job_id}/cancel")).json()["status"] == "cancelled"


async def test_cancel_running_job_stops_it_and_it_ends_cancelled(
    client: httpx.AsyncClient, settings: Settings, start_worker: StartWorker
) -> None:
    r = await client.post("/jobs", json={"task_type": "sleep", "payload": {"seconds": 30}})
    job_id = r.json()["id"]
    await start_worker(settings)

    async def status() -> str:
        return str((await client.get(f"/jobs/{job_id}")).json()["status"])

    async def running() -> bool:
        return await status() == "running"

    async def cancelled() -> bool:
        return await status() == "cancelled"

    await wait_for(running)
    r = await client.post(f"/jobs/{job_id}/cancel")
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["cancel_requested"]) == ("running", True)
    await wait_for(cancelled, timeout_s=5)
    job = (await client.get(f"/jobs/{job_id}")).json()
    assert job["history"][-1]["outcome"] == "cancelled" and job["finished_at"]


async def test_cancel_finished_job_is_409(client: httpx.AsyncClient) -> None:
    (job_id,) = await create(client, 1)
    await client.post(f"/jobs/{job_id}/cancel")
    assert_error(await client.post(f"/jobs/{job_id}/cancel"), 409, "JobAlreadyFinished")


async def test_cancel_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.post("/jobs/0123456789abcdef0123-0/cancel"), 404, "JobNotFound")
    assert_error(await client.post("/jobs/nope/cancel"), 404, "JobNotFound")


async def test_batch_creates_every_job_in_order(client: httpx.AsyncClient) -> None:
    jobs = [{"task_type": "echo", "payload": {"n": n}} for n in range(5)]
    r = await client.post("/jobs/batch", json={"jobs": jobs})
    assert r.status_code == 201
    items = r.json()["items"]
    assert [j["payload"]["n"] for j in items] == list(range(5))
    assert {j["status"] for j in items} == {"queued"}


async def test_batch_with_one_unknown_task_type_stores_nothing(client: httpx.AsyncClient) -> None:
    jobs = [{"task_type": "echo"}, {"task_type": "nope"}, {"task_type": "noop"}]
    error = assert_error(
        await client.post("/jobs/batch", json={"jobs": jobs}), 422, "UnknownTaskType"
    )
    assert error["details"]["unknown"] == ["nope"]
    assert (await client.get("/jobs")).json()["items"] == []


async def test_batch_with_one_invalid_job_stores_nothing(client: httpx.AsyncClient) -> None:
    jobs = [{"task_type": "echo"}, {"task_type": "echo", "status": "dead"}]
    error = assert_error(
        await client.post("/jobs/batch", json={"jobs": jobs}), 422, "ValidationError"
    )
    assert error["details"][0]["loc"] == ["body", "jobs", "1", "status"]
    assert (await client.get("/jobs")).json()["items"] == []


async def test_batch_over_max_batch_size_is_422(make_settings: SettingsFactory) -> None:
    async with serve(make_settings(max_batch_size=3)) as c:
        r = await c.post("/jobs/batch", json={"jobs": [{"task_type": "noop"}] * 4})
        assert "at most 3" in assert_error(r, 422, "InvalidRequest")["message"]
        assert (await c.get("/jobs")).json()["items"] == []


async def test_batch_of_1001_is_refused_by_default(client: httpx.AsyncClient) -> None:
    r = await client.post("/jobs/batch", json={"jobs": [{"task_type": "noop"}] * 1001})
    assert_error(r, 422)


async def test_empty_batch_is_422(client: httpx.AsyncClient) -> None:
    assert_error(await client.post("/jobs/batch", json={"jobs": []}), 422, "ValidationError")


async def test_batch_body_over_max_batch_bytes_is_413(make_settings: SettingsFactory) -> None:
    async with serve(make_settings(max_batch_bytes=2_000)) as c:
        jobs = [{"task_type": "echo", "payload": {"a": "x" * 500}}] * 5
        error = assert_error(
            await c.post("/jobs/batch", json={"jobs": jobs}), 413, "PayloadTooLarge"
        )
        assert "MAX_BATCH_BYTES" in error["message"]
