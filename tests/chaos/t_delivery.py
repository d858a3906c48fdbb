"""R1–R5: control, worker kill -9, SIGSTOP (stale owner), lease renewal, poison jobs."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import orjson

from tests.chaos.checker import lost_attempts, percentile
from tests.chaos.harness import CI_RATE, Profile, execute, sized
from tests.chaos.report import Result
from tests.chaos.run import Config, Run


def base(p: Profile, **kw: Any) -> Config:
    """The CI profile (fast: 100 jobs/s, 1 s visibility) with `kw` overrides."""
    return sized(
        p, **{"rate": 30 if p.fast else CI_RATE, "duration_s": 3 if p.fast else p.n(60), **kw}
    )


def ms(text: str) -> float:
    return float(str(text).removesuffix("ms"))


async def r1(p: Profile) -> list[Result]:
    """R1 control: load, no faults."""

    async def after(run: Run, r: Result) -> None:
        r.require_safety()
        r.goal("duplicates=0", r.figures["duplicates"] == 0)
        r.goal("completed=accepted", r.figures["completed"] == r.figures["accepted"])
        if not p.fast:
            r.goal("enqueue_p99<=25ms", ms(r.figures["enqueue_p99"]) <= 25)
            r.goal("e2e_p99<=1s", ms(r.figures["e2e_p99"]) <= 1000)

    return [await execute("R1", base(p), after=after)]


# --- R2: kill -9 a worker every 2 s ------------------------------------------------------------
def killer(period_s: float, kills: list[tuple[float, str]]) -> Any:
    async def nemesis(run: Run) -> None:
        assert run.workers is not None
        i = 0
        while run.load_left_s() > period_s:
            await asyncio.sleep(period_s)
            slot = run.workers.slots[i % run.config.workers]
            name = slot.name
            if run.workers.signal(slot.index, signal.SIGKILL) is not None:
                kills.append((time.time(), name))
            i += 1

    return nemesis


def reclaim_delays(run: Run, r: Result, kills: list[tuple[float, str]]) -> list[float]:
    """Seconds from each kill to the takeover of each attempt the killed worker held."""
    killed = dict((name, t) for t, name in kills)
    return [
        a["f"] / 1000 - killed[a["w"]]
        for _, a in lost_attempts(r.data["jobs"])
        if a.get("w") in killed and a.get("f")
    ]


async def r2(p: Profile, control: bool = False) -> list[Result]:
    """R2: kill -9 one of 4 workers every 2 s under load; the supervisor restarts it."""
    kills: list[tuple[float, str]] = []
    period = 1.0 if p.fast else 2.0
    cfg = base(p, job_ms=200 if control else 50, effect_mode="bare" if control else "guarded")

    async def after(run: Run, r: Result) -> None:
        delays = reclaim_delays(run, r, kills)
        # min-idle + 2 s; fast runs on a shared 2-core box get 8 s more (start-up of a worker)
        limit = run.config.visibility_ms / 1000 + 2 + (8 if p.fast else 0)
        r.figures.update(kills=len(kills), orphans=len(delays),
                         max_reclaim_s=round(max(delays, default=0), 2))  # fmt: skip
        if control:
            r.goal("control: dup_effects>0 (bare INCR)", r.figures["dup_effects"] > 0)
            return
        r.require_safety()
        bound = len(kills) * run.config.concurrency
        r.goal(f"duplicates<={bound}", r.figures["duplicates"] <= bound)
        r.goal(f"max_reclaim_s<={limit:g}", max(delays, default=0) <= limit)

    name = "R2-control" if control else "R2"
    return [await execute(name, cfg, killer(period, kills), after)]


# --- R3: SIGSTOP past the visibility timeout, then SIGCONT -------------------------------------
def stopper(cycles: int, stop_s: float, gap_s: float, log: list[str]) -> Any:
    async def nemesis(run: Run) -> None:
        assert run.workers is not None
        for i in range(cycles):
            await asyncio.sleep(gap_s)
            slot = run.workers.slots[i % run.config.workers]
            if run.workers.signal(slot.index, signal.SIGSTOP) is None:
                continue
            log.append(slot.name)
            try:
                await asyncio.sleep(stop_s)
            finally:
                run.workers.signal(slot.index, signal.SIGCONT)

    return nemesis


async def stale_figures(run: Run, r: Result) -> None:
    stats = await run.redis.hgetall(run.keys.stats)
    applied = 0
    for job in r.data["jobs"].values():
        result = orjson.loads(job["result"]) if job.get("result") else None
        if result and int(result.get("a", 0)) != int(job.get("attempts", 0)):
            applied += 1
    r.figures.update(stale_completions_rejected=int(stats.get("stale", 0)),
                     stale_completions_applied=applied)  # fmt: skip


async def r3(p: Profile, control: bool = False) -> list[Result]:
    """R3: SIGSTOP a worker for 3 × min-idle, then SIGCONT; its late completions change nothing."""
    cycles = 1 if p.fast else 10
    cfg = base(p, job_ms=300)
    vis = cfg.visibility_ms / 1000
    cfg.duration_s = cycles * (3 * vis + 2) + 1
    cfg.rate = 20 if p.fast else 100
    if control:
        cfg.worker_env = {"CHAOS_UNFENCED_SETTLE": "1"}
    stopped: list[str] = []

    async def after(run: Run, r: Result) -> None:
        await stale_figures(run, r)
        r.figures["stops"] = len(stopped)
        if control:
            r.goal("control: stale_completions_applied>0",
                   r.figures["stale_completions_applied"] > 0)  # fmt: skip
            return
        r.require_safety()
        r.goal("stale_completions_applied=0", r.figures["stale_completions_applied"] == 0)
        r.goal("stale_completions_rejected>0", r.figures["stale_completions_rejected"] > 0)

    name = "R3-control" if control else "R3"
    return [await execute(name, cfg, stopper(cycles, 3 * vis, 2.0, stopped), after)]


# --- R4: long jobs with lease renewal ----------------------------------------------------------
async def r4(p: Profile, control: bool = False) -> list[Result]:
    """R4: jobs of 3 × min-idle; renewal every min-idle/3 keeps them; control without renewal."""
    cfg = base(p)
    cfg.job_ms = 3 * cfg.visibility_ms
    cfg.rate, cfg.duration_s = (5, 2) if p.fast else (2, 30)
    if control:
        cfg.worker_env = {"CHAOS_NO_RENEW": "1"}

    async def after(run: Run, r: Result) -> None:
        r.figures["reclaims"] = len(lost_attempts(r.data["jobs"]))
        if control:
            r.goal("control: duplicates>0", r.figures["duplicates"] > 0)
            r.goal("control: reclaims>0", r.figures["reclaims"] > 0)
            return
        r.require_safety()
        r.goal("reclaims=0", r.figures["reclaims"] == 0)
        r.goal("duplicates=0", r.figures["duplicates"] == 0)

    return [await execute("R4-control" if control else "R4", cfg, None, after)]


# --- R5: poison jobs ---------------------------------------------------------------------------
POISONS = ("raise", "exit", "hang")


def poison_body(every: int, timeout_s: float, max_retries: int) -> Any:
    def body(i: int, nonce: str) -> dict[str, Any]:
        if i % every != every // 2:
            return {"task_type": "ledger", "payload": {"n": nonce, "ms": 20}}
        kind = POISONS[(i // every) % len(POISONS)]
        return {"task_type": "ledger", "payload": {"n": nonce, "poison": kind},
                "timeout_s": timeout_s, "max_retries": max_retries}  # fmt: skip

    return body


def poison_kind(job: dict[str, str]) -> str | None:
    return orjson.loads(job.get("payload", "{}")).get("poison")


async def r5(p: Profile) -> list[Result]:
    """R5: 1 % poison (raise, os._exit, hang past timeout) ends dead; healthy jobs keep flowing."""
    max_retries = 2
    cfg = base(p, body=poison_body(40 if p.fast else 100, 1.0, max_retries))
    cfg.allowed = lambda job_id, job: ("dead",) if poison_kind(job) else ("succeeded",)

    async def after(run: Run, r: Result) -> None:
        jobs = r.data["jobs"]
        poison = {j: job for j, job in jobs.items() if poison_kind(job)}
        attempts = sorted({int(job.get("attempts", 0)) for job in poison.values()})
        dlq = {e[1]["id"] for e in await run.redis.xrange(run.keys.dead)}
        healthy = [(int(j["finished"]) - int(j["created"])) / 1000 for j in jobs.values()
                   if not poison_kind(j) and j.get("finished")]  # fmt: skip
        exits = sum(1 for job in poison.values() if poison_kind(job) == "exit")
        r.figures.update(
            poison=len(poison), attempts_per_poison=",".join(map(str, attempts)),
            poison_in_dlq=len(dlq & set(poison)),
            healthy_e2e_p99=f"{percentile(healthy, 0.99) * 1000:.0f}ms",
            worker_restarts=run.workers.restarts if run.workers else 0,
        )  # fmt: skip
        r.require_safety()
        r.goal(f"dead={len(poison)}", r.figures["dead"] == len(poison))
        r.goal(f"attempts_per_poison={max_retries + 1}", attempts == [max_retries + 1])
        r.goal("every poison job in the DLQ", r.figures["poison_in_dlq"] == len(poison))
        bound = exits * (max_retries + 1)
        r.goal(f"worker_restarts<={bound} (no crash loop)", r.figures["worker_restarts"] <= bound)

    return [await execute("R5", cfg, None, after)]
