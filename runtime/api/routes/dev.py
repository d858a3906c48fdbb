"""Dev-only job generator (absent when ENVIRONMENT=production)."""

from __future__ import annotations

from fastapi import APIRouter

from runtime.api.deps import BrokerDep, PrincipalDep, RegistryDep
from runtime.api.jsonbody import JsonRoute
from runtime.api.routes.jobs import check_task_types
from runtime.api.schemas import GenerateCreate, GeneratePublic, JobCreate, errors
from runtime.jobs import JobRequest

router = APIRouter(
    prefix="/dev",
    tags=["dev"],
    route_class=JsonRoute,
    responses=errors(401, 403, 413, 422, 429, 503),
)
BATCH = 1_000


@router.post("/generate-jobs", status_code=202)
async def generate_jobs(
    body: GenerateCreate, broker: BrokerDep, registry: RegistryDep, principal: PrincipalDep
) -> GeneratePublic:
    """Enqueue `count` jobs of one task type in batches of 1000 (payload gets an `n` field)."""
    principal.require("admin")
    check_task_types(registry, [JobCreate(task_type=body.task_type)])
    first: list[str] = []
    for start in range(0, body.count, BATCH):
        requests = [
            registry.resolve(
                JobRequest(
                    task_type=body.task_type,
                    payload={**body.payload_template, "n": n},
                    partition_key=(
                        f"{body.partition_key_prefix}{n % 16}"
                        if body.partition_key_prefix
                        else None
                    ),
                    tenant=principal.tenant,
                )
            )
            for n in range(start, min(start + BATCH, body.count))
        ]
        created = await broker.enqueue(requests)
        if not first:
            first = [c.job.id for c in created[:10]]
    return GeneratePublic(count=body.count, ids=first)
