"""Job, JobRequest, JobStatus and job ids: frozen dataclasses and their codec, no I/O."""

from __future__ import annotations

import enum
import hashlib
import os
import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson

JOB_ID_PATTERN = re.compile(r"^[0-9a-f]{20}-[0-9]{1,3}\Z")
MAX_PAYLOAD_DEPTH = 64  # orjson cannot write past 255 levels; a job's JSON wraps its payload


class JobStatus(enum.StrEnum):
    """Where a job is in its life; the last three are terminal."""

    QUEUED = "queued"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    DEAD = "dead"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """Whether the job will never run again (unless replayed from the DLQ)."""
        return self in (JobStatus.SUCCEEDED, JobStatus.DEAD, JobStatus.CANCELLED)


class Outcome(enum.StrEnum):
    """How one attempt ended; the one-letter values are what settle.lua reads."""

    SUCCEEDED = "s"
    RETRY = "r"
    DEAD = "d"
    CANCELLED = "c"


@dataclass(frozen=True, slots=True)
class JobRequest:
    """Everything a caller may say about a new job; the queue fills in the rest."""

    task_type: str
    payload: Any = field(default_factory=dict)
    partition_key: str | None = None
    max_retries: int | None = None
    timeout_s: float | None = None
    delay_ms: int = 0
    initial_backoff_ms: int | None = None
    max_backoff_ms: int | None = None
    idempotency_key: str | None = None
    tenant: str | None = None

    def fingerprint(self) -> str:
        """A digest of the request body, to tell a replay from a conflicting reuse of a key."""
        body = (
            self.task_type,
            self.payload,
            self.partition_key,
            self.max_retries,
            self.timeout_s,
            self.delay_ms,
            self.initial_backoff_ms,
            self.max_backoff_ms,
        )
        canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha1(canonical, usedforsecurity=False).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One run of a job: who ran it, when, and how it ended (None while running)."""

    attempt: int
    worker: str
    started_ms: int
    finished_ms: int | None = None
    outcome: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A job as stored: request, state and outcome. Times are epoch milliseconds (server clock)."""

    id: str
    task_type: str
    payload: Any
    status: JobStatus
    attempts: int
    max_retries: int
    partition_key: str | None
    created_ms: int
    updated_ms: int
    timeout_s: float
    started_ms: int | None = None
    finished_ms: int | None = None
    due_ms: int | None = None
    last_error: str | None = None
    result: Any = None
    cancel_requested: bool = False
    tenant: str | None = None
    history: tuple[Attempt, ...] = ()


def nesting_depth(value: Any) -> int:
    """How deeply lists and objects nest in a JSON value (a scalar is 0), without recursion."""
    if type(value) is dict:  # the common flat payload (or {}) without the walk below
        for v in value.values():
            if isinstance(v, dict | list):
                break
        else:
            return 1
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is not None:
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in children)
    return deepest


class _IdCounter:
    """32 low bits of job ids: a counter from a random start, reseeded in every process (so
    forked API workers do not share a sequence). Unique within a process; enqueue.lua refuses
    an id that exists anyway, so a cross-process coincidence is retried, never overwrites."""

    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        self.value = int.from_bytes(os.urandom(4), "big")

    def next(self) -> int:
        self.value = (self.value + 1) & 0xFFFFFFFF
        return self.value


_ids = _IdCounter()
os.register_at_fork(after_in_child=_ids.reseed)


def new_job_id(shard: int, now_ms: int | None = None) -> str:
    """A time-ordered id that names its shard: 12 hex ms + 8 hex sequence + '-' + shard."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    return f"{ms:012x}{_ids.next():08x}-{shard}"


def shard_of_id(job_id: str, shards: int) -> int | None:
    """The shard a well-formed id lives on, or None when the id cannot be one of ours."""
    if not JOB_ID_PATTERN.match(job_id):
        return None
    shard = int(job_id.rsplit("-", 1)[1])
    return shard if shard < shards else None


def shard_for_key(key: str, shards: int) -> int:
    """The shard a partition (or idempotency) key maps to: stable across processes."""
    return zlib.crc32(key.encode()) % shards if shards > 1 else 0


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def decode_job(job_id: str, raw: dict[str, str]) -> Job:
    """Build a Job from its Redis hash (field names as written by the Lua scripts)."""
    history = tuple(
        decode_attempt(int(name[2:]), raw[name])
        for name in sorted((k for k in raw if k.startswith("h:")), key=lambda k: int(k[2:]))
    )
    return Job(
        id=job_id,
        task_type=raw["type"],
        payload=orjson.loads(raw.get("payload", "{}")),
        status=JobStatus(raw["status"]),
        attempts=int(raw.get("attempts", "0")),
        max_retries=int(raw["max_retries"]),
        partition_key=raw.get("pkey") or None,
        created_ms=int(raw["created"]),
        updated_ms=int(raw.get("updated") or raw["created"]),
        timeout_s=int(raw["timeout_ms"]) / 1000,
        started_ms=_int(raw.get("started")),
        finished_ms=_int(raw.get("finished")),
        due_ms=_int(raw.get("due")),
        last_error=raw.get("error") or None,
        result=orjson.loads(raw["result"]) if raw.get("result") else None,
        cancel_requested=raw.get("cancel") == "1",
        tenant=raw.get("tenant") or None,
        history=history,
    )


def decode_attempt(attempt: int, text: str) -> Attempt:
    """An Attempt from `worker|started_ms[|finished_ms|outcome[|error]]` (start/settle.lua)."""
    parts = text.split("|", 4)
    return Attempt(
        attempt=attempt,
        worker=parts[0],
        started_ms=int(parts[1]),
        finished_ms=int(parts[2]) if len(parts) > 2 else None,
        outcome=parts[3] if len(parts) > 3 else None,
        error=parts[4] if len(parts) > 4 else None,
    )
