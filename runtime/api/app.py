"""create_app(settings, broker): routers, lifespan, limits, error handlers, the dashboard."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from types import FrameType
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import ORJSONResponse
from fastapi.staticfiles import StaticFiles

from runtime.api.auth import parse_keys
from runtime.api.errors import install_error_handlers
from runtime.api.limits import BodyLimit
from runtime.api.ratelimit import RateLimiter
from runtime.api.routes import dev, dlq, health, jobs, metrics, system
from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.errors import BrokerUnavailable, InvalidRequest
from runtime.tasks.registry import REGISTRY, Registry

log = logging.getLogger("dtq.api")


def create_app(
    settings: Settings, broker: RedisBroker | None = None, registry: Registry = REGISTRY
) -> FastAPI:
    """The control-plane app; production refuses to start without API keys."""
    try:
        api_keys = parse_keys(settings.api_keys)
    except InvalidRequest as exc:
        raise SystemExit(f"invalid configuration:\n  API_KEYS: {exc}") from None
    if settings.is_production and not api_keys:
        raise SystemExit("ENVIRONMENT=production needs API_KEYS (see `python -m runtime.api.auth`)")
    docs = not settings.is_production
    app = FastAPI(
        title="DTQ control plane",
        version=system.VERSION,
        default_response_class=ORJSONResponse,
        lifespan=_lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.openapi = functools.partial(_openapi_with_security, app)  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.broker = broker or RedisBroker(settings)
    app.state.registry = registry
    app.state.api_keys = api_keys
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
    app.state.draining = False
    for module in (jobs, dlq, metrics, system, health):
        app.include_router(module.router)
    if not settings.is_production:
        app.include_router(dev.router)
    install_error_handlers(app)
    app.add_middleware(
        BodyLimit,
        limit_bytes=settings.max_payload_bytes,
        batch_limit_bytes=settings.max_batch_bytes,
    )
    if settings.frontend_origin:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[settings.frontend_origin],
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Idempotency-Key"],
        )
    ui = Path(settings.ui_dist_dir)
    if (ui / "index.html").exists():
        app.mount("/", StaticFiles(directory=ui, html=True), name="ui")
    return app


SECURITY_SCHEMES = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "An API key (`python -m runtime.api.auth <role> [tenant]`)"},
    "Bearer": {"type": "http", "scheme": "bearer", "description": "The same key as a bearer token"},
}  # fmt: skip


def _openapi_with_security(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus how to authenticate: either scheme, on every route but /health.
    (get_principal reads the headers itself, so the schemes are declared here, once.) The batch
    size is this deployment's MAX_BATCH_SIZE, not the model's ceiling."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)
        components = schema.setdefault("components", {})
        components["securitySchemes"] = SECURITY_SCHEMES
        batch = components.get("schemas", {}).get("BatchCreate", {}).get("properties", {})
        if "jobs" in batch:
            batch["jobs"]["maxItems"] = app.state.settings.max_batch_size
        for path, operations in schema["paths"].items():
            if not path.startswith("/health/"):
                for operation in operations.values():
                    operation["security"] = [{"ApiKey": []}, {"Bearer": []}]
    return app.openapi_schema or {}


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    broker: RedisBroker = app.state.broker
    # bootstrap before serving when the server answers; otherwise keep trying in the background
    # (readiness answers 503 until it succeeds, so no traffic arrives before)
    bootstrapper = asyncio.create_task(_bootstrap_until_up(broker))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(bootstrapper), 2.0)
    _drain_on_sigterm(app)
    try:
        yield
    finally:
        bootstrapper.cancel()
        # let a bootstrap cut off mid-command finish unwinding before its connection is closed
        with contextlib.suppress(asyncio.CancelledError):
            await bootstrapper
        await broker.close()


async def _bootstrap_until_up(broker: RedisBroker) -> None:
    while True:
        try:
            await broker.bootstrap()
            return
        except BrokerUnavailable as exc:
            log.warning("queue server not reachable yet, retrying: %s", exc)
            await asyncio.sleep(1.0)


def _drain_on_sigterm(app: FastAPI) -> None:
    """Answer /health/ready with 503 from SIGTERM on, then let the server shut down after
    API_DRAIN_DELAY_S, so a load balancer stops sending before connections close."""
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous) or threading.current_thread() is not threading.main_thread():
        return  # no server handler to wrap, or a server in a thread (signals are main-only)
    delay_s = app.state.settings.api_drain_delay_s
    loop = asyncio.get_running_loop()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        app.state.draining = True
        log.info("SIGTERM: draining for %.1f s before shutdown", delay_s)
        loop.call_soon_threadsafe(loop.call_later, delay_s, _forward, previous, signum)

    signal.signal(signal.SIGTERM, on_sigterm)


def _forward(handler: Any, signum: int) -> None:
    handler(signum, None)
