"""S12: 200 slowloris connections (a request trickled 1 byte / 10 s) against a uvicorn process
with --limit-concurrency and --timeout-keep-alive: normal requests still succeed (p99 printed
against a baseline), and past the concurrency limit new requests get a quick 503, not a hang."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest

from tests.conftest import SettingsFactory
from tests.security.conftest import Figures, api_env, api_process

SLOW = 200
LIMIT = 300  # --limit-concurrency: connections + tasks before uvicorn answers 503
TRICKLE_S = 10.0
HOLD_S = 11.0  # long enough for every slow client to trickle its second byte
REQUEST = b"GET /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: nobody\r\n\r\n"
ANSWER_503_S = 2.0


class Slowloris:
    """Connections that each send a request one byte every TRICKLE_S, never finishing it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.writers: list[asyncio.StreamWriter] = []
        self.sent = 0

    async def open(self, count: int) -> None:
        for _ in range(count):
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(REQUEST[:1])
            await writer.drain()
            self.writers.append(writer)
            self.sent += 1

    async def trickle(self, until: float) -> None:
        position = 1
        while time.monotonic() + TRICKLE_S < until and position < len(REQUEST) - 1:
            await asyncio.sleep(TRICKLE_S)
            for writer in self.writers:
                writer.write(REQUEST[position : position + 1])
                self.sent += 1
            position += 1

    async def close(self, count: int | None = None) -> None:
        closing = self.writers[-count:] if count else list(self.writers)
        self.writers = self.writers[: len(self.writers) - len(closing)]
        for writer in closing:
            writer.close()
        for writer in closing:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def normal_load(client: httpx.AsyncClient, seconds: float, rate: float) -> list[float]:
    """Requests at `rate` per second for `seconds`; each latency (ms). Each must be a 200."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        r = await client.get("/jobs", params={"limit": 5})
        assert r.status_code == 200, r.text[:200]
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(max(0.0, 1 / rate - latencies[-1] / 1000))
    return latencies


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@pytest.mark.timeout(90)
async def test_s12_slow_clients_do_not_starve_normal_ones(
    make_settings: SettingsFactory, figures: Figures
) -> None:
    uvicorn_args = ("--limit-concurrency", str(LIMIT), "--timeout-keep-alive", "5")
    with api_process(api_env(make_settings()), *uvicorn_args) as api:
        slow = Slowloris(api.port)
        try:
            async with httpx.AsyncClient(base_url=api.base_url, timeout=10) as client:
                baseline = await normal_load(client, 2.0, 50)
                await slow.open(SLOW)
                loaded, _ = await asyncio.gather(
                    normal_load(client, HOLD_S, 50), slow.trickle(time.monotonic() + HOLD_S)
                )
                # past the limit: every new request is refused at once
                await slow.open(LIMIT - SLOW)
                async with httpx.AsyncClient(base_url=api.base_url, timeout=10) as fresh:
                    started = time.monotonic()
                    over = await fresh.get("/jobs")
                    over_s = time.monotonic() - started
                await slow.close(LIMIT - SLOW)
                await asyncio.sleep(0.2)  # the server notices the closed connections
                after = await client.get("/jobs")
        finally:
            await slow.close()
        alive = api.process.poll() is None
    ratio = p99(loaded) / p99(baseline)
    figures(
        f"S12 slow_connections={SLOW} slow_bytes_sent={slow.sent} limit_concurrency={LIMIT}"
        f" baseline_p99_ms={p99(baseline):.1f} normal_p99_ms={p99(loaded):.1f}"
        f" ratio={ratio:.2f} normal_requests={len(loaded)} normal_failures=0"
        f" over_limit_status={over.status_code} over_limit_answer_s={over_s:.3f}"
        f" after_status={after.status_code}"
    )
    assert over.status_code == 503 and over_s < ANSWER_503_S
    assert after.status_code == 200 and alive
