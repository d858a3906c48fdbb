"""R6a/R6b/R6c: kill -9 the server (AOF always / everysec / none); R12: out of memory."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from runtime.localserver import LocalServer
from tests.chaos.generator import Op, post_job
from tests.chaos.harness import CI_RATE, Profile, execute, sized
from tests.chaos.report import Result
from tests.chaos.run import Config, Run, open_run


async def restart_server(run: Run) -> None:
    """Start the server again on the same port and data folder (the AOF is replayed)."""
    s = run.server
    fresh = LocalServer(s.data_dir, port=s.port, appendonly=s.appendonly,
                        appendfsync=s.appendfsync, extra_args=s.extra_args)  # fmt: skip
    await asyncio.to_thread(fresh.start, 30)
    s.process = fresh.process


def server_killer(period_s: float, down_s: float, outages: list[tuple[float, float]]) -> Any:
    """kill -9 the server every period_s, keep it down down_s, restart it; log (down, up) times."""

    async def nemesis(run: Run) -> None:
        while run.load_left_s() > period_s:
            await asyncio.sleep(period_s - down_s)
            down = time.time()
            run.server.stop(kill=True)
            await asyncio.sleep(down_s)
            await restart_server(run)
            outages.append((down, time.time()))

    return nemesis


def outage_figures(r: Result, outages: list[tuple[float, float]], timeout_s: float) -> None:
    """503 / 5xx / Retry-After counts, and the first success after each restart."""
    ops: list[Op] = r.data["ops"]
    fails = [op for op in ops if op.kind == "fail"]
    firsts = []
    for _, up in outages:
        after = [op.done for op in ops if op.kind == "ok" and op.done >= up]
        firsts.append(min(after, default=up + 99) - up)
    r.figures.update(
        kills=len(outages), redis_outage_s=round(max((u - d for d, u in outages), default=0), 2),
        api_503=sum(1 for op in fails if op.status == 503),
        api_5xx=sum(1 for op in fails if op.status >= 500 and op.status != 503),
        missing_retry_after=sum(1 for op in fails if op.status == 503 and not op.retry_after),
        over_timeout=sum(1 for op in ops if op.detail == "timeout"),
        first_202_after_s=round(max(firsts, default=0), 2),
        lost_acked=r.figures["lost"],
    )  # fmt: skip
    del timeout_s


def r6_config(p: Profile, appendonly: bool, fsync: str) -> Config:
    cfg = sized(p, rate=30 if p.fast else CI_RATE, duration_s=5.5 if p.fast else 60, job_ms=20,
                 appendonly=appendonly, appendfsync=fsync, http_timeout_s=5)  # fmt: skip
    cfg.worker_env = cfg.api_env = {"REDIS_TIMEOUT_MS": "1000"}
    return cfg


async def r6a(p: Profile, control: bool = False) -> list[Result]:
    """R6a: kill -9 the server every 20 s, restart on the same dir, appendfsync always."""
    outages: list[tuple[float, float]] = []
    period, down = (2.5, 1.0) if p.fast else (20.0, 2.0)
    cfg = r6_config(p, appendonly=not control, fsync="always")

    async def after(run: Run, r: Result) -> None:
        outage_figures(r, outages, cfg.http_timeout_s)
        if control:
            r.goal("control (no persistence): lost_acked>0", r.figures["lost_acked"] > 0)
            return
        r.require_safety()
        r.goal("api_5xx=0 (only 503)", r.figures["api_5xx"] == 0)
        r.goal("every 503 has Retry-After", r.figures["missing_retry_after"] == 0)
        r.goal("no request over the timeout", r.figures["over_timeout"] == 0)
        r.goal("first_202_after_s<=2", r.figures["first_202_after_s"] <= 2)

    name = "R6a-control" if control else "R6a"
    if control:
        cfg.worker_env = dict(cfg.worker_env, CHAOS_NO_EPOCH="1")
    return [await execute(name, cfg, server_killer(period, down, outages), after)]


async def r6b(p: Profile) -> list[Result]:
    """R6b: the same with appendfsync everysec: the loss window is printed, not gated."""
    outages: list[tuple[float, float]] = []
    period, down = (3.0, 1.0) if p.fast else (20.0, 2.0)
    cfg = r6_config(p, appendonly=True, fsync="everysec")

    async def after(run: Run, r: Result) -> None:
        outage_figures(r, outages, cfg.http_timeout_s)
        r.goal("lost_acked<=rate×2s (informational bound)", r.figures["lost_acked"] <= cfg.rate * 2)

    return [await execute("R6b", cfg, server_killer(period, down, outages), after)]


# --- R6c: the server comes back empty ------------------------------------------------------------
async def ready_status(url: str) -> int:
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        try:
            return (await client.get("/health/ready")).status_code
        except httpx.HTTPError:
            return 0


async def r6c(p: Profile, control: bool = False) -> list[Result]:
    """R6c: no persistence; after a restart the server is empty: workers stop, readiness fails."""
    cfg = r6_config(p, appendonly=False, fsync="everysec")
    cfg.restart_exit3, cfg.duration_s = False, 4 if p.fast else 20
    if control:
        cfg.worker_env = dict(cfg.worker_env, CHAOS_NO_EPOCH="1")
    name = "R6c-control" if control else "R6c"
    r = Result(name)
    async with open_run(cfg) as run:
        assert run.api is not None
        async with httpx.AsyncClient(base_url=run.api.url, timeout=5) as client:
            before = [Op(key=f"r6c-{i}", sent=time.time()) for i in range(20)]
            for op in before:
                await post_job(
                    client, op, {"task_type": "ledger", "payload": {"n": op.key, "ms": 500}}
                )
        run.server.stop(kill=True)
        await restart_server(run)
        up = time.time()
        detect_s, ready = -1.0, 0
        while time.time() - up < 6:
            if run.workers:
                run.workers.tick()
            ready = await ready_status(run.api.url)
            exited = [c for c in (run.workers.exits if run.workers else []) if c == 3]
            if len(exited) == cfg.workers and ready == 503:
                detect_s = time.time() - up
                break
            await asyncio.sleep(0.1)
        codes = run.workers.exits if run.workers else []
        r.figures.update(empty_broker_detected=detect_s >= 0, detect_s=round(detect_s, 2),
                         workers_exit_3=codes.count(3), ready_status=ready,
                         accepted_before=sum(op.kind == "ok" for op in before))  # fmt: skip
    if control:
        r.goal("control (epoch check off): not detected", detect_s < 0)
    else:
        r.goal("detected within 5 s", 0 <= detect_s <= 5)
    return [r]


# --- R12: out of memory under noeviction ---------------------------------------------------------
def padded_body(kb: int) -> Any:
    pad = "x" * (kb * 1024)

    def body(i: int, nonce: str) -> dict[str, Any]:
        return {"task_type": "ledger", "payload": {"n": nonce, "pad": pad}}

    return body


async def replay_accepted(run: Run, body: Any) -> list[Op]:
    """POST every accepted request again with its Idempotency-Key: must never create a job."""
    assert run.api is not None and run.generator is not None
    replays = []
    async with httpx.AsyncClient(base_url=run.api.url, timeout=10) as client:
        for i, op in enumerate(list(run.generator.ops)):
            if op.kind != "ok":
                continue
            again = Op(key=op.key, sent=time.time())
            await post_job(client, again, body(i, op.key))
            replays.append(again)
    return replays


async def r12(p: Profile, control: bool = False) -> list[Result]:
    """R12: maxmemory + noeviction, flood until OOM: 503 (never 500, never accepted-then-lost)."""
    kb = 64
    maxmem = "8mb" if p.fast else "64mb"
    cfg = sized(p, rate=40 if p.fast else 100, duration_s=5 if p.fast else 15,
                 body=padded_body(kb), drain_timeout_s=60)  # fmt: skip
    cfg.server_args = ["--maxmemory", maxmem]
    if control:
        cfg.server_args += ["--maxmemory-policy", "volatile-lru"]
    name = "R12-control" if control else "R12"
    r = Result(name)
    from tests.chaos.report import common_figures
    from tests.chaos.run import drain, load, supervise
    from tests.chaos.t_queue import expire_now_and_wait

    async with open_run(cfg) as run:
        await load(run, None)
        ticker = asyncio.create_task(supervise(run))
        drain_s = await drain(run)
        ticker.cancel()
        await common_figures(run, drain_s, r)
        await expire_now_and_wait(run)
        async with httpx.AsyncClient(base_url=run.api.url, timeout=10) as client:
            probe = Op(key="after-drain", sent=time.time())
            await post_job(client, probe, {"task_type": "ledger", "payload": {"n": "after"}})
        await run.redis.config_set("maxmemory", "0")  # room again: does a replay find its key?
        replays = await replay_accepted(run, cfg.body)
        ops = r.data["ops"] + replays
        r.figures.update(
            api_503_on_oom=sum(op.status == 503 for op in ops),
            api_500=sum(op.status >= 500 and op.status != 503 for op in ops),
            replays_created=sum(op.status == 201 for op in replays),
            accepts_after_drain=probe.status == 201,
        )  # fmt: skip
    if control:
        r.goal("control (volatile-lru): duplicate job for a replayed key",
               r.figures["replays_created"] > 0)  # fmt: skip
        return [r]
    r.require_safety()
    r.goal("api_503_on_oom>0", r.figures["api_503_on_oom"] > 0)
    r.goal("api_500=0", r.figures["api_500"] == 0)
    r.goal("replays_created=0", r.figures["replays_created"] == 0)
    r.goal("accepts_after_drain", r.figures["accepts_after_drain"])
    return [r]
