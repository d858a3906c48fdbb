"""Dead letters, tasks, workers, info, metrics and the dev generator end to end."""

from __future__ import annotations

import httpx
import pytest

from runtime.api.app import create_app
from runtime.api.auth import new_key
from runtime.config import Settings
from runtime.worker.loop import Worker
from tests.conftest import SettingsFactory, wait_for
from tests.integration.test_api import ISO_Z, StartWorker, assert_error, serve


async def dead_job(client: httpx.AsyncClient, message: str = "boom") -> str:
    """Enqueue a `fail` job with no retries and return its id (a worker must be running)."""
    body = {"task_type": "fail", "payload": {"message": message}, "max_retries": 0}
    job_id: str = (await client.post("/jobs", json=body)).json()["id"]

    async def is_dead() -> bool:
        return (await client.get(f"/jobs/{job_id}")).json()["status"] == "dead"

    await wait_for(is_dead)
    return job_id


async def stop(client: httpx.AsyncClient, worker: Worker) -> None:
    """Stop a worker and wait until it has left (so it reads nothing more)."""
    worker.stop()

    async def gone() -> bool:
        items = (await client.get("/workers")).json()["items"]
        return all(w["name"] != worker.name for w in items)

    await wait_for(gone)


async def test_dead_job_is_listed_in_dlq_with_its_last_error(
    client: httpx.AsyncClient, settings: Settings, start_worker: StartWorker
) -> None:
    await start_worker(settings)
    job_id = await dead_job(client, "no such customer")
    page = (await client.get("/dlq")).json()
    assert [j["id"] for j in page["items"]] == [job_id] and page["next_cursor"] is None
    (dead,) = page["items"]
    assert dead["attempts"] == 1 and dead["status"] == "dead"
    assert dead["last_error"] == "RuntimeError: no such customer"
    metrics = (await client.get("/metrics")).json()
    assert metrics["dlq_depth"] == 1 and metrics["jobs_dead_total"] == 1


async def test_replay_one_requeues_it_with_attempts_reset(
    client: httpx.AsyncClient, settings: Settings, start_worker: StartWorker
) -> None:
    worker = await start_worker(settings)
    job_id = await dead_job(client)
    await stop(client, worker)
    r = await client.post(f"/dlq/{job_id}/replay")
    assert r.status_code == 200
    assert (r.json()["id"], r.json()["status"], r.json()["attempts"]) == (job_id, "queued", 0)
    assert (await client.get("/dlq")).json()["items"] == []
    assert_error(await client.post(f"/dlq/{job_id}/replay"), 409, "JobAlreadyFinished")


async def test_replay_many_and_purge(
    client: httpx.AsyncClient, settings: Settings, start_worker: StartWorker
) -> None:
    worker = await start_worker(settings)
    ids = [await dead_job(client), await dead_job(client), await dead_job(client)]
    await stop(client, worker)
    r = await client.post("/dlq/replay", json={"ids": [ids[0], ids[1], ids[0]]})
    assert r.status_code == 200
    assert sorted(j["id"] for j in r.json()["items"]) == sorted(ids[:2])
    assert {j["status"] for j in r.json()["items"]} == {"queued"}
    assert (await client.delete("/dlq")).json() == {"purged": 1}
    assert (await client.get("/dlq")).json()["items"] == []
    assert (await client.get("/metrics")).json()["dlq_depth"] == 0


async def test_replay_of_unknown_or_malformed_ids_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.post("/dlq/0123456789abcdef0123-0/replay"), 404, "JobNotFound")
    assert_error(await client.post("/dlq/replay", json={"ids": ["nope"]}), 404, "JobNotFound")
    assert_error(await client.post("/dlq/replay", json={"ids": []}), 422, "ValidationError")


async def test_dlq_pagination_refuses_bad_cursor_and_limit(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/dlq", params={"cursor": "bad"}), 400, "InvalidCursor")
    assert_error(await client.get("/dlq", params={"limit": "0"}), 422, "ValidationError")


async def test_tasks_lists_the_built_ins_with_defaults(client: httpx.AsyncClient) -> None:
    items = {t["name"]: t for t in (await client.get("/tasks")).json()["items"]}
    assert {"noop", "echo", "sleep", "fail", "flaky", "synthetic"} <= items.keys()
    assert set(items["echo"]) == {"name", "timeout_s", "max_retries", "description"}
    assert items["echo"]["description"] == "Returns its payload as the result."
    assert items["test.task_defaults"]["max_retries"] == 1


async def test_workers_shows_a_running_worker_with_heartbeat_age(
    client: httpx.AsyncClient, settings: Settings, start_worker: StartWorker
) -> None:
    worker = await start_worker(settings, name="w-visible")

    async def listed() -> bool:
        items = (await client.get("/workers")).json()["items"]
        return any(w["name"] == worker.name for w in items)

    await wait_for(listed)
    (w,) = (await client.get("/workers")).json()["items"]
    assert 0 <= w["heartbeat_age_s"] < 5 and ISO_Z.match(w["started_at"])
    assert (w["in_flight"], w["concurrency"]) == (0, settings.worker_concurrency)
    assert w["pid"] > 0 and w["host"]


async def test_info_describes_the_deployment(client: httpx.AsyncClient) -> None:
    info = (await client.get("/info")).json()
    assert info == {
        "version": info["version"],
        "environment": "development",
        "dev_routes": True,
        "auth_required": False,
        "shards": 1,
    }


async def test_metrics_count_jobs_by_status_and_totals(
    client: httpx.AsyncClient, settings: Settings, start_worker: StartWorker
) -> None:
    await client.post("/jobs/batch", json={"jobs": [{"task_type": "noop"}] * 3})
    queued = (await client.post("/jobs", json={"task_type": "noop", "delay_ms": 60_000})).json()
    await client.post(f"/jobs/{queued['id']}/cancel")
    m = (await client.get("/metrics")).json()
    assert set(m) == {
        "jobs_by_status",
        "dlq_depth",
        "jobs_created_total",
        "jobs_completed_total",
        "jobs_failed_attempts_total",
        "jobs_retried_total",
        "jobs_dead_total",
        "jobs_cancelled_total",
        "queue_backlog",
        "oldest_queued_age_s",
    }
    assert m["jobs_by_status"]["queued"] == 3 and m["jobs_by_status"]["cancelled"] == 1
    assert (m["jobs_created_total"], m["jobs_cancelled_total"], m["queue_backlog"]) == (4, 1, 3)
    assert m["oldest_queued_age_s"] >= 0
    await start_worker(settings)

    async def drained() -> bool:
        return (await client.get("/metrics")).json()["jobs_completed_total"] == 3

    await wait_for(drained)
    m = (await client.get("/metrics")).json()
    assert m["queue_backlog"] == 0 and m["jobs_by_status"]["succeeded"] == 3


async def test_prometheus_text_carries_the_same_figures(client: httpx.AsyncClient) -> None:
    await client.post("/jobs/batch", json={"jobs": [{"task_type": "noop"}] * 2})
    r = await client.get("/metrics/prometheus")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert "# TYPE dtq_jobs_created_total counter" in r.text
    assert "dtq_jobs_created_total 2\n" in r.text and 'dtq_jobs{status="queued"} 2\n' in r.text
    assert "dtq_queue_backlog 2\n" in r.text


async def test_timeseries_buckets_recent_activity(client: httpx.AsyncClient) -> None:
    await client.post("/jobs/batch", json={"jobs": [{"task_type": "noop"}] * 4})
    series = (await client.get("/metrics/timeseries", params={"window_s": "60"})).json()
    assert series["bucket_s"] == 10 and 6 <= len(series["points"]) <= 7
    assert sum(p["created"] for p in series["points"]) == 4
    assert all(ISO_Z.match(p["t"]) for p in series["points"])
    times = [p["t"] for p in series["points"]]
    assert times == sorted(times)


@pytest.mark.parametrize("window_s", ["9", "3601", "x"])
async def test_timeseries_window_out_of_range_is_422(
    client: httpx.AsyncClient, window_s: str
) -> None:
    r = await client.get("/metrics/timeseries", params={"window_s": window_s})
    assert_error(r, 422, "ValidationError")


async def test_generate_jobs_enqueues_in_batches_and_answers_202(client: httpx.AsyncClient) -> None:
    body = {
        "count": 1_500,
        "task_type": "noop",
        "partition_key_prefix": "gen-",
        "payload_template": {"tag": "load"},
    }
    r = await client.post("/dev/generate-jobs", json=body)
    assert r.status_code == 202
    assert r.json()["count"] == 1_500 and len(r.json()["ids"]) == 10
    job = (await client.get(f"/jobs/{r.json()['ids'][0]}")).json()
    assert job["payload"] == {"tag": "load", "n": 0} and job["partition_key"] == "gen-0"
    assert (await client.get("/metrics")).json()["jobs_created_total"] == 1_500


@pytest.mark.parametrize(
    "body", [{"count": 0}, {"count": 100_001}, {"task_type": "nope"}, {"speed": 1}]
)
async def test_generate_jobs_refuses_bad_requests(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    assert_error(await client.post("/dev/generate-jobs", json=body), 422)


async def test_production_hides_dev_routes_and_docs(make_settings: SettingsFactory) -> None:
    key, entry = new_key("admin")
    async with serve(
        make_settings(environment="production", api_keys=entry), **{"X-API-Key": key}
    ) as c:
        assert_error(await c.post("/dev/generate-jobs", json={"count": 1}), 404)
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert_error(await c.get(path), 404, "NotFound")
        assert (await c.get("/info")).json()["dev_routes"] is False


async def test_development_serves_docs_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    assert "/jobs" in (await client.get("/openapi.json")).json()["paths"]


def test_production_without_api_keys_refuses_to_start(make_settings: SettingsFactory) -> None:
    with pytest.raises(SystemExit, match="API_KEYS"):
        create_app(make_settings(environment="production"))


def test_malformed_api_keys_stop_start_up_naming_the_variable(
    make_settings: SettingsFactory,
) -> None:
    with pytest.raises(SystemExit, match="API_KEYS"):
        create_app(make_settings(api_keys="sha256:nothex:admin"))
