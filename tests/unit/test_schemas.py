"""Wire models: ISO times, refused unknown fields, field limits."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from runtime.api.jsonbody import MAX_PAYLOAD_DEPTH, nesting_depth
from runtime.api.schemas import BatchCreate, GenerateCreate, JobCreate, JobDetail, JobPublic, iso
from runtime.jobs import Attempt, Job, JobStatus


def test_iso_formats_milliseconds_in_utc_with_z() -> None:
    assert iso(0) == "1970-01-01T00:00:00.000Z"
    assert iso(1_700_000_000_123) == "2023-11-14T22:13:20.123Z"
    assert iso(None) is None


def test_job_create_defaults() -> None:
    body = JobCreate(task_type="echo")
    assert body.payload == {} and body.delay_ms is None
    request = body.to_request("key", "acme")
    assert (request.delay_ms, request.idempotency_key, request.tenant) == (0, "key", "acme")


@pytest.mark.parametrize("field", ["status", "id", "attempts", "tenant", "result"])
def test_job_create_refuses_unknown_fields(field: str) -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        JobCreate.model_validate({"task_type": "echo", field: "x"})


@pytest.mark.parametrize(
    "values",
    [
        {"task_type": ""},
        {"task_type": "has space"},
        {"task_type": "x" * 129},
        {"task_type": "echo", "payload": [1]},
        {"task_type": "echo", "payload": "s"},
        {"task_type": "echo", "max_retries": -1},
        {"task_type": "echo", "max_retries": 101},
        {"task_type": "echo", "timeout_s": 0},
        {"task_type": "echo", "timeout_s": 86_401},
        {"task_type": "echo", "delay_ms": -1},
        {"task_type": "echo", "partition_key": ""},
        {"task_type": "echo", "partition_key": "p" * 129},
        {"task_type": "echo", "max_retries": "x"},
    ],
)
def test_job_create_enforces_limits(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        JobCreate.model_validate(values)


def test_batch_needs_at_least_one_job_and_forbids_extras() -> None:
    with pytest.raises(ValidationError):
        BatchCreate.model_validate({"jobs": []})
    with pytest.raises(ValidationError):
        BatchCreate.model_validate({"jobs": [{"task_type": "echo"}], "atomic": False})


def test_generate_count_is_bounded() -> None:
    assert GenerateCreate().count == 100
    with pytest.raises(ValidationError):
        GenerateCreate(count=100_001)
    with pytest.raises(ValidationError):
        GenerateCreate(count=0)


def _job(**overrides: Any) -> Job:
    values: dict[str, Any] = {
        "id": "0123456789abcdef0123-0",
        "task_type": "echo",
        "payload": {"a": 1},
        "status": JobStatus.SUCCEEDED,
        "attempts": 1,
        "max_retries": 3,
        "partition_key": None,
        "created_ms": 1_000,
        "updated_ms": 2_000,
        "timeout_s": 30.0,
        "started_ms": 1_500,
        "finished_ms": 2_000,
        "history": (Attempt(1, "w1", 1_500, 2_000, "succeeded"),),
    }
    values.update(overrides)
    return Job(**values)


def test_job_public_has_the_contract_fields_with_iso_times() -> None:
    wire = JobPublic.from_job(_job()).model_dump(mode="json")
    contract = {
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
    assert contract <= wire.keys()
    assert wire["created_at"] == "1970-01-01T00:00:01.000Z" and wire["status"] == "succeeded"
    assert "history" not in wire and "tenant" not in wire


def test_job_detail_carries_history() -> None:
    wire = JobDetail.from_job(_job()).model_dump(mode="json")
    assert wire["history"] == [
        {
            "attempt": 1,
            "worker": "w1",
            "started_at": "1970-01-01T00:00:01.500Z",
            "finished_at": "1970-01-01T00:00:02.000Z",
            "outcome": "succeeded",
            "error": None,
        }
    ]


def test_non_object_payload_is_wrapped() -> None:
    assert JobPublic.from_job(_job(payload=[1, 2])).payload == {"value": [1, 2]}


def test_nesting_depth_counts_lists_and_objects() -> None:
    assert nesting_depth(1) == 0 and nesting_depth({}) == 1
    assert nesting_depth({"a": [1, {"b": []}], "c": 2}) == 4
    deep: Any = []
    for _ in range(5_000):
        deep = [deep]
    assert nesting_depth(deep) == 5_001


def test_payload_deeper_than_the_cap_is_refused() -> None:
    nested: Any = {}
    for _ in range(MAX_PAYLOAD_DEPTH - 1):
        nested = {"a": nested}
    assert JobCreate(task_type="echo", payload=nested).payload == nested
    with pytest.raises(ValidationError, match=f"deeper than {MAX_PAYLOAD_DEPTH}"):
        JobCreate(task_type="echo", payload={"a": nested})
    with pytest.raises(ValidationError):
        GenerateCreate(payload_template={"a": nested})
