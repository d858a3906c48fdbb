"""WAIT_REPLICAS: a job is acknowledged (201) only once a replica has it; fewer acknowledgements
than asked answer 503, and the client's retry with the same Idempotency-Key returns the job."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from runtime.localserver import LocalServer
from tests.conftest import SettingsFactory, api_client


def wait_until_replicating(primary: LocalServer, replica: LocalServer) -> None:
    """Block until the replica's link to the primary is up (or fail after 10 s)."""
    deadline = time.monotonic() + 10
    with redis.Redis(port=replica.port) as r:
        while r.info("replication").get("master_link_status") != "up":
            assert time.monotonic() < deadline, "the replica never synced with the primary"
            time.sleep(0.05)


@pytest.fixture
def primary_and_replica() -> Iterator[tuple[LocalServer, LocalServer]]:
    """A primary and one replica of it, each a server of the test's own."""
    with tempfile.TemporaryDirectory(prefix="dtq-repl-") as folder:
        primary = LocalServer(Path(folder) / "primary", appendonly=False).start()
        replica = LocalServer(
            Path(folder) / "replica",
            appendonly=False,
            extra_args=["--replicaof", "127.0.0.1", str(primary.port)],
        )
        try:
            replica.start()
            wait_until_replicating(primary, replica)
            yield primary, replica
        finally:
            if replica.pid is not None:
                os.kill(replica.pid, signal.SIGCONT)
            replica.stop(kill=True)
            primary.stop(kill=True)


async def test_fewer_replica_acks_than_asked_answer_503_and_the_retry_returns_the_job(
    primary_and_replica: tuple[LocalServer, LocalServer], make_settings: SettingsFactory
) -> None:
    primary, replica = primary_and_replica
    settings = make_settings(redis_url=primary.url, wait_replicas=1, wait_timeout_ms=100)
    async with api_client(settings) as c:
        job = {"task_type": "noop"}
        replicated = await c.post("/jobs", json=job, headers={"Idempotency-Key": "first"})
        assert replicated.status_code == 201, replicated.text

        assert replica.pid is not None
        os.kill(replica.pid, signal.SIGSTOP)  # the replica stops acknowledging: WAIT times out
        try:
            refused = await c.post("/jobs", json=job, headers={"Idempotency-Key": "second"})
        finally:
            os.kill(replica.pid, signal.SIGCONT)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"]
        error = refused.json()["error"]
        assert error["code"] == "ReplicationTimeout"
        assert error["details"]["replicas_acknowledged"] == 0
        (job_id,) = error["details"]["job_ids"]

        retried = await c.post("/jobs", json=job, headers={"Idempotency-Key": "second"})
        assert retried.status_code == 200, retried.text  # the first request's job, now replicated
        assert retried.json()["id"] == job_id


async def test_wait_on_a_server_that_turned_replica_answers_503_not_500(
    primary_and_replica: tuple[LocalServer, LocalServer], make_settings: SettingsFactory
) -> None:
    # a failover can turn the server a replica between the job's write and WAIT: WAIT then
    # fails ("cannot be used with replica instances"); a writable replica shows it at once
    _, replica = primary_and_replica
    with redis.Redis(port=replica.port) as r:
        r.config_set("replica-read-only", "no")
    settings = make_settings(redis_url=replica.url, wait_replicas=1, wait_timeout_ms=100)
    async with api_client(settings) as c:
        answer = await c.post("/jobs", json={"task_type": "noop"})
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "BrokerUnavailable"
