"""R7: failover to a replica (CLIENT PAUSE WRITE, REPLICAOF NO ONE, proxy flip = DNS flip), with
and without WAIT before the API answers 201."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

from redis.asyncio import Redis

from runtime.localserver import LocalServer
from tests.chaos.generator import Op
from tests.chaos.harness import CI_RATE, Profile, execute, sized
from tests.chaos.procs import stop_process
from tests.chaos.report import Result
from tests.chaos.run import Run, proxy_process

REPL_DELAY_MS = 5.0  # one way, on the replication link (a replica in another zone)
# A demoted primary that had writes the promoted replica lacks (the failover does not wait for
# it to catch up) needs a full resync, which the server delays 5 s by default to batch replicas;
# with WAIT_REPLICAS=1 every enqueue answers 503 until it is done. One replica: start at once.
RESYNC_ARGS = ["--repl-diskless-sync-delay", "0"]


async def in_sync(replica: Redis, primary: Redis, timeout_s: float = 30) -> None:
    """Wait until the replica's link is up and its offset has reached the primary's."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        info = await replica.info("replication")
        offset = (await primary.info("replication"))["master_repl_offset"]
        if info.get("master_link_status") == "up" and info.get("slave_repl_offset", -1) >= offset:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("replica did not catch up")


async def setup_pair(run: Run) -> None:
    """A replica B of the run's server A; replication and client traffic through proxies."""
    a = run.server
    b = LocalServer(run.folder / "replica", appendonly=False, extra_args=RESYNC_ARGS).start()
    repl_a, proc_a = proxy_process(str(a.port), REPL_DELAY_MS, 0, both=True)
    repl_b, proc_b = proxy_process(str(b.port), REPL_DELAY_MS, 0, both=True)
    run.proxy_port, run.proxy_proc = proxy_process(f"{a.port},{b.port}")
    clients = [Redis(port=a.port, decode_responses=True), Redis(port=b.port, decode_responses=True)]
    await clients[1].replicaof("127.0.0.1", repl_a)
    await in_sync(clients[1], clients[0])
    run.extra["pair"] = {"clients": clients, "repl": [repl_a, repl_b], "primary": 0, "flips": []}

    def cleanup() -> None:
        for proc in (proc_a, proc_b):
            stop_process(proc, timeout_s=5)
        b.stop(kill=True)

    run.cleanup.append(cleanup)


async def failover(run: Run) -> None:
    """One failover: pause writes on the primary, promote the replica, flip, demote the old one."""
    pair = run.extra["pair"]
    old, new = pair["primary"], 1 - pair["primary"]
    primary, replica = pair["clients"][old], pair["clients"][new]
    paused = time.time()
    await primary.execute_command("CLIENT", "PAUSE", "10000", "WRITE")
    await replica.replicaof("NO", "ONE")
    os.kill(run.proxy_proc.pid, signal.SIGUSR1)  # new connections go to the new primary
    await primary.replicaof("127.0.0.1", pair["repl"][new])
    await primary.execute_command("CLIENT", "UNPAUSE")
    pair["primary"] = new
    pair["flips"].append(paused)
    await in_sync(primary, replica)


def failovers(count: int) -> Any:
    async def nemesis(run: Run) -> None:
        period = max(1.0, (run.config.duration_s - 2) / (count + 1))
        for _ in range(count):
            await asyncio.sleep(period)
            await failover(run)

    return nemesis


def unavailable_s(ops: list[Op], flips: list[float]) -> float:
    """The longest time from a pause to the first 201 after it."""
    worst = 0.0
    for t in flips:
        if not any(op.sent >= t for op in ops):
            continue  # the load had ended
        first = min((op.done for op in ops if op.kind == "ok" and op.sent >= t), default=t + 99)
        worst = max(worst, first - t)
    return worst


async def r7(p: Profile, control: bool = False) -> list[Result]:
    """R7: 10 failovers under load; WAIT 1 50 before 201 (control: no WAIT, loss printed)."""
    count = 2 if p.fast else 10
    cfg = sized(p, rate=20 if p.fast else CI_RATE, duration_s=5 if p.fast else 60, job_ms=10,
                 drain_timeout_s=12 if p.fast else 120,
                 setup=setup_pair, server_args=RESYNC_ARGS)  # fmt: skip
    if not control:
        cfg.api_env = {"WAIT_REPLICAS": "1", "WAIT_TIMEOUT_MS": "50"}

    async def after(run: Run, r: Result) -> None:
        pair = run.extra["pair"]
        ops: list[Op] = r.data["ops"]
        last = pair["flips"][-1] if pair["flips"] else 0.0
        missing = [j for j in r.data["lost_ids"] if j not in r.data["jobs"]]
        r.figures.update(
            failovers=len(pair["flips"]), lost_acked=len(missing),
            write_unavailable_s=round(unavailable_s(ops, pair["flips"]), 2),
            readonly_errors_final=sum(1 for op in ops if op.status == 503 and op.sent > last + 5),
        )  # fmt: skip
        for client in pair["clients"]:
            await client.aclose()
        if control:  # catalogue: without WAIT the loss is printed, expected > 0 only sometimes
            return
        r.require_safety()
        r.goal("lost_acked=0", r.figures["lost_acked"] == 0)
        r.goal("write_unavailable_s<=5", r.figures["write_unavailable_s"] <= 5)
        r.goal("readonly_errors_final=0", r.figures["readonly_errors_final"] == 0)

    name = "R7-nowait" if control else "R7"
    return [await execute(name, cfg, failovers(count), after)]
