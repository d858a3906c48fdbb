"""R14 retry/backoff bounds and R15 cancel races."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from typing import Any

import httpx

from tests.chaos.checker import attempts_of, percentile
from tests.chaos.harness import CI_RATE, Profile, execute, sized
from tests.chaos.report import Result
from tests.chaos.run import Run


# --- R14: backoff ------------------------------------------------------------------------------
def due_watcher(dues: dict[str, set[int]]) -> Any:
    """Poll the jobs' hashes every 10 ms and note each retry due time (settle writes `due`)."""

    async def nemesis(run: Run) -> None:
        assert run.generator is not None
        end = run.load_started + run.config.duration_s + run.config.drain_timeout_s
        while time.time() < end:
            ids = [op.job_id for op in run.generator.ops if op.job_id]
            if ids:
                async with run.redis.pipeline(transaction=False) as pipe:
                    for job_id in ids:
                        pipe.hget(run.keys.job_prefix + job_id, "due")
                    for job_id, due in zip(ids, await pipe.execute(), strict=True):
                        if due:
                            dues.setdefault(job_id, set()).add(int(due))
                if len(ids) == len(run.generator.ops) and await _all_final(run, ids):
                    return
            await asyncio.sleep(0.01)

    return nemesis


async def _all_final(run: Run, ids: list[str]) -> bool:
    async with run.redis.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hget(run.keys.job_prefix + job_id, "status")
        return all(s in ("succeeded", "dead") for s in await pipe.execute())


def backoff_check(jobs: dict[str, dict[str, str]], dues: dict[str, set[int]], base: int,
                  cap: int) -> tuple[list[int], list[float], int]:  # fmt: skip
    """Delays (due − failure time), promote lags (next start − due) and out-of-bounds delays."""
    delays: list[int] = []
    lags: list[float] = []
    bad = 0
    for job_id, job in jobs.items():
        history = attempts_of(job)
        ordered = sorted(dues.get(job_id, ()))
        for n, (failed, nxt) in enumerate(itertools.pairwise(history), start=1):
            if n > len(ordered) or not failed.get("f"):
                bad += 1
                continue
            due = ordered[n - 1]
            delay = due - int(failed["f"])
            ceiling = min(base * 2 ** (n - 1), cap)
            delays.append(delay)
            lags.append(int(nxt["s"]) - due)
            bad += not (ceiling * 0.5 - 1 <= delay <= ceiling)
    return delays, lags, bad


async def r14(p: Profile) -> list[Result]:
    """R14: `flaky` jobs failing k times: k+1 attempts, each delay within its backoff bounds."""
    k, base, cap = 3, 200, 500

    def body(i: int, nonce: str) -> dict[str, Any]:
        return {"task_type": "flaky", "payload": {"fail_times": k, "n": nonce}, "max_retries": k,
                "initial_backoff_ms": base, "max_backoff_ms": cap}  # fmt: skip

    cfg = sized(p, rate=5 if p.fast else 20, duration_s=2 if p.fast else 30, body=body)
    dues: dict[str, set[int]] = {}

    async def after(run: Run, r: Result) -> None:
        jobs = r.data["jobs"]
        attempts = sorted({int(j.get("attempts", 0)) for j in jobs.values()})
        delays, lags, bad = backoff_check(jobs, dues, base, cap)
        r.figures.update(attempts=",".join(map(str, attempts)), retries_checked=len(delays),
                         delays_ms=f"{min(delays, default=0)}..{max(delays, default=0)}",
                         delays_out_of_bounds=bad,
                         promote_lag_p99=f"{percentile(lags, 0.99):.0f}ms")  # fmt: skip
        r.require_safety()
        r.goal(f"attempts={k + 1}", attempts == [k + 1])
        r.goal("every delay within [0.5·ceiling, ceiling]", bad == 0 and delays)
        if not p.fast:
            r.goal("promote_lag_p99<=250ms", percentile(lags, 0.99) <= 250)

    return [await execute("R14", cfg, due_watcher(dues), after)]


# --- R15: cancel races -------------------------------------------------------------------------
def mixed_body(i: int, nonce: str) -> dict[str, Any]:
    """Queued, running (short sleeps), scheduled (delay) and retrying (flaky) jobs."""
    kind = i % 4
    if kind == 2:
        return {"task_type": "ledger", "payload": {"n": nonce, "ms": 50}, "delay_ms": 300}
    if kind == 3:
        return {"task_type": "flaky", "payload": {"n": nonce, "fail_times": 1},
                "initial_backoff_ms": 300, "max_backoff_ms": 300}  # fmt: skip
    return {"task_type": "ledger", "payload": {"n": nonce, "ms": random.choice((0, 20, 200))}}


def canceller(answers: dict[str, tuple[float, str, bool]]) -> Any:
    """Cancel about half the jobs, each at a random moment after it was accepted."""

    async def cancel_one(client: httpx.AsyncClient, job_id: str) -> None:
        await asyncio.sleep(random.uniform(0, 0.4))
        try:
            answer = await client.post(f"/jobs/{job_id}/cancel")
        except httpx.HTTPError:
            return
        if answer.status_code == 200:
            body = answer.json()
            answers[job_id] = (time.time(), body["status"], bool(body["cancel_requested"]))

    async def nemesis(run: Run) -> None:
        assert run.api is not None and run.generator is not None
        seen: set[str] = set()
        tasks: list[asyncio.Task[None]] = []
        async with httpx.AsyncClient(base_url=run.api.url, timeout=10) as client:
            while run.load_left_s() > -1:
                for op in run.generator.ops:
                    if op.job_id and op.job_id not in seen:
                        seen.add(op.job_id)
                        if random.random() < 0.5:
                            tasks.append(asyncio.create_task(cancel_one(client, op.job_id)))
                await asyncio.sleep(0.02)
            await asyncio.gather(*tasks)

    return nemesis


async def r15(p: Profile) -> list[Result]:
    """R15: cancels at random times: one terminal state per job; waiting ones never run."""
    answers: dict[str, tuple[float, str, bool]] = {}
    cfg = sized(p, rate=30 if p.fast else CI_RATE, duration_s=5 if p.fast else 50, body=mixed_body)
    cfg.allowed = lambda job_id, job: (
        ("cancelled",) if answers.get(job_id, (0, ""))[1] == "cancelled" else
        ("succeeded", "cancelled")
    )  # fmt: skip

    async def after(run: Run, r: Result) -> None:
        jobs = r.data["jobs"]
        at_once = {j: a[0] for j, a in answers.items() if a[1] == "cancelled"}
        ran_after = [e for e in r.data["execs"] if e.job_id in at_once and e.ts > at_once[e.job_id]]
        requested = [j for j, a in answers.items() if a[1] == "running"]
        stopped = sum(1 for j in requested if jobs.get(j, {}).get("status") == "cancelled")
        terminal = {j for j, job in jobs.items() if job.get("status") in ("succeeded", "cancelled")}
        r.figures.update(cancels=len(answers), cancelled_at_once=len(at_once),
                         cancel_while_running=len(requested), stopped_cooperatively=stopped,
                         terminal_states_per_job="1" if len(terminal) == len(jobs) else "not 1",
                         ran_after_cancel=len(ran_after))  # fmt: skip
        r.require_safety()
        r.goal("exactly one terminal state per job", len(terminal) == len(jobs))
        r.goal("ran_after_cancel=0", not ran_after)

    return [await execute("R15", cfg, canceller(answers), after)]
