"""Wire models: what the API accepts (…Create) and answers (…Public); extra fields are refused."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from runtime.api.jsonbody import Payload
from runtime.broker.protocol import Page, QueueStats, SeriesPoint, WorkerInfo
from runtime.jobs import Attempt, Job, JobRequest, JobStatus
from runtime.tasks.registry import TaskSpec

TASK_TYPE = r"^[A-Za-z0-9_.:-]{1,128}$"


@functools.lru_cache(maxsize=4096)  # a batch's jobs share their timestamps
def iso(ms: int | None) -> str | None:
    """Epoch milliseconds as ISO-8601 UTC with a Z, or None."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _json_number(value: Any) -> Any:
    """Refuse what pydantic would coerce to a number: `true`/`false` and numeric strings."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON number")
    return value


# for the numbers of request bodies: `false` or `"5"` is refused, `32.0` is the integer 32;
# it goes after the constraints, or they drop out of the JSON schema
NUMBER = BeforeValidator(_json_number)


def at_most(count: int) -> Callable[[Any], Any]:
    """A before-validator refusing a list longer than `count` before its items are validated:
    pydantic checks max_length only after validating every item (10⁶ items: ~40 MB, ~50 ms)."""

    def check(value: Any) -> Any:
        if isinstance(value, list) and len(value) > count:
            raise ValueError(f"at most {count} items")
        return value

    return check


class Strict(BaseModel):
    """Base of request models: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class JobCreate(Strict):
    """A job to enqueue. Omitted limits take the task's defaults, then the queue's."""

    task_type: str = Field(pattern=TASK_TYPE, examples=["echo"])
    payload: Payload = Field(default_factory=dict, examples=[{"hello": "world"}])
    partition_key: str | None = Field(None, min_length=1, max_length=128)
    max_retries: Annotated[int, Field(ge=0, le=100), NUMBER] | None = None
    timeout_s: Annotated[float, Field(gt=0, le=86_400), NUMBER] | None = None
    delay_ms: Annotated[int, Field(ge=0, le=30 * 86_400_000), NUMBER] | None = None
    initial_backoff_ms: Annotated[int, Field(ge=0, le=86_400_000), NUMBER] | None = None
    max_backoff_ms: Annotated[int, Field(ge=0, le=86_400_000), NUMBER] | None = None

    def to_request(self, idempotency_key: str | None, tenant: str | None) -> JobRequest:
        """The domain request for this body."""
        return JobRequest(
            task_type=self.task_type,
            payload=self.payload,
            partition_key=self.partition_key,
            max_retries=self.max_retries,
            timeout_s=self.timeout_s,
            delay_ms=self.delay_ms or 0,
            initial_backoff_ms=self.initial_backoff_ms,
            max_backoff_ms=self.max_backoff_ms,
            idempotency_key=idempotency_key,
            tenant=tenant,
        )


class BatchCreate(Strict):
    """Several jobs enqueued together: all are accepted or none."""

    jobs: Annotated[list[JobCreate], BeforeValidator(at_most(10_000))] = Field(
        min_length=1, max_length=10_000
    )


class AttemptPublic(BaseModel):
    """One attempt of a job."""

    attempt: int
    worker: str
    started_at: str | None
    finished_at: str | None
    outcome: str | None
    error: str | None

    @classmethod
    def from_attempt(cls, a: Attempt) -> AttemptPublic:
        """The wire form of an Attempt."""
        return cls(
            attempt=a.attempt, worker=a.worker, started_at=iso(a.started_ms),
            finished_at=iso(a.finished_ms), outcome=a.outcome, error=a.error,
        )  # fmt: skip


class JobPublic(BaseModel):
    """A job as the API shows it; times are ISO-8601 UTC."""

    id: str
    task_type: str
    payload: dict[str, Any]
    status: JobStatus
    attempts: int
    max_retries: int
    partition_key: str | None
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    scheduled_for: str | None
    last_error: str | None
    result: Any
    timeout_s: float
    cancel_requested: bool

    @classmethod
    def fields_of(cls, job: Job) -> dict[str, Any]:
        """The wire fields of a Job (shared by JobPublic and JobDetail)."""
        return {
            "id": job.id, "task_type": job.task_type,
            "payload": job.payload if isinstance(job.payload, dict) else {"value": job.payload},
            "status": job.status, "attempts": job.attempts, "max_retries": job.max_retries,
            "partition_key": job.partition_key, "created_at": iso(job.created_ms),
            "updated_at": iso(job.updated_ms), "started_at": iso(job.started_ms),
            "finished_at": iso(job.finished_ms), "scheduled_for": iso(job.due_ms),
            "last_error": job.last_error, "result": job.result, "timeout_s": job.timeout_s,
            "cancel_requested": job.cancel_requested,
        }  # fmt: skip

    @classmethod
    def from_job(cls, job: Job) -> JobPublic:
        """The wire form of a Job."""
        return cls(**cls.fields_of(job))


class JobDetail(JobPublic):
    """A job with its attempt history (the last 20 attempts)."""

    history: list[AttemptPublic]

    @classmethod
    def from_job(cls, job: Job) -> JobDetail:
        """The wire form of a Job with history."""
        history = [AttemptPublic.from_attempt(a) for a in job.history]
        return cls(**cls.fields_of(job), history=history)


class JobPage(BaseModel):
    """A page of jobs, newest first; pass next_cursor as `cursor` for the next page."""

    items: list[JobPublic]
    next_cursor: str | None

    @classmethod
    def from_page(cls, page: Page) -> JobPage:
        """The wire form of a Page."""
        return cls(items=[JobPublic.from_job(j) for j in page.items], next_cursor=page.next_cursor)


class JobList(BaseModel):
    """Jobs created or changed together."""

    items: list[JobPublic]


class ReplayCreate(Strict):
    """Dead jobs to replay."""

    ids: Annotated[list[str], BeforeValidator(at_most(1_000))] = Field(
        min_length=1, max_length=1_000
    )


class Purged(BaseModel):
    """How many dead jobs were deleted."""

    purged: int


class TaskPublic(BaseModel):
    """A registered task type with its defaults (null = the queue's default)."""

    name: str
    timeout_s: float | None
    max_retries: int | None
    description: str

    @classmethod
    def from_spec(cls, spec: TaskSpec) -> TaskPublic:
        """The wire form of a TaskSpec."""
        return cls(
            name=spec.name,
            timeout_s=spec.timeout_s,
            max_retries=spec.max_retries,
            description=spec.description,
        )


class TaskList(BaseModel):
    """Every registered task type."""

    items: list[TaskPublic]


class WorkerPublic(BaseModel):
    """A live worker and its counters."""

    name: str
    host: str
    pid: int
    started_at: str | None
    heartbeat_age_s: float
    concurrency: int
    in_flight: int
    processed: int
    failed: int

    @classmethod
    def from_info(cls, w: WorkerInfo, now_ms: int) -> WorkerPublic:
        """The wire form of a heartbeat."""
        return cls(
            name=w.name, host=w.host, pid=w.pid, started_at=iso(w.started_ms),
            heartbeat_age_s=max(0.0, (now_ms - w.heartbeat_ms) / 1000),
            concurrency=w.concurrency, in_flight=w.in_flight, processed=w.processed,
            failed=w.failed,
        )  # fmt: skip


class WorkerList(BaseModel):
    """Live workers."""

    items: list[WorkerPublic]


class MetricsPublic(BaseModel):
    """Queue metrics summed over every shard."""

    jobs_by_status: dict[str, int]
    dlq_depth: int
    jobs_created_total: int
    jobs_completed_total: int
    jobs_failed_attempts_total: int
    jobs_retried_total: int
    jobs_dead_total: int
    jobs_cancelled_total: int
    queue_backlog: int
    oldest_queued_age_s: float

    @classmethod
    def from_stats(cls, s: QueueStats) -> MetricsPublic:
        """The wire form of QueueStats."""
        c = s.counters
        return cls(
            jobs_by_status=s.jobs_by_status, dlq_depth=s.dlq_depth,
            jobs_created_total=c.get("created", 0), jobs_completed_total=c.get("completed", 0),
            jobs_failed_attempts_total=c.get("failed", 0), jobs_retried_total=c.get("retried", 0),
            jobs_dead_total=c.get("dead", 0), jobs_cancelled_total=c.get("cancelled", 0),
            queue_backlog=s.queue_backlog, oldest_queued_age_s=s.oldest_queued_age_s,
        )  # fmt: skip


class SeriesPointPublic(BaseModel):
    """Activity in one bucket: counts and average wait (enqueue→start) and run times."""

    t: str
    created: int
    completed: int
    failed: int
    avg_wait_ms: float | None
    avg_run_ms: float | None

    @classmethod
    def from_point(cls, p: SeriesPoint) -> SeriesPointPublic:
        """The wire form of a SeriesPoint."""
        return cls(
            t=iso(p.start_ms) or "", created=p.created, completed=p.completed, failed=p.failed,
            avg_wait_ms=round(p.wait_ms_sum / p.started, 2) if p.started else None,
            avg_run_ms=round(p.run_ms_sum / p.finished, 2) if p.finished else None,
        )  # fmt: skip


class SeriesPublic(BaseModel):
    """Recent activity, oldest bucket first."""

    bucket_s: int
    points: list[SeriesPointPublic]


class InfoPublic(BaseModel):
    """What the dashboard needs to know about this deployment."""

    version: str
    environment: str
    dev_routes: bool
    auth_required: bool
    shards: int


class GenerateCreate(Strict):
    """Ask the dev generator for `count` jobs."""

    count: Annotated[int, Field(ge=1, le=100_000), NUMBER] = 100
    task_type: str = Field("synthetic", pattern=TASK_TYPE)
    partition_key_prefix: str | None = Field(None, max_length=64)
    payload_template: Payload = Field(default_factory=dict)


class GeneratePublic(BaseModel):
    """How many jobs the generator enqueued, and the first ids."""

    count: int
    ids: list[str]


class ErrorDetail(BaseModel):
    """What went wrong: a stable code, a sentence, and structured details."""

    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer has this body."""

    error: ErrorDetail


ERROR_DESCRIPTIONS = {
    400: "Malformed request (e.g. a cursor this API did not issue)",
    401: "No API key, or one that is not configured",
    403: "The key's role or tenant may not do this",
    404: "No such job (or another tenant's)",
    409: "Conflict with the job's state or an earlier Idempotency-Key",
    413: "Request body larger than MAX_PAYLOAD_BYTES / MAX_BATCH_BYTES",
    422: "Invalid request: each invalid field with where it is and what is wrong",
    429: "Rate limit of this key exceeded; see Retry-After",
    503: "The queue's server is unreachable or out of memory; see Retry-After",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the one error body."""
    return {s: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[s]} for s in statuses}


def json_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The same, for routes whose own answers are not JSON (their errors still are)."""
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    return {s: {"description": ERROR_DESCRIPTIONS[s], "content": content} for s in statuses}


class Health(BaseModel):
    """A health probe's answer."""

    status: Literal["ok", "ready"]
