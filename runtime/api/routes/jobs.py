"""Jobs: create (one or a batch), read, list, cancel."""

from __future__ import annotations

import re
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import ORJSONResponse

from runtime.api.deps import BrokerDep, PrincipalDep, RegistryDep, SettingsDep
from runtime.api.jsonbody import JsonRoute
from runtime.api.limits import PayloadTooLarge
from runtime.api.schemas import (
    BatchCreate,
    JobCreate,
    JobDetail,
    JobList,
    JobPage,
    JobPublic,
    errors,
)
from runtime.broker.protocol import JobFilter
from runtime.broker.redis_broker import RedisBroker
from runtime.errors import InvalidCursor, InvalidRequest, UnknownTaskType
from runtime.jobs import JOB_ID_PATTERN, JobStatus
from runtime.tasks.registry import Registry

router = APIRouter(
    prefix="/jobs", tags=["jobs"], route_class=JsonRoute, responses=errors(401, 422, 429, 503)
)
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "idempotency-key",
    "required": False,
    "schema": {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "pattern": IDEMPOTENCY_KEY.pattern,
        "title": "Idempotency-Key",
    },
}
# the pattern is documented, not enforced by FastAPI: a cursor we did not issue is a 400, not a 422
CURSOR = Query(
    max_length=64, json_schema_extra={"pattern": JOB_ID_PATTERN.pattern.replace("\\Z", "$")}
)


def check_task_types(registry: Registry, jobs: list[JobCreate]) -> None:
    """Refuse jobs whose task type has no handler, naming the known ones."""
    unknown = sorted({j.task_type for j in jobs if registry.get(j.task_type) is None})
    if unknown:
        known = registry.names()
        raise UnknownTaskType(
            f"unknown task type {unknown[0]!r}; known types: {', '.join(known)}",
            details={"unknown": unknown, "known": known},
        )


def check_payload_sizes(jobs: list[JobCreate], limit: int) -> None:
    """A batch may be MAX_BATCH_BYTES, but each job's payload is held to MAX_PAYLOAD_BYTES like
    one POST /jobs, or a batch of one would carry what /jobs refuses."""
    for index, job in enumerate(jobs):
        if len(orjson.dumps(job.payload)) > limit:
            raise PayloadTooLarge(
                f"jobs[{index}].payload is larger than {limit} bytes (MAX_PAYLOAD_BYTES)",
                details={"index": index, "limit_bytes": limit},
            )


def check_idempotency_key(key: str | None) -> None:
    """Idempotency keys are 1–200 printable ASCII characters without spaces."""
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidRequest("Idempotency-Key must be 1-200 printable ASCII characters, no spaces")


@router.post(
    "",
    status_code=201,
    response_model=JobPublic,
    responses={
        200: {"model": JobPublic, "description": "replay of an earlier request"},
        **errors(403, 409, 413),
    },
    openapi_extra={"parameters": [IDEMPOTENCY_HEADER]},
)
async def create_job(body: JobCreate, principal: PrincipalDep, http: Request) -> ORJSONResponse:
    """Enqueue a job; repeating an Idempotency-Key returns the first job with 200."""
    # the hot path: one dependency (the caller, resolved before the body is validated) and the
    # rest read from the app's state and headers — each FastAPI dependency or header parameter
    # costs more per request than the whole enqueue's Python work
    principal.require("admin", "submit")
    state = http.app.state
    broker: RedisBroker = state.broker
    registry: Registry = state.registry
    idempotency_key = http.headers.get("idempotency-key")
    check_task_types(registry, [body])
    check_idempotency_key(idempotency_key)
    request = registry.resolve(body.to_request(idempotency_key, principal.tenant))
    (created,) = await broker.enqueue([request])
    # the hot path answers with the job's fields directly: FastAPI would re-validate a model
    status = 201 if created.created else 200
    return ORJSONResponse(JobPublic.fields_of(created.job), status_code=status)


@router.post("/batch", status_code=201, response_model=JobList, responses=errors(403, 413))
async def create_jobs(
    body: BatchCreate,
    broker: BrokerDep,
    registry: RegistryDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> ORJSONResponse:
    """Enqueue up to MAX_BATCH_SIZE jobs; every job is validated before any is stored."""
    principal.require("admin", "submit")
    if len(body.jobs) > settings.max_batch_size:
        raise InvalidRequest(f"at most {settings.max_batch_size} jobs per batch")
    check_payload_sizes(body.jobs, settings.max_payload_bytes)
    check_task_types(registry, body.jobs)
    requests = [registry.resolve(j.to_request(None, principal.tenant)) for j in body.jobs]
    created = await broker.enqueue(requests)
    # the job fields straight to orjson, as POST /jobs does: models per job cost a fifth of a batch
    items = [JobPublic.fields_of(c.job) for c in created]
    return ORJSONResponse({"items": items}, status_code=201)


@router.get("", responses=errors(400))
async def list_jobs(
    broker: BrokerDep,
    principal: PrincipalDep,
    status: JobStatus | None = None,
    task_type: Annotated[str | None, Query(max_length=128)] = None,
    partition_key: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, CURSOR] = None,
) -> JobPage:
    """Jobs newest first, filtered; follow next_cursor for the next page."""
    if cursor is not None and not JOB_ID_PATTERN.fullmatch(cursor):
        raise InvalidCursor("cursor is not one this API issued")
    flt = JobFilter(status, task_type, partition_key, principal.tenant)
    return JobPage.from_page(await broker.list_jobs(flt, limit, cursor))


@router.get("/{job_id}", responses=errors(404))
async def get_job(job_id: str, principal: PrincipalDep, http: Request) -> JobDetail:
    """One job with its last 20 attempts."""
    broker: RedisBroker = http.app.state.broker  # hot path: see create_job
    return JobDetail.from_job(await broker.get(job_id, tenant=principal.tenant))


@router.post("/{job_id}/cancel", responses=errors(403, 404, 409, 413))
async def cancel_job(job_id: str, broker: BrokerDep, principal: PrincipalDep) -> JobPublic:
    """Cancel a job: at once if it waits, cooperatively if it runs (then cancel_requested)."""
    principal.require("admin", "submit")
    return JobPublic.from_job(await broker.cancel(job_id, tenant=principal.tenant))
