"""S7: a key sending at 3× RATE_LIMIT_PER_S gets 429 with Retry-After past rate × window + burst,
while another key's normal load is never limited."""

from __future__ import annotations

import asyncio
import time

import httpx

from runtime.api.auth import new_key
from tests.conftest import SettingsFactory
from tests.integration.test_api import serve
from tests.security.conftest import Figures

NOISY, NOISY_ENTRY = new_key("read")
CALM, CALM_ENTRY = new_key("read")
RATE = 50  # RATE_LIMIT_PER_S
BURST = 20  # RATE_LIMIT_BURST
WINDOW_S = 3.0
CALM_RATE = 10  # the other key's requests per second (well under its limit)


async def open_loop(
    client: httpx.AsyncClient, key: str, rate: float, duration_s: float
) -> list[tuple[httpx.Response, float]]:
    """Send at a fixed rate whatever the answers (open loop): each response and its latency."""
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(at: float) -> tuple[httpx.Response, float]:
        await asyncio.sleep(max(0.0, at - loop.time()))
        sent = time.perf_counter()
        r = await client.get("/jobs", params={"limit": 5}, headers={"X-API-Key": key})
        return r, (time.perf_counter() - sent) * 1000

    count = int(rate * duration_s)
    return await asyncio.gather(*(one(start + i / rate) for i in range(count)))


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def test_s7_rate_limit_per_key(make_settings: SettingsFactory, figures: Figures) -> None:
    settings = make_settings(
        api_keys=f"{NOISY_ENTRY},{CALM_ENTRY}", rate_limit_per_s=RATE, rate_limit_burst=BURST
    )
    async with serve(settings) as client:
        baseline = await open_loop(client, CALM, CALM_RATE, 1.0)
        started = time.monotonic()
        noisy, calm = await asyncio.gather(
            open_loop(client, NOISY, 3 * RATE, WINDOW_S),
            open_loop(client, CALM, CALM_RATE, WINDOW_S),
        )
        window_s = time.monotonic() - started  # covers the server's span: an upper bound
    accepted = sum(r.status_code == 200 for r, _ in noisy)
    limited = [r for r, _ in noisy if r.status_code == 429]
    retry_after = all(int(r.headers.get("Retry-After", "0")) >= 1 for r in limited)
    allowed = RATE * window_s + BURST
    calm_limited = sum(r.status_code == 429 for r, _ in calm + baseline)
    baseline_p99 = p99([ms for _, ms in baseline])
    calm_p99 = p99([ms for _, ms in calm])
    figures(
        f"S7 rate={RATE}/s burst={BURST} sent={len(noisy)} window_s={window_s:.2f}"
        f" accepted_over_window={accepted} allowed={allowed:.0f} status_429={len(limited)}"
        f" retry_after_present={retry_after} other_key_429={calm_limited}"
        f" other_key_p99_ms={calm_p99:.1f} other_key_baseline_p99_ms={baseline_p99:.1f}"
    )
    assert accepted + len(limited) == len(noisy)
    assert accepted <= allowed
    assert len(limited) > 0 and retry_after
    assert all(r.json()["error"]["code"] == "RateLimited" for r in limited[:5])
    assert calm_limited == 0 and all(r.status_code == 200 for r, _ in calm)
