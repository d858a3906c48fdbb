"""Broker Protocol: all that worker/ and api/ may ask of a queue, and the values it trades in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from runtime.jobs import Job, JobRequest, JobStatus, Outcome


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt handed to a worker: enough to run the handler and settle the result."""

    job_id: str
    attempt: int
    task_type: str
    payload: Any
    timeout_s: float
    max_retries: int
    initial_backoff_ms: int | None
    max_backoff_ms: int | None
    deliveries: int
    cancel_requested: bool = False


@dataclass(frozen=True, slots=True)
class Settlement:
    """How one attempt ended, as the worker reports it (value: result JSON or error text)."""

    job_id: str
    attempt: int
    outcome: Outcome
    value: str = ""
    delay_ms: int = 0


@dataclass(frozen=True, slots=True)
class Reclaimed:
    """Entries taken over from stalled consumers: attempts lost mid-run, and never-started ones."""

    lost: list[Delivery]
    fresh: list[Delivery]


@dataclass(frozen=True, slots=True)
class JobFilter:
    """What GET /jobs may narrow a listing by."""

    status: JobStatus | None = None
    task_type: str | None = None
    partition_key: str | None = None
    tenant: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of jobs, newest first, and the cursor of the next page (None at the end)."""

    items: list[Job]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Created:
    """The answer to one enqueue: the job and whether this call created it (False = replay)."""

    job: Job
    created: bool


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Counts from every shard summed: the one source of truth for every metrics format."""

    jobs_by_status: dict[str, int]
    dlq_depth: int
    counters: dict[str, int]
    queue_backlog: int
    oldest_queued_age_s: float


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """Activity in one 10 s bucket of the recent past."""

    start_ms: int
    created: int = 0
    completed: int = 0
    failed: int = 0
    wait_ms_sum: int = 0
    started: int = 0
    run_ms_sum: int = 0
    finished: int = 0


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """A live worker's heartbeat."""

    name: str
    host: str
    pid: int
    started_ms: int
    heartbeat_ms: int
    concurrency: int
    in_flight: int
    processed: int
    failed: int
    extra: dict[str, Any] = field(default_factory=dict)


class Broker(Protocol):
    """The queue as the API and the worker see it; RedisBroker is the implementation."""

    async def enqueue(self, requests: Sequence[JobRequest]) -> list[Created]: ...
    async def get(self, job_id: str, *, tenant: str | None = None) -> Job: ...
    async def list_jobs(self, flt: JobFilter, limit: int, cursor: str | None) -> Page: ...
    async def cancel(self, job_id: str, *, tenant: str | None = None) -> Job: ...
    async def list_dead(self, limit: int, cursor: str | None, tenant: str | None) -> Page: ...
    async def replay(self, job_ids: Sequence[str], *, tenant: str | None = None) -> list[Job]: ...
    async def purge_dead(self) -> int: ...
    async def stats(self) -> QueueStats: ...
    async def series(self, window_s: int) -> list[SeriesPoint]: ...
    async def workers(self) -> list[WorkerInfo]: ...
    async def ping(self) -> None: ...

    async def claim(self, consumer: str, count: int) -> list[Delivery]: ...
    async def read(self, consumer: str, count: int, block_ms: int) -> list[Delivery]: ...
    async def settle(self, consumer: str, settlements: Sequence[Settlement]) -> list[bool]: ...
    async def renew(self, consumer: str, job_ids: Sequence[str]) -> list[str]: ...
    async def reclaim(self, consumer: str, min_idle_ms: int, count: int) -> Reclaimed: ...
    async def promote_due(self, limit: int) -> int: ...
    async def sweep_expired(self, limit: int) -> int: ...
    async def hand_back(self, consumer: str) -> int: ...
    async def remove_idle_consumers(self, idle_ms: int, only: str = "") -> int: ...
    async def heartbeat(self, info: WorkerInfo, ttl_ms: int) -> None: ...
    async def forget_worker(self, name: str) -> None: ...
    async def check_epoch(self) -> None: ...
    def cancellations(self) -> AsyncIterator[str]: ...
