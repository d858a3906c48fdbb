"""Metrics: JSON, Prometheus text, and recent activity for charts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from runtime.api.deps import BrokerDep, PrincipalDep
from runtime.api.schemas import (
    MetricsPublic,
    SeriesPointPublic,
    SeriesPublic,
    errors,
    json_errors,
)
from runtime.broker.protocol import QueueStats
from runtime.broker.queries import BUCKET_MS

router = APIRouter(prefix="/metrics", tags=["metrics"], responses=errors(401, 403, 429, 503))

COUNTERS = {
    "created": "Jobs created",
    "completed": "Jobs that succeeded",
    "failed": "Failed attempts",
    "retried": "Retries scheduled",
    "dead": "Jobs dead-lettered",
    "cancelled": "Jobs cancelled",
    "stale": "Settlements refused because another worker had taken the job over",
}


@router.get("")
async def metrics(broker: BrokerDep, principal: PrincipalDep) -> MetricsPublic:
    """Counts by status, DLQ depth, totals, backlog and the age of the oldest queued job."""
    principal.require_all_tenants()
    return MetricsPublic.from_stats(await broker.stats())


@router.get(
    "/prometheus", response_class=PlainTextResponse, responses=json_errors(401, 403, 429, 503)
)
async def prometheus(broker: BrokerDep, principal: PrincipalDep) -> PlainTextResponse:
    """The same figures in Prometheus text exposition format."""
    principal.require_all_tenants()
    return PlainTextResponse(
        render_prometheus(await broker.stats()), media_type="text/plain; version=0.0.4"
    )


@router.get("/timeseries", responses=errors(422))
async def timeseries(
    broker: BrokerDep,
    principal: PrincipalDep,
    window_s: Annotated[int, Query(ge=10, le=3600)] = 600,
) -> SeriesPublic:
    """Created/completed/failed per 10 s bucket and average wait and run times."""
    principal.require_all_tenants()
    points = await broker.series(window_s)
    return SeriesPublic(
        bucket_s=BUCKET_MS // 1000, points=[SeriesPointPublic.from_point(p) for p in points]
    )


def render_prometheus(stats: QueueStats) -> str:
    """QueueStats as Prometheus text (gauges and counters named dtq_*)."""
    lines = ["# HELP dtq_jobs Jobs currently in each status.", "# TYPE dtq_jobs gauge"]
    lines += [f'dtq_jobs{{status="{s}"}} {n}' for s, n in stats.jobs_by_status.items()]
    gauges = {
        "dtq_dlq_depth": ("Dead jobs waiting in the dead-letter stream.", stats.dlq_depth),
        "dtq_queue_backlog": ("Jobs queued and not yet started.", stats.queue_backlog),
        "dtq_oldest_queued_age_seconds": (
            "Age of the oldest undelivered job.",
            stats.oldest_queued_age_s,
        ),
    }
    for name, (help_text, value) in gauges.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]
    for key, help_text in COUNTERS.items():
        name = f"dtq_jobs_{key}_total"
        lines += [
            f"# HELP {name} {help_text}.",
            f"# TYPE {name} counter",
            f"{name} {stats.counters.get(key, 0)}",
        ]
    return "\n".join(lines) + "\n"
