"""Fixtures: a real Valkey/Redis server on a free loopback port; a key prefix per test."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.api.app import create_app
from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.localserver import LocalServer
from runtime.tasks.registry import REGISTRY, load_task_modules
from runtime.worker.loop import Worker

load_task_modules(["tests.tasks"])
_prefixes = itertools.count()


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    """One server for the session; tests stay apart by key prefix (no FLUSHALL)."""
    with tempfile.TemporaryDirectory(prefix="dtq-test-") as folder:
        srv = LocalServer(Path(folder), appendonly=False).start()
        yield srv
        srv.stop()


@pytest.fixture
def private_server() -> Iterator[LocalServer]:
    """A server of the test's own, for fault tests that kill or restart it."""
    with tempfile.TemporaryDirectory(prefix="dtq-fault-") as folder:
        srv = LocalServer(Path(folder), appendonly=True, appendfsync="always").start()
        yield srv
        srv.stop(kill=True)


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(server: LocalServer) -> SettingsFactory:
    """Settings on the session server under a fresh key prefix, with fast test timings."""
    prefix = f"t{next(_prefixes)}"

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "redis_url": server.url,
            "queue_prefix": prefix,
            "initial_backoff_ms": 20,
            "max_backoff_ms": 200,
            "visibility_timeout_ms": 2_000,
            "reclaim_interval_ms": 100,
            "heartbeat_interval_ms": 200,
            "worker_block_ms": 100,
            "worker_shutdown_grace_s": 2.0,
            "log_level": "WARNING",
            "ui_dist_dir": "/nonexistent",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    """Default test settings (one shard)."""
    return make_settings()


@pytest.fixture
async def broker(settings: Settings) -> AsyncIterator[RedisBroker]:
    """A bootstrapped broker on the test's prefix."""
    b = RedisBroker(settings)
    await b.bootstrap()
    yield b
    await b.close()


@pytest.fixture
async def start_worker() -> AsyncIterator[Callable[..., Awaitable[Worker]]]:
    """Start in-process workers (asyncio tasks); they are stopped and awaited after the test."""
    running: list[tuple[Worker, asyncio.Task[int], RedisBroker]] = []

    async def start(settings: Settings, name: str | None = None) -> Worker:
        b = RedisBroker(settings)
        await b.bootstrap()
        worker = Worker(b, REGISTRY, settings, name=name)
        running.append((worker, asyncio.create_task(worker.run()), b))
        return worker

    yield start
    for worker, task, b in running:
        worker.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 15)
        await b.close()


@contextlib.asynccontextmanager
async def api_client(
    settings: Settings, broker: RedisBroker | None = None, **options: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for a fresh app (in-process ASGI transport, lifespan run, real broker);
    options go to httpx.AsyncClient (e.g. headers)."""
    app = create_app(settings, broker=broker or RedisBroker(settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://dtq.test", **options
        ) as c:
            yield c


@pytest.fixture
async def client(settings: Settings, broker: RedisBroker) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app (in-process ASGI transport, real broker)."""
    async with api_client(settings) as c:
        yield c


async def wait_for(
    check: Callable[[], Awaitable[bool]], timeout_s: float = 10.0, interval_s: float = 0.02
) -> None:
    """Poll `check` until it is true; fail the test after timeout_s."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(interval_s)
