"""POST /jobs and GET /jobs/{id} end to end: the job shape, idempotency, and every refusal."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.worker.loop import Worker
from tests.conftest import SettingsFactory, api_client, wait_for

JSON = {"content-type": "application/json"}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
JOB_FIELDS = {
    "id",
    "task_type",
    "payload",
    "status",
    "attempts",
    "max_retries",
    "partition_key",
    "created_at",
    "updated_at",
    "started_at",
    "finished_at",
    "last_error",
    "result",
}
StartWorker = Callable[..., Awaitable[Worker]]


@contextlib.asynccontextmanager
async def serve(settings: Settings, **headers: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client over an app of its own (for settings the `client` fixture does not have)."""
    broker = RedisBroker(settings)
    await broker.bootstrap()
    async with api_client(settings, broker, headers=headers) as client:
        yield client


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Check the one error body shape and return its `error` object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]  # type: ignore[no-any-return]


async def test_create_job_answers_201_with_the_full_job(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/jobs",
        json={
            "task_type": "echo",
            "payload": {"x": [1, "a"]},
            "partition_key": "p1",
            "max_retries": 2,
            "timeout_s": 5,
        },
    )
    assert r.status_code == 201
    job = r.json()
    assert job.keys() >= JOB_FIELDS
    assert (job["task_type"], job["payload"], job["status"]) == ("echo", {"x": [1, "a"]}, "queued")
    assert (job["attempts"], job["max_retries"], job["partition_key"]) == (0, 2, "p1")
    assert ISO_Z.match(job["created_at"]) and ISO_Z.match(job["updated_at"])
    assert job["started_at"] is job["finished_at"] is job["last_error"] is job["result"] is None
    assert job["timeout_s"] == 5


async def test_defaults_come_from_the_settings(client: httpx.AsyncClient) -> None:
    job = (await client.post("/jobs", json={"task_type": "noop"})).json()
    assert (job["payload"], job["max_retries"], job["partition_key"]) == ({}, 3, None)


async def test_delayed_job_is_scheduled(client: httpx.AsyncClient) -> None:
    job = (await client.post("/jobs", json={"task_type": "noop", "delay_ms": 60_000})).json()
    assert job["status"] == "scheduled" and ISO_Z.match(job["scheduled_for"])


async def test_idempotency_key_replay_returns_200_and_the_same_job(
    client: httpx.AsyncClient,
) -> None:
    body = {"task_type": "echo", "payload": {"n": 1}}
    first = await client.post("/jobs", json=body, headers={"Idempotency-Key": "order-17"})
    again = await client.post("/jobs", json=body, headers={"Idempotency-Key": "order-17"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    listed = (await client.get("/jobs")).json()["items"]
    assert [j["id"] for j in listed] == [first.json()["id"]]


async def test_idempotency_key_with_another_body_is_a_conflict(client: httpx.AsyncClient) -> None:
    await client.post("/jobs", json={"task_type": "echo"}, headers={"Idempotency-Key": "k1"})
    r = await client.post(
        "/jobs",
        json={"task_type": "echo", "payload": {"other": True}},
        headers={"Idempotency-Key": "k1"},
    )
    assert_error(r, 409, "IdempotencyConflict")


@pytest.mark.parametrize("key", ["has space", "k" * 201, "tab\there", "é"])
async def test_malformed_idempotency_key_is_refused(client: httpx.AsyncClient, key: str) -> None:
    r = await client.post(
        "/jobs", json={"task_type": "echo"}, headers={"Idempotency-Key": key.encode()}
    )
    assert "Idempotency-Key" in assert_error(r, 422, "InvalidRequest")["message"]


async def test_idempotency_key_of_200_characters_is_accepted(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/jobs", json={"task_type": "echo"}, headers={"Idempotency-Key": "k" * 200}
    )
    assert r.status_code == 201


async def test_unknown_task_type_is_refused_naming_known_types(client: httpx.AsyncClient) -> None:
    error = assert_error(
        await client.post("/jobs", json={"task_type": "nope"}), 422, "UnknownTaskType"
    )
    assert "nope" in error["message"]
    for name in ("noop", "echo", "sleep", "fail", "flaky", "synthetic"):
        assert name in error["message"] and name in error["details"]["known"]


@pytest.mark.parametrize("field", ["status", "id", "attempts", "result", "tenant"])
async def test_unknown_fields_are_refused_not_mass_assigned(
    client: httpx.AsyncClient, field: str
) -> None:
    r = await client.post("/jobs", json={"task_type": "echo", field: "succeeded"})
    error = assert_error(r, 422, "ValidationError")
    assert error["details"][0]["loc"] == ["body", field]


@pytest.mark.parametrize(
    "body",
    [
        {"task_type": 5},
        {"task_type": "echo", "payload": [1]},
        {"task_type": "echo", "payload": "x"},
        {"task_type": "echo", "max_retries": "many"},
        {"task_type": "echo", "max_retries": -1},
        {"task_type": "echo", "timeout_s": 0},
        {"task_type": "echo", "delay_ms": 1.5},
        {"task_type": "echo", "partition_key": 7},
        {},
        [],
        "echo",
        None,
    ],
)
async def test_wrong_types_are_refused_with_422(client: httpx.AsyncClient, body: Any) -> None:
    assert_error(await client.post("/jobs", json=body), 422, "ValidationError")


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"task_type": "echo"',
        b'{"task_type":"echo","payload":{"a":NaN}}',
        b'{"task_type":"echo","payload":{"a":1e999}}',
        b'{"task_type":"echo","payload":{"a":"\\ud800"}}',
        b"\xff\xfe",
    ],
)
async def test_malformed_json_is_a_422_json_body(client: httpx.AsyncClient, raw: bytes) -> None:
    error = assert_error(
        await client.post("/jobs", content=raw, headers=JSON), 422, "ValidationError"
    )
    assert error["message"].startswith("body is not valid JSON")


async def test_deeply_nested_json_is_refused_not_a_500(client: httpx.AsyncClient) -> None:
    deep = b'{"task_type":"echo","payload":{"a":' + b"[" * 10_000 + b"]" * 10_000 + b"}}"
    assert_error(await client.post("/jobs", content=deep, headers=JSON), 422)


@pytest.mark.parametrize("depth", [64, 254, 900])
async def test_payload_nesting_past_64_levels_is_refused(
    client: httpx.AsyncClient, depth: int
) -> None:
    deep = b'{"task_type":"echo","payload":{"a":' + b"[" * depth + b"]" * depth + b"}}"
    error = assert_error(await client.post("/jobs", content=deep, headers=JSON), 422)
    assert "64 levels" in error["message"]
    assert (await client.get("/jobs")).status_code == 200


async def test_payload_nested_60_levels_is_stored_and_readable(client: httpx.AsyncClient) -> None:
    nested: Any = 1
    for _ in range(59):
        nested = [nested]
    r = await client.post("/jobs", json={"task_type": "echo", "payload": {"a": nested}})
    assert r.status_code == 201
    assert (await client.get(f"/jobs/{r.json()['id']}")).json()["payload"] == {"a": nested}


async def test_integers_beyond_64_bits_do_not_break_storage(client: httpx.AsyncClient) -> None:
    raw = b'{"task_type":"echo","payload":{"a":18446744073709551616}}'
    r = await client.post("/jobs", content=raw, headers=JSON)
    assert r.status_code == 201 and r.json()["payload"]["a"] == pytest.approx(2.0**64)


async def test_body_without_content_type_is_parsed_as_json(client: httpx.AsyncClient) -> None:
    assert (await client.post("/jobs", content=b'{"task_type":"noop"}')).status_code == 201


@pytest.mark.parametrize("chunked", [False, True])
async def test_body_over_max_payload_bytes_is_413(
    make_settings: SettingsFactory, chunked: bool
) -> None:
    raw = b'{"task_type":"echo","payload":{"a":"' + b"x" * 2_000 + b'"}}'

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 500):
            yield raw[start : start + 500]

    async with serve(make_settings(max_payload_bytes=1024)) as c:
        r = await c.post("/jobs", content=stream() if chunked else raw, headers=JSON)
        assert ("content-length" in r.request.headers) is not chunked
        error = assert_error(r, 413, "PayloadTooLarge")
        assert error["details"] == {"limit_bytes": 1024}
        small = await c.post("/jobs", json={"task_type": "echo", "payload": {"a": "x" * 900}})
        assert small.status_code == 201


async def test_get_job_shows_history_after_a_worker_ran_it(
    client: httpx.AsyncClient, settings: Settings, start_worker: StartWorker
) -> None:
    body = {"task_type": "flaky", "payload": {"fail_times": 1}, "max_retries": 2}
    job_id = (await client.post("/jobs", json=body)).json()["id"]
    worker = await start_worker(settings, name="w-hist")

    async def succeeded() -> bool:
        return (await client.get(f"/jobs/{job_id}")).json()["status"] == "succeeded"

    await wait_for(succeeded)
    job = (await client.get(f"/jobs/{job_id}")).json()
    assert job["attempts"] == 2 and job["result"] == {"succeeded_on_attempt": 2}
    assert ISO_Z.match(job["started_at"]) and ISO_Z.match(job["finished_at"])
    first, second = job["history"]
    assert (first["attempt"], first["outcome"], second["outcome"]) == (1, "failed", "succeeded")
    assert "planned failures" in first["error"] and second["error"] is None
    assert first["worker"] == second["worker"] == worker.name
    assert ISO_Z.match(first["started_at"]) and ISO_Z.match(second["finished_at"])


@pytest.mark.parametrize(
    "job_id",
    ["0123456789abcdef0123-0", "0123456789abcdef0123-9", "zzz", "..%2F..%2Fetc", "a" * 300],
)
async def test_unknown_or_malformed_job_id_is_404_json(
    client: httpx.AsyncClient, job_id: str
) -> None:
    assert_error(await client.get(f"/jobs/{job_id}"), 404)


async def test_unknown_method_on_a_route_is_405_json(client: httpx.AsyncClient) -> None:
    assert_error(await client.put("/jobs"), 405, "MethodNotAllowed")
    assert_error(await client.delete("/jobs/0123456789abcdef0123-0"), 405, "MethodNotAllowed")
    assert_error(await client.get("/jobs/batch/x"), 404, "NotFound")
