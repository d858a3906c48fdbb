"""Checker: reads the history, the ledger and the queue's Redis state; computes the figures.

lost       accepted (or recovered) jobs not in a terminal state they are allowed to reach
unexpected jobs in the queue no request asked for, or a second job for one request (nonce)
duplicates executions − distinct executed jobs (from the ledger)
dup_effects jobs whose side effect was applied more than once (effect store)
regressions status moved backwards (sampled during the run, and from the attempt history)
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from runtime.broker.keys import QueueKeys
from runtime.jobs import decode_attempt
from tests.chaos.generator import Op

TERMINAL = ("succeeded", "dead", "cancelled")
Allowed = Callable[[str, dict[str, str]], tuple[str, ...]]


def default_allowed(job_id: str, job: dict[str, str]) -> tuple[str, ...]:
    return ("succeeded",)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True)
class Execution:
    job_id: str
    attempt: int
    worker: str
    pid: int
    ts: float


def read_ledger(folder: Path) -> list[Execution]:
    """Every execution line of every worker process's ledger file."""
    out: list[Execution] = []
    for path in sorted(folder.glob("ledger-*.log")):
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 5:
                out.append(
                    Execution(parts[0], int(parts[1]), parts[2], int(parts[3]), float(parts[4]))
                )
    return out


async def read_jobs(redis: Any, keys: QueueKeys, ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """job id → its hash (missing jobs absent), in pipelined chunks."""
    ids = list(ids)
    out: dict[str, dict[str, str]] = {}
    for i in range(0, len(ids), 1000):
        chunk = ids[i : i + 1000]
        async with redis.pipeline(transaction=False) as pipe:
            for job_id in chunk:
                pipe.hgetall(keys.job_prefix + job_id)
            rows = await pipe.execute()
        out.update({j: r for j, r in zip(chunk, rows, strict=True) if r})
    return out


async def recover_unknown(redis: Any, keys: QueueKeys, ops: list[Op]) -> int:
    """For requests with no definite answer, look the Idempotency-Key up: found = recovered."""
    unknown = [op for op in ops if is_unknown(op)]
    recovered = 0
    for i in range(0, len(unknown), 1000):
        chunk = unknown[i : i + 1000]
        values = await redis.mget([f"{keys.idempotency_prefix}:{op.key}" for op in chunk])
        for op, value in zip(chunk, values, strict=True):
            if value:
                op.job_id = str(value).split("|", 1)[0]
                recovered += 1
    return recovered


def is_unknown(op: Op) -> bool:
    return op.kind == "info" or (op.kind == "fail" and op.status >= 500)


async def all_queue_jobs(redis: Any, keys: QueueKeys) -> dict[str, str]:
    """Every job the queue holds → its payload nonce."""
    ids = await redis.zrange(keys.index_prefix + "all", 0, -1)
    out: dict[str, str] = {}
    for i in range(0, len(ids), 1000):
        chunk = ids[i : i + 1000]
        async with redis.pipeline(transaction=False) as pipe:
            for job_id in chunk:
                pipe.hget(keys.job_prefix + job_id, "payload")
            rows = await pipe.execute()
        for job_id, payload in zip(chunk, rows, strict=True):
            if payload:
                out[job_id] = str(orjson.loads(payload).get("n", ""))
    return out


def count_unexpected(queue_jobs: dict[str, str], ops: list[Op]) -> int:
    """Jobs nobody asked for, plus every job beyond the first for one request."""
    asked = {op.key for op in ops}
    seen: dict[str, int] = {}
    unexpected = 0
    for nonce in queue_jobs.values():
        if nonce not in asked:
            unexpected += 1
        seen[nonce] = seen.get(nonce, 0) + 1
    return unexpected + sum(n - 1 for n in seen.values() if n > 1)


def history_regressions(job: dict[str, str]) -> int:
    """1 when the attempt history shows the job succeeding twice."""
    outcomes = [a["o"] for a in attempts_of(job)]
    return 1 if outcomes.count("succeeded") > 1 else 0


@dataclass
class Sampler:
    """Samples job states during the run; a terminal job seen in another state is a regression."""

    redis: Any
    keys: QueueKeys
    ops: list[Op]
    interval_s: float = 0.3
    size: int = 300
    last: dict[str, str] = field(default_factory=dict)
    regressions: set[str] = field(default_factory=set)
    samples: int = 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            ids = [op.job_id for op in self.ops[-5000:] if op.job_id]
            if not ids:
                continue
            with contextlib.suppress(Exception):
                await self.sample(random.sample(ids, min(self.size, len(ids))))

    async def sample(self, ids: list[str]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.hget(self.keys.job_prefix + job_id, "status")
            statuses = await pipe.execute()
        for job_id, status in zip(ids, statuses, strict=True):
            self.observe(job_id, status)

    def observe(self, job_id: str, status: str | None) -> None:
        self.samples += 1
        if status is None:
            return
        before = self.last.get(job_id)
        if before in TERMINAL and status != before:
            self.regressions.add(job_id)
        self.last[job_id] = status


def attempts_of(job: dict[str, str]) -> list[dict[str, Any]]:
    """The job's attempt history (h:<n> fields), oldest first, each with its number as 'n'."""
    rows = [decode_attempt(int(k[2:]), v) for k, v in job.items() if k.startswith("h:")]
    return [
        {"n": a.attempt, "w": a.worker, "s": a.started_ms, "f": a.finished_ms, "o": a.outcome,
         "e": a.error or ""}
        for a in sorted(rows, key=lambda a: a.attempt)
    ]  # fmt: skip


def lost_attempts(jobs: dict[str, dict[str, str]]) -> list[tuple[str, dict[str, Any]]]:
    """Every attempt settled as 'worker lost' (taken over by reclaim), with its job id."""
    return [
        (job_id, a)
        for job_id, job in jobs.items()
        for a in attempts_of(job)
        if "WorkerLost" in str(a.get("e", ""))
    ]
