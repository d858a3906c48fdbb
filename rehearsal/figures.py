"""The figures line and the goals: request outcomes from the generator's history, job outcomes
read from Redis (through runtime.client, the engine calls the API uses) after a final drain."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from rehearsal.load import CONN, OTHER, TIMEOUT
from runtime.client import AsyncClient
from runtime.config import Settings
from runtime.errors import JobNotFound
from runtime.jobs import JobStatus

TERMINAL = {JobStatus.SUCCEEDED, JobStatus.DEAD, JobStatus.CANCELLED}
Row = list[float]


def p99(rows: list[Row]) -> float:
    """99th percentile latency of rows, in milliseconds (0 when empty)."""
    latencies = sorted(r[1] for r in rows)
    if not latencies:
        return 0.0
    return 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]


def failed(row: Row) -> bool:
    """A 5xx, a connection error, a timeout or another client error."""
    return row[3] >= 500 or row[3] in (CONN, TIMEOUT, OTHER)


def within(rows: list[Row], window: tuple[float, float]) -> list[Row]:
    """Rows sent in [start, end)."""
    return [r for r in rows if window[0] <= r[0] < window[1]]


@dataclass
class JobOutcome:
    """What became of the accepted jobs."""

    accepted: int = 0
    completed: int = 0
    lost: int = 0
    duplicates: int = 0
    lost_ids: list[str] = field(default_factory=list)


async def job_outcomes(settings: Settings, ids: list[str], timeout_s: float) -> JobOutcome:
    """Wait until every accepted job is terminal (or timeout_s), then count."""
    unique = list(dict.fromkeys(ids))
    states: dict[str, tuple[str, int]] = {}
    gate = asyncio.Semaphore(64)
    async with AsyncClient(settings) as client:

        async def read(job_id: str) -> None:
            """Record one job's status and attempts."""
            async with gate:
                try:
                    job = await client.get(job_id)
                except JobNotFound:
                    states[job_id] = ("missing", 0)
                    return
                states[job_id] = (job.status, job.attempts)

        deadline = time.monotonic() + timeout_s
        todo = unique
        while todo:
            await asyncio.gather(*(read(i) for i in todo))
            todo = [i for i in unique if states[i][0] not in TERMINAL]
            if not todo or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    out = JobOutcome(accepted=len(unique), lost_ids=todo)
    out.lost = len(todo)
    out.completed = sum(1 for s, _ in states.values() if s == JobStatus.SUCCEEDED)
    out.duplicates = sum(1 for _, attempts in states.values() if attempts > 1)
    return out


@dataclass
class Figures:
    """The run's figures; `line()` is the one line the issue asks for."""

    rows: list[Row]
    jobs: JobOutcome
    base: tuple[float, float]
    deploy: tuple[float, float]
    rollback: tuple[float, float]
    deploy_s: float

    def count(self, test: int) -> int:
        """Requests whose outcome is test (CONN, TIMEOUT) or, for 500, any 5xx."""
        if test == 500:
            return sum(1 for r in self.rows if r[3] >= 500)
        return sum(1 for r in self.rows if r[3] == test)

    def values(self) -> dict[str, str]:
        """Name → printed value, in the issue's order."""
        base, dep = p99(within(self.rows, self.base)), p99(within(self.rows, self.deploy))
        ratio = dep / base if base else float("inf")
        rollback_failed = sum(1 for r in within(self.rows, self.rollback) if failed(r))
        return {
            "requests": str(len(self.rows)),
            "failed_5xx": str(self.count(500)),
            "conn_errors": str(self.count(CONN)),
            "timeouts": str(self.count(TIMEOUT)),
            "p99_deploy/p99_base": f"{dep:.1f}ms/{base:.1f}ms={ratio:.2f}",
            "jobs_accepted": str(self.jobs.accepted),
            "jobs_completed": str(self.jobs.completed),
            "lost": str(self.jobs.lost),
            "duplicates": str(self.jobs.duplicates),
            "deploy_s": f"{self.deploy_s:.1f}",
            "rollback_failed_requests": str(rollback_failed),
        }

    def line(self) -> str:
        """`requests=… failed_5xx=… …` on one line."""
        return " ".join(f"{k}={v}" for k, v in self.values().items())

    def other_errors(self) -> int:
        """Client-side errors that are neither connection errors nor timeouts, plus 4xx."""
        return sum(1 for r in self.rows if r[3] == OTHER or 400 <= r[3] < 500)

    def missed_goals(self) -> list[str]:
        """The goals this run missed (empty: all met)."""
        v = self.values()
        ratio = float(v["p99_deploy/p99_base"].rsplit("=", 1)[1])
        zero = ("failed_5xx", "conn_errors", "timeouts", "lost", "rollback_failed_requests")
        checks = {name: v[name] == "0" for name in zero}
        checks["p99_deploy<=2*p99_base"] = ratio <= 2.0
        checks["other_client_errors=0"] = self.other_errors() == 0
        return [name for name, ok in checks.items() if not ok]
