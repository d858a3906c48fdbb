"""Dead letters: list, replay one or many, purge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from runtime.api.deps import BrokerDep, PrincipalDep
from runtime.api.jsonbody import JsonRoute
from runtime.api.routes.jobs import CURSOR
from runtime.api.schemas import JobList, JobPage, JobPublic, Purged, ReplayCreate, errors
from runtime.errors import InvalidCursor
from runtime.jobs import JOB_ID_PATTERN

router = APIRouter(
    prefix="/dlq",
    tags=["dead letters"],
    route_class=JsonRoute,
    responses=errors(401, 422, 429, 503),
)


@router.get("", responses=errors(400))
async def list_dead(
    broker: BrokerDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, CURSOR] = None,
) -> JobPage:
    """Dead jobs newest first, each with its last error."""
    if cursor is not None and not JOB_ID_PATTERN.fullmatch(cursor):
        raise InvalidCursor("cursor is not one this API issued")
    return JobPage.from_page(await broker.list_dead(limit, cursor, principal.tenant))


@router.post("/replay", responses=errors(403, 404, 409, 413))
async def replay_many(body: ReplayCreate, broker: BrokerDep, principal: PrincipalDep) -> JobList:
    """Re-queue several dead jobs with their attempts reset."""
    principal.require("admin", "submit")
    ids = list(dict.fromkeys(body.ids))  # a repeated id would find its job already replayed
    jobs = await broker.replay(ids, tenant=principal.tenant)
    return JobList(items=[JobPublic.from_job(j) for j in jobs])


@router.post("/{job_id}/replay", responses=errors(403, 404, 409, 413))
async def replay_one(job_id: str, broker: BrokerDep, principal: PrincipalDep) -> JobPublic:
    """Re-queue one dead job with its attempts reset."""
    principal.require("admin", "submit")
    (job,) = await broker.replay([job_id], tenant=principal.tenant)
    return JobPublic.from_job(job)


@router.delete("", responses=errors(403))
async def purge(broker: BrokerDep, principal: PrincipalDep) -> Purged:
    """Delete every dead job (admin keys without a tenant only: the purge spans all tenants)."""
    principal.require("admin")
    principal.require_all_tenants()
    return Purged(purged=await broker.purge_dead())
