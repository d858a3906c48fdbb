"""Health probes for load balancers and orchestrators (no API key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from runtime.api.deps import BrokerDep
from runtime.api.schemas import Health, errors
from runtime.errors import BrokerUnavailable

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> Health:
    """200 while the process runs."""
    return Health(status="ok")


@router.get("/ready", responses=errors(503))
async def ready(request: Request, broker: BrokerDep) -> Health:
    """200 when Redis answers with our data and the process is not draining; else 503."""
    if request.app.state.draining:
        raise BrokerUnavailable("draining: this instance is shutting down")
    await broker.ping()
    return Health(status="ready")
