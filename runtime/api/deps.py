"""Annotated dependencies: the broker, settings, registry and the calling principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from runtime.api.auth import ANONYMOUS_ADMIN, Principal, authenticate
from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.tasks.registry import Registry


async def get_broker(request: Request) -> RedisBroker:
    """The process's broker, created in the app's lifespan."""
    broker: RedisBroker = request.app.state.broker
    return broker


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_registry(request: Request) -> Registry:
    """The task registry (for validating task types)."""
    registry: Registry = request.app.state.registry
    return registry


async def get_principal(request: Request) -> Principal:
    """Who calls: from `Authorization: Bearer <key>` or `X-API-Key`; admin when auth is off."""
    keys = request.app.state.api_keys
    if not keys:
        return ANONYMOUS_ADMIN
    # headers read directly rather than as Header() parameters: this runs on every request
    authorization = request.headers.get("authorization")
    presented = request.headers.get("x-api-key")
    if authorization and authorization.lower().startswith("bearer "):
        presented = authorization[7:].strip()
    principal = authenticate(keys, presented)
    request.app.state.rate_limiter.check(presented or "")
    return principal


BrokerDep = Annotated[RedisBroker, Depends(get_broker)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
