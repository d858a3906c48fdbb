"""Job ids, shard placement, the Redis-hash codec and request fingerprints."""

from __future__ import annotations

import os

import pytest

from runtime.jobs import (
    JOB_ID_PATTERN,
    JobRequest,
    JobStatus,
    decode_job,
    nesting_depth,
    new_job_id,
    shard_for_key,
    shard_of_id,
)
from runtime.tasks.registry import Registry


def test_new_job_id_has_time_random_and_shard_parts() -> None:
    job_id = new_job_id(3, now_ms=0x0123456789AB)
    assert JOB_ID_PATTERN.match(job_id)
    assert job_id.startswith("0123456789ab") and job_id.endswith("-3")
    assert len(job_id.split("-")[0]) == 20


def test_new_job_ids_sort_by_time_and_are_unique() -> None:
    ids = [new_job_id(0, now_ms=1_700_000_000_000 + n) for n in range(100)]
    assert ids == sorted(ids)
    assert len(set(new_job_id(0, now_ms=5) for _ in range(1_000))) == 1_000


def test_new_job_id_defaults_to_the_current_time() -> None:
    assert JOB_ID_PATTERN.match(new_job_id(0))


def test_shard_of_id_reads_the_shard_suffix() -> None:
    assert shard_of_id(new_job_id(2), shards=4) == 2
    assert shard_of_id(new_job_id(0), shards=1) == 0


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "abc",
        "0123456789abcdef0123-",
        "0123456789abcdef0123",
        "0123456789ABCDEF0123-0",
        "0123456789abcdef0123-1234",
        "../etc/passwd",
        "x" * 500,
    ],
)
def test_shard_of_id_rejects_malformed_ids(bad: str) -> None:
    assert shard_of_id(bad, shards=4) is None


def test_shard_of_id_rejects_shards_beyond_the_configured_count() -> None:
    assert shard_of_id(new_job_id(4), shards=4) is None
    assert shard_of_id(new_job_id(3), shards=4) == 3


def test_shard_for_key_is_stable_and_in_range() -> None:
    shards = [shard_for_key(f"customer-{n}", 8) for n in range(200)]
    assert shards == [shard_for_key(f"customer-{n}", 8) for n in range(200)]
    assert set(shards) == set(range(8))
    assert shard_for_key("anything", 1) == 0
    assert shard_for_key("customer-1", 8) == 5  # crc32: the same in every process and release


def _raw(**overrides: str) -> dict[str, str]:
    raw = {
        "type": "echo",
        "payload": '{"a":[1,2]}',
        "status": "succeeded",
        "attempts": "2",
        "max_retries": "3",
        "pkey": "p1",
        "created": "1000",
        "updated": "4000",
        "timeout_ms": "1500",
        "started": "2000",
        "finished": "4000",
        "due": "",
        "error": "RuntimeError: x",
        "result": '{"ok":true}',
        "cancel": "0",
        "tenant": "acme",
        "h:1": "w1|2000|2500|retry|x",
        "h:10": "w3|9000",
        "h:2": "w2|3000|4000|succeeded",
    }
    raw.update(overrides)
    return raw


def test_decode_job_reads_every_field() -> None:
    job = decode_job("0123456789abcdef0123-0", _raw())
    assert (job.task_type, job.payload, job.status) == ("echo", {"a": [1, 2]}, JobStatus.SUCCEEDED)
    assert (job.attempts, job.max_retries, job.partition_key) == (2, 3, "p1")
    assert (job.created_ms, job.updated_ms, job.started_ms, job.finished_ms) == (
        1000,
        4000,
        2000,
        4000,
    )
    assert job.timeout_s == 1.5 and job.due_ms is None
    assert (job.last_error, job.result, job.cancel_requested, job.tenant) == (
        "RuntimeError: x",
        {"ok": True},
        False,
        "acme",
    )


def test_decode_job_orders_history_numerically() -> None:
    history = decode_job("0123456789abcdef0123-0", _raw()).history
    assert [a.attempt for a in history] == [1, 2, 10]
    assert (history[0].worker, history[0].started_ms, history[0].finished_ms) == ("w1", 2000, 2500)
    assert (history[0].outcome, history[0].error) == ("retry", "x")
    assert (history[2].finished_ms, history[2].outcome) == (None, None)


def test_decode_job_fills_defaults_for_a_fresh_job() -> None:
    raw = {
        "type": "noop",
        "status": "queued",
        "max_retries": "0",
        "created": "7",
        "timeout_ms": "1000",
    }
    job = decode_job("0123456789abcdef0123-0", raw)
    assert (job.payload, job.attempts, job.updated_ms, job.partition_key) == ({}, 0, 7, None)
    assert (job.result, job.last_error, job.tenant, job.history) == (None, None, None, ())


def test_decode_job_reads_cancel_flag() -> None:
    assert decode_job("0123456789abcdef0123-0", _raw(cancel="1")).cancel_requested


def test_terminal_statuses() -> None:
    terminal = {s for s in JobStatus if s.is_terminal}
    assert terminal == {JobStatus.SUCCEEDED, JobStatus.DEAD, JobStatus.CANCELLED}


def test_fingerprint_is_equal_for_equal_bodies_regardless_of_key_order() -> None:
    a = JobRequest("echo", {"x": 1, "y": [1, 2]}, partition_key="p", idempotency_key="k1")
    b = JobRequest(
        "echo", {"y": [1, 2], "x": 1}, partition_key="p", idempotency_key="k2", tenant="t"
    )
    assert a.fingerprint() == b.fingerprint()


@pytest.mark.parametrize(
    "other",
    [
        JobRequest("noop", {"x": 1}),
        JobRequest("echo", {"x": 2}),
        JobRequest("echo", {"x": 1}, partition_key="p"),
        JobRequest("echo", {"x": 1}, max_retries=1),
        JobRequest("echo", {"x": 1}, timeout_s=5),
        JobRequest("echo", {"x": 1}, delay_ms=10),
        JobRequest("echo", {"x": 1}, initial_backoff_ms=5),
        JobRequest("echo", {"x": 1}, max_backoff_ms=5),
    ],
)
def test_fingerprint_differs_when_the_body_differs(other: JobRequest) -> None:
    assert JobRequest("echo", {"x": 1}).fingerprint() != other.fingerprint()


@pytest.mark.parametrize(
    ("value", "depth"),
    [({}, 1), ({"a": 1, "b": "x"}, 1), ({"a": {"b": [1]}}, 3), ([], 1), (5, 0), ([[{}]], 3)],
)
def test_nesting_depth_counts_lists_and_objects(value: object, depth: int) -> None:
    assert nesting_depth(value) == depth


def test_forked_processes_draw_their_own_id_sequences() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id must not be the parent's next id
        os.write(write, new_job_id(0, now_ms=0).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child_id = os.read(read, 64).decode()
    assert child_id != new_job_id(0, now_ms=0)


def test_resolve_fills_task_defaults_and_leaves_requests_of_plain_tasks_alone() -> None:
    registry = Registry()
    registry.task("plain")(lambda payload: None)
    registry.task("strict", max_retries=7, timeout_s=2.0)(lambda payload: None)
    plain = JobRequest("plain", {})
    assert registry.resolve(plain) is plain
    strict = registry.resolve(JobRequest("strict", {}, timeout_s=9.0))
    assert (strict.max_retries, strict.timeout_s) == (7, 9.0)
