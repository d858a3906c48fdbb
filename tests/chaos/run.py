"""One chaos run: servers, API, supervised workers, load, a nemesis, heal, drain, check."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from runtime.broker.keys import queue_keys
from runtime.localserver import LocalServer, free_port
from tests.chaos.checker import Allowed, Sampler, default_allowed
from tests.chaos.generator import Generator, PayloadFn, ledger_body
from tests.chaos.procs import PYTHON, ApiProcess, Supervisor, base_env, stop_process

Nemesis = Callable[["Run"], Awaitable[None]]


@dataclass
class Config:
    """Sizes and switches of one run (CI profile defaults; fast versions shrink them)."""

    rate: float = 200
    duration_s: float = 60
    workers: int = 4
    concurrency: int = 8
    visibility_ms: int = 5_000
    reclaim_ms: int = 1_000
    job_ms: int = 0
    body: PayloadFn | None = None
    effect_mode: str = "guarded"
    worker_env: dict[str, str] = field(default_factory=dict)
    api_env: dict[str, str] = field(default_factory=dict)
    appendonly: bool = False
    appendfsync: str = "everysec"
    server_args: list[str] = field(default_factory=list)
    drain_timeout_s: float = 120
    allowed: Allowed = default_allowed
    restart_exit3: bool = True
    start_workers: bool = True
    http_timeout_s: float = 5.0
    proxy_delay_ms: float | None = None  # clients reach the server through a delaying proxy
    proxy_jitter_ms: float = 0.0
    slot_env: dict[int, dict[str, str]] = field(default_factory=dict)  # per worker slot
    setup: Callable[[Run], Awaitable[None]] | None = None  # extra servers/proxies (R7)
    fast: bool = False  # the fast profile (pytest)


@dataclass
class Run:
    """Everything a nemesis and the checker may touch during one run."""

    config: Config
    folder: Path
    server: LocalServer
    effects: LocalServer
    redis: Redis
    effect_redis: Redis
    prefix: str = "chaos"
    api: ApiProcess | None = None
    workers: Supervisor | None = None
    generator: Generator | None = None
    sampler: Sampler | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    heal: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    proxy_port: int | None = None
    proxy_proc: Any = None
    load_started: float = 0.0
    load_ended: float = 0.0

    def load_left_s(self) -> float:
        """Seconds of load still to come."""
        return self.load_started + self.config.duration_s - time.time()

    @property
    def keys(self) -> Any:
        return queue_keys(self.prefix, "jobs", "dead", 0)

    @property
    def ledger_dir(self) -> Path:
        return self.folder / "ledger"

    @property
    def client_url(self) -> str:
        if self.proxy_port is not None:
            return f"redis://127.0.0.1:{self.proxy_port}/0"
        return self.server.url

    def worker_env(self) -> dict[str, str]:
        c = self.config
        extra = {
            "VISIBILITY_TIMEOUT_MS": str(c.visibility_ms), "RECLAIM_INTERVAL_MS": str(c.reclaim_ms),
            "WORKER_CONCURRENCY": str(c.concurrency), "WORKER_BATCH_SIZE": str(c.concurrency),
            "WORKER_BLOCK_MS": "1000", "HEARTBEAT_INTERVAL_MS": "500",
            "WORKER_SHUTDOWN_GRACE_S": "1" if c.fast else "5",
            "INITIAL_BACKOFF_MS": "100", "MAX_BACKOFF_MS": "1000",
            "LEDGER_DIR": str(self.ledger_dir), "EFFECT_URL": self.effects.url,
            "EFFECT_MODE": c.effect_mode, **c.worker_env,
        }  # fmt: skip
        return base_env(self.client_url, self.prefix, extra)

    def start_workers(self) -> Supervisor:
        self.workers = Supervisor(
            self.worker_env(), self.config.workers, self.folder,
            restart_exit3=self.config.restart_exit3, slot_env=self.config.slot_env,
        ).start()  # fmt: skip
        return self.workers

    async def server_time_ms(self) -> int:
        sec, usec = await self.redis.time()
        return int(sec) * 1000 + int(usec) // 1000


@contextlib.asynccontextmanager
async def open_run(config: Config, keep: bool = False) -> Any:
    """Start servers, API and workers for `config`; stop every process we started on exit."""
    folder = Path(tempfile.mkdtemp(prefix="dtq-chaos-"))
    (folder / "ledger").mkdir()
    server = LocalServer(
        folder / "redis", appendonly=config.appendonly, appendfsync=config.appendfsync,
        extra_args=config.server_args,
    ).start()  # fmt: skip
    effects = LocalServer(folder / "effects", appendonly=False).start()
    redis = Redis.from_url(server.url, decode_responses=True, socket_timeout=2)
    effect_redis = Redis.from_url(effects.url, decode_responses=True, socket_timeout=2)
    run = Run(config, folder, server, effects, redis, effect_redis)
    try:
        if config.proxy_delay_ms is not None:
            start_proxy(run)
        if config.setup is not None:
            await config.setup(run)
        await _start_processes(run)
        yield run
    finally:
        await _teardown(run)
        if not keep and not os.environ.get("CHAOS_KEEP"):
            shutil.rmtree(folder, ignore_errors=True)


async def _start_processes(run: Run) -> None:
    """Workers first (they take longest to import), the API meanwhile; wait for both."""
    if run.config.start_workers:
        run.start_workers()
    env = base_env(run.client_url, run.prefix, run.config.api_env)
    run.api = await asyncio.to_thread(ApiProcess(env, run.folder / "api.log").start)
    if run.config.start_workers:
        await workers_ready(run)


async def workers_ready(run: Run, timeout_s: float = 60) -> None:
    """Wait until every supervised worker has sent its first heartbeat."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if run.workers is not None:
            run.workers.tick()
        want = {s.name for s in run.workers.slots} if run.workers else set()
        live = set(await run.redis.zrange(f"{run.prefix}:workers", 0, -1))
        if want <= live:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"workers did not start within {timeout_s} s")


def start_proxy(run: Run) -> None:
    """The delaying TCP proxy in front of the server (a process of its own)."""
    c = run.config
    run.proxy_port, run.proxy_proc = proxy_process(
        str(run.server.port), c.proxy_delay_ms or 0.0, c.proxy_jitter_ms
    )


def proxy_process(
    targets: str, delay_ms: float = 0.0, jitter_ms: float = 0.0, both: bool = False
) -> tuple[int, subprocess.Popen[bytes]]:
    """Start `python -m tests.chaos.proxy` on a free port; (port, process)."""
    port = free_port()
    cmd = [PYTHON, "-m", "tests.chaos.proxy", str(port), targets,
           "--delay-ms", str(delay_ms), "--jitter-ms", str(jitter_ms)]  # fmt: skip
    if both:
        cmd.append("--both")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    wait_port(port)
    return port, proc


def wait_port(port: int, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


async def _teardown(run: Run) -> None:
    for task in run.extra.pop("_background", []):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if run.workers is not None:
        await asyncio.to_thread(run.workers.stop)
    if run.api is not None:
        await asyncio.to_thread(run.api.stop)
    if run.proxy_proc is not None:
        stop_process(run.proxy_proc, timeout_s=5)
    for fn in run.cleanup:
        fn()
    await run.redis.aclose()
    await run.effect_redis.aclose()
    run.server.stop(kill=True)
    run.effects.stop(kill=True)


async def supervise(run: Run) -> None:
    """Restart exited workers every 100 ms."""
    while True:
        if run.workers is not None:
            run.workers.tick()
        await asyncio.sleep(0.1)


async def load(run: Run, nemesis: Nemesis | None) -> None:
    """Open-loop load with the nemesis alongside; then heal every fault."""
    c = run.config
    run.generator = Generator(
        run.api.url if run.api else "", c.rate, c.duration_s, c.body or ledger_body(c.job_ms),
        timeout_s=c.http_timeout_s,
    )  # fmt: skip
    run.sampler = Sampler(run.redis, run.keys, run.generator.ops)
    run.load_started = time.time()
    background = [asyncio.create_task(supervise(run)), asyncio.create_task(run.sampler.run())]
    try:
        fault = asyncio.create_task(nemesis(run)) if nemesis else None
        await run.generator.run()
        run.load_ended = time.time()
        if fault is not None:
            await fault
    finally:
        for heal in run.heal:
            await heal()
        run.extra["_background"] = background


async def backlog(run: Run) -> int:
    """Stream entries (acked ones are deleted) + PEL + scheduled/retrying jobs already due."""
    keys = run.keys
    now = await run.server_time_ms()
    due = 0
    for zset in (keys.delayed, getattr(keys, "retries", None)):
        if zset:
            due += await run.redis.zcount(zset, "-inf", now)
    pending = await run.redis.xpending(keys.stream, "workers")
    return int(await run.redis.xlen(keys.stream)) + int(pending["pending"]) + due


async def drain(run: Run) -> float:
    """Wait until backlog, PEL and due retries are all 0 (twice in a row) or the timeout."""
    started = time.monotonic()
    calm = 0
    while time.monotonic() - started < run.config.drain_timeout_s:
        try:
            busy = await backlog(run)
        except Exception:  # the server may still be coming back
            busy = 1
        calm = calm + 1 if busy == 0 else 0
        if calm >= 2:
            break
        await asyncio.sleep(0.25)
    for task in run.extra.pop("_background", []):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return time.monotonic() - started
