"""Outages: workers keep retrying and resume, accepted jobs survive a restart (AOF), a worker
starts on a server out of memory, and a cut-off server answers 503 within the Redis timeout."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.errors import BrokerUnavailable
from runtime.jobs import JobRequest, JobStatus
from runtime.localserver import LocalServer
from tests.conftest import SettingsFactory, api_client, wait_for
from tests.integration.test_worker import wait_status


def settings_for(server: LocalServer) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        redis_url=server.url, queue_prefix="outage", worker_block_ms=100,
        redis_timeout_ms=300, heartbeat_interval_ms=200, log_level="ERROR",
    )  # fmt: skip


async def test_worker_resumes_after_server_restart_and_no_job_is_lost(
    private_server: LocalServer, start_worker
) -> None:
    settings = settings_for(private_server)
    broker = RedisBroker(settings)
    await broker.bootstrap()
    await start_worker(settings)
    (before,) = await broker.enqueue([JobRequest("echo", {"n": 1})])
    await wait_status(broker, before.job.id, JobStatus.SUCCEEDED)
    await broker.enqueue([JobRequest("noop", delay_ms=400)])  # accepted, not yet runnable
    private_server.stop(kill=True)
    try:
        await broker.enqueue([JobRequest("noop")])
        raise AssertionError("enqueue must fail while the server is down")
    except BrokerUnavailable:
        pass
    await asyncio.sleep(0.5)
    restarted = LocalServer(
        Path(private_server.data_dir),
        port=private_server.port,
        appendonly=True,
        appendfsync="always",
    ).start()
    private_server.process = restarted.process
    (after,) = await broker.enqueue([JobRequest("echo", {"n": 2})])
    await wait_status(broker, after.job.id, JobStatus.SUCCEEDED, timeout_s=10)

    async def all_done() -> bool:
        return (await broker.stats()).jobs_by_status["succeeded"] == 3

    await wait_for(all_done, timeout_s=10)
    await broker.close()


async def fill_until_out_of_memory(broker: RedisBroker) -> int:
    """Enqueue 8 KB jobs until the server refuses them as out of memory; how many it accepted."""
    accepted = 0
    while accepted < 10_000:
        try:
            await broker.enqueue([JobRequest("noop", {"pad": "x" * 8_000}) for _ in range(10)])
        except BrokerUnavailable as exc:
            refusal = str(exc)
            break
        accepted += 10
    else:
        raise AssertionError("the server never ran out of memory")
    assert "out of memory" in refusal, refusal
    return accepted


async def test_worker_starts_and_drains_while_the_server_is_out_of_memory(start_worker) -> None:
    with tempfile.TemporaryDirectory(prefix="dtq-oom-") as folder:
        full = LocalServer(Path(folder), appendonly=False, extra_args=["--maxmemory", "4mb"])
        full.start()
        try:
            settings = settings_for(full)
            producer = RedisBroker(settings)
            await producer.bootstrap()
            assert await fill_until_out_of_memory(producer) > 0
            # a worker (re)started now bootstraps (groups and epoch exist: nothing to write)
            await start_worker(settings)

            async def some_ran() -> bool:
                return (await producer.stats()).jobs_by_status["succeeded"] > 0

            await wait_for(some_ran, timeout_s=10)
            await producer.close()
        finally:
            full.stop(kill=True)


class Blackhole:
    """A TCP proxy on loopback that forwards to a server until cut(), then drops every byte both
    ways: a network cut as the client sees it (connections go silent, new ones never hear back)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.is_cut = False
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    async def serve(self) -> asyncio.Server:
        return await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        while chunk := await src.read(65536):
            if not self.is_cut:
                dst.write(chunk)
                await dst.drain()

    async def close(self) -> None:
        for writer in self._writers:
            writer.close()
        for handler in self._handlers:
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)


@contextlib.asynccontextmanager
async def blackhole(target_port: int) -> AsyncIterator[tuple[Blackhole, str]]:
    """A Blackhole in front of target_port and its redis:// URL; closed afterwards."""
    proxy = Blackhole(target_port)
    server = await proxy.serve()
    port = server.sockets[0].getsockname()[1]
    try:
        yield proxy, f"redis://127.0.0.1:{port}/0"
    finally:
        server.close()
        await proxy.close()


async def test_cut_from_the_server_every_request_answers_503_within_the_timeout(
    server: LocalServer, make_settings: SettingsFactory
) -> None:
    timeout_s = 0.25
    async with blackhole(server.port) as (proxy, url):
        settings = make_settings(redis_url=url, redis_timeout_ms=int(timeout_s * 1000))
        async with api_client(settings) as c:
            job = {"task_type": "noop"}
            warm = await asyncio.gather(*(c.post("/jobs", json=job) for _ in range(5)))
            assert [r.status_code for r in warm] == [201] * 5  # pooled connections exist
            proxy.is_cut = True

            async def timed_post() -> tuple[httpx.Response, float]:
                started = time.monotonic()
                answer = await c.post("/jobs", json=job)
                return answer, time.monotonic() - started

            answers = await asyncio.gather(*(timed_post() for _ in range(20)))
    assert {r.status_code for r, _ in answers} == {503}
    assert {r.json()["error"]["code"] for r, _ in answers} == {"BrokerUnavailable"}
    assert all(r.headers["Retry-After"] for r, _ in answers)
    # about one timeout each (6× allowed on a shared box); a timed-out command was sent again, and
    # each new connection waited for the connect of the one before: the 20th took ~20 × 250 ms
    slowest = max(s for _, s in answers)
    assert slowest < 6 * timeout_s, f"slowest 503 after {slowest:.2f} s"
