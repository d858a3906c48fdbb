"""execute(): the life of one delivery test — run, load + nemesis, heal, drain, check, report."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tests.chaos.report import Result, common_figures
from tests.chaos.run import Config, Nemesis, Run, drain, load, open_run

After = Callable[[Run, Result], Awaitable[None]]


@dataclass(frozen=True)
class Profile:
    """How big a run is: `fast` in pytest, `ci` for make chaos, `long` for --long."""

    name: str
    scale: float  # multiplies durations and counts of the CI profile

    def n(self, ci_value: float, minimum: float = 1) -> float:
        return max(minimum, ci_value * self.scale)

    @property
    def fast(self) -> bool:
        return self.name == "fast"


# The catalogue's CI load is 200 jobs/s. One Python generator (httpx) plus API, 4 workers and the
# servers share 2 cores here with other engineers' runs; 100 jobs/s is what this box sustains
# without the generator itself becoming the bottleneck. CHAOS_RATE=200 restores the catalogue.
CI_RATE = float(os.environ.get("CHAOS_RATE", "100"))

FAST = Profile("fast", 0.1)
CI = Profile("ci", 1.0)
LONG = Profile("long", 3.0)
PROFILES = {"fast": FAST, "ci": CI, "long": LONG}


def sized(p: Profile, **kw: Any) -> Config:
    """A Config for profile p: the CI profile (4 workers × 8, min-idle 5 s, reclaim 1 s), or for
    `fast` 2 workers, min-idle 1 s, reclaim 200 ms, drain timeout 40 s; `kw` overrides."""
    c = Config(fast=p.fast)
    if p.fast:
        c.workers, c.visibility_ms, c.reclaim_ms, c.drain_timeout_s = 2, 1_000, 200, 40
    for k, v in kw.items():
        setattr(c, k, v)
    return c


async def execute(
    test_id: str, config: Config, nemesis: Nemesis | None = None, after: After | None = None
) -> Result:
    """Run `config` under `nemesis`, then compute the common figures and the test's own."""
    result = Result(test_id)
    if config.fast and test_id.endswith(("-control", "-nowait")):
        config.drain_timeout_s = min(config.drain_timeout_s, 5)  # the loss is the point
    budget = config.duration_s + config.drain_timeout_s + 240  # every run stops by itself
    async with asyncio.timeout(budget), open_run(config) as run:
        await load(run, nemesis)
        drain_s = await drain(run)
        await common_figures(run, drain_s, result)
        if after is not None:
            await after(run, result)
    return result
