"""R11 backlog, R13 consumer churn + GC, R14 retry/backoff bounds, R15 cancel races."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

import httpx

from tests.chaos.checker import attempts_of
from tests.chaos.generator import Generator, Op
from tests.chaos.harness import Profile, execute, sized
from tests.chaos.report import Result, common_figures
from tests.chaos.run import Run, drain, open_run, supervise, workers_ready


# --- R11: a backlog of 50 000 jobs -------------------------------------------------------------
async def enqueue_backlog(run: Run, total: int) -> list[Op]:
    """POST /jobs/batch (500 per request) of ledger jobs, each with its nonce; one Op per job."""
    ops: list[Op] = []
    tag = os.urandom(4).hex()
    assert run.api is not None
    async with httpx.AsyncClient(base_url=run.api.url, timeout=60) as client:
        for start in range(0, total, 500):
            batch = [
                Op(key=f"{tag}-{i}", sent=time.time())
                for i in range(start, min(total, start + 500))
            ]
            body = {"jobs": [{"task_type": "ledger", "payload": {"n": op.key}} for op in batch]}
            answer = await client.post("/jobs/batch", json=body)
            answer.raise_for_status()
            for op, item in zip(batch, answer.json()["items"], strict=True):
                op.kind, op.job_id, op.status, op.done = "ok", item["id"], 201, time.time()
            ops += batch
    return ops


async def used_memory(run: Run) -> int:
    return int((await run.redis.info("memory"))["used_memory"])


async def settled_memory(run: Run, before: int, timeout_s: float = 20) -> int:
    """used_memory once the server's cron has shrunk its tables (or after timeout_s)."""
    deadline = time.monotonic() + timeout_s
    while True:
        now = await used_memory(run)
        if now <= before * 1.1 or time.monotonic() > deadline:
            return now
        await asyncio.sleep(1)


# ZREM first: a script whose first write is not deny-oom may go on writing when the server is
# out of memory (the rule that keeps scripts atomic), so this works in R12 too.
EXPIRE_NOW = """
redis.call('ZREM', KEYS[1], '')
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, 999)) do redis.call('ZADD', KEYS[1], 0, id) end
return redis.call('ZCOUNT', KEYS[1], '(0', '+inf')
"""


async def expire_now_and_wait(run: Run, timeout_s: float = 60) -> None:
    """Let retention pass (every expiry score set to 0), then wait for the workers' sweep."""
    while await run.redis.eval(EXPIRE_NOW, 1, run.keys.expiry) > 0:
        pass
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not await run.redis.zcard(run.keys.expiry):
            break
        await asyncio.sleep(0.5)


async def r11(p: Profile, control: bool = False) -> list[Result]:
    """R11: stop workers, enqueue a backlog, start workers; control trims with XADD MAXLEN ~."""
    total = int(p.n(50_000, 1_000))
    total = 600 if p.fast else total
    keep = total // 5
    cfg = sized(p, start_workers=False, rate=0, duration_s=0, drain_timeout_s=300)
    name = "R11-control" if control else "R11"
    result = Result(name)
    async with open_run(cfg) as run:
        before = await used_memory(run)
        run.generator = Generator(run.api.url, 0, 0)
        run.generator.ops = await enqueue_backlog(run, total)
        if control:  # the antipattern: XADD with MAXLEN ~ trims unread (and unacked) entries;
            # one call trims at most 100 nodes, so enqueue goes on until the stream is trimmed
            while await run.redis.xlen(run.keys.stream) > keep * 1.1:
                await run.redis.xadd(run.keys.stream, {"id": "trim"}, maxlen=keep, approximate=True)
        run.start_workers()
        await workers_ready(run)
        ticker = asyncio.create_task(supervise(run))
        drain_s = await drain(run)
        ticker.cancel()
        await common_figures(run, drain_s, result)
        await expire_now_and_wait(run)
        after = await settled_memory(run, before)
        result.figures.update(stream_len_after=await run.redis.xlen(run.keys.stream),
                              used_memory_before=before, used_memory_after=after,
                              memory_ratio=round(after / before, 3),
                              retained_per_job_b=round((after - before) / total, 1))  # fmt: skip
    if control:
        enough = (total - keep) // 2  # MAXLEN ~ trims whole nodes: it keeps somewhat more
        result.goal(f"control: lost>={enough}", result.figures["lost"] >= enough)
        return [result]
    result.require_safety()
    result.goal(f"completed={total}", result.figures["completed"] == total)
    result.goal("stream_len_after=0", result.figures["stream_len_after"] == 0)
    # a fixed ~1 MB stays whatever the backlog (client buffers, Lua heap, allocator caches:
    # 0.8 MB after 600 jobs, 1.05 MB after 50 000); what must not stay is memory per job
    slack = max(0.10 * result.figures["used_memory_before"], 2 << 20)
    grown = result.figures["used_memory_after"] - result.figures["used_memory_before"]
    result.goal("memory back within max(10 %, 2 MiB) of before", grown <= slack)
    return [result]


# --- R13: consumer churn with the GC sweep on --------------------------------------------------
def churn(restarts: int, gc_idle_ms: int, figures: dict[str, Any], unsafe_gc: bool) -> Any:
    """Restart workers (alternately SIGTERM and SIGKILL) while the consumer list is watched.

    The workers' own sweep (CONSUMER_GC_INTERVAL_S / CONSUMER_GC_IDLE_MS) deletes idle consumers;
    a SIGKILLed worker's consumer can disappear only through it (a SIGTERMed one removes itself).
    The control runs instead the antipattern, DELCONSUMER whatever the consumer still holds."""
    killed: set[str] = set()

    async def watch(run: Run) -> None:
        seen: set[str] = set()
        while True:
            try:
                consumers = await run.redis.xinfo_consumers(run.keys.stream, "workers")
            except Exception as exc:  # a failed sample is retried, like the worker's chore
                figures["gc_errors"] = f"{type(exc).__name__}: {exc}"[:80]
                consumers = []
            figures["consumers_max"] = max(figures.get("consumers_max", 0), len(consumers))
            names = {c["name"] for c in consumers}
            gone = figures.setdefault("gc_deleted", set())
            if unsafe_gc:
                for c in consumers:
                    if c["idle"] >= gc_idle_ms:
                        await run.redis.xgroup_delconsumer(run.keys.stream, "workers", c["name"])
                        gone.add(c["name"])
            else:
                gone |= (seen - names) & killed
            seen |= names
            await asyncio.sleep(0.5 if unsafe_gc else 0.1)

    async def nemesis(run: Run) -> None:
        assert run.workers is not None
        watcher = asyncio.create_task(watch(run))
        try:
            pause = max(0.05, (run.config.duration_s - 1) / restarts)
            for i in range(restarts):
                await asyncio.sleep(pause)
                sig = signal.SIGKILL if i % 2 else signal.SIGTERM
                slot = run.workers.slots[i % run.config.workers]
                name = slot.name
                if run.workers.signal(slot.index, sig) is not None and sig == signal.SIGKILL:
                    killed.add(name)
            figures["restarts"] = restarts
            await asyncio.sleep(2 * run.config.visibility_ms / 1000)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    return nemesis


async def r13(p: Profile, control: bool = False) -> list[Result]:
    """R13: 200 restarts with fresh consumer names; GC deletes only consumers with 0 pending."""
    restarts = 6 if p.fast else 200
    cfg = sized(p, rate=20 if p.fast else 100, duration_s=4 if p.fast else 120, job_ms=100,
                 drain_timeout_s=20 if p.fast else 120)  # fmt: skip
    if p.fast:
        cfg.visibility_ms, cfg.reclaim_ms = 1_000, 200
    figures: dict[str, Any] = {}
    gc_idle_ms = 300
    # the product setting: every worker sweeps every 0.5 s; the control's unsafe GC runs alone
    sweep_s = "0" if control else "0.5"
    cfg.worker_env = {"CONSUMER_GC_INTERVAL_S": sweep_s, "CONSUMER_GC_IDLE_MS": str(gc_idle_ms)}

    async def after(run: Run, r: Result) -> None:
        deleted = figures.get("gc_deleted", set())
        jobs = r.data["jobs"]
        dropped = [j for j in r.data["lost_ids"] if _last_worker(jobs.get(j, {})) in deleted]
        r.figures.update(restarts=figures.get("restarts", 0),
                         consumers_max=figures.get("consumers_max", 0),
                         gc_deleted=len(deleted), pending_dropped_by_gc=len(dropped),
                         gc_errors=figures.get("gc_errors", "none"))  # fmt: skip
        if control:
            r.goal("control: pending_dropped_by_gc>0", len(dropped) > 0)
            return
        r.require_safety()
        r.goal("pending_dropped_by_gc=0", not dropped)
        r.goal("gc_deleted>0 (the sweep ran)", len(deleted) > 0)
        bound = cfg.workers + 8
        r.goal(f"consumers_max<={bound}", r.figures["consumers_max"] <= bound)

    name = "R13-control" if control else "R13"
    return [await execute(name, cfg, churn(restarts, gc_idle_ms, figures, control), after)]


def _last_worker(job: dict[str, str]) -> str:
    history = attempts_of(job)
    return str(history[-1].get("w", "")) if history else ""
