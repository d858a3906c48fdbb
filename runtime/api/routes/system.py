"""What is running: task types, live workers, deployment facts for the dashboard."""

from __future__ import annotations

import time

from fastapi import APIRouter

from runtime.api.deps import BrokerDep, PrincipalDep, RegistryDep, SettingsDep
from runtime.api.schemas import InfoPublic, TaskList, TaskPublic, WorkerList, WorkerPublic, errors

router = APIRouter(tags=["system"], responses=errors(401, 429))
VERSION = "0.1.0"


@router.get("/tasks")
async def tasks(registry: RegistryDep, principal: PrincipalDep) -> TaskList:
    """Registered task types with their defaults."""
    return TaskList(items=[TaskPublic.from_spec(s) for s in registry.specs()])


@router.get("/workers", responses=errors(403, 503))
async def workers(broker: BrokerDep, principal: PrincipalDep) -> WorkerList:
    """Workers whose heartbeat is fresh, with in-flight and processed counts."""
    principal.require_all_tenants()
    now_ms = int(time.time() * 1000)
    return WorkerList(items=[WorkerPublic.from_info(w, now_ms) for w in await broker.workers()])


@router.get("/info")
async def info(settings: SettingsDep, principal: PrincipalDep) -> InfoPublic:
    """Version, environment and which optional features are on."""
    return InfoPublic(
        version=VERSION, environment=settings.environment,
        dev_routes=not settings.is_production, auth_required=bool(settings.api_keys),
        shards=settings.shards,
    )  # fmt: skip
