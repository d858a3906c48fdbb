"""R8 cut from the server (nftables in a network namespace), R9 slow network (delaying proxy),
R10 one worker's clock off by ±300 s (libfaketime)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.chaos.checker import lost_attempts
from tests.chaos.generator import Op
from tests.chaos.harness import CI_RATE, Profile, execute, sized
from tests.chaos.report import Result
from tests.chaos.run import Run
from tests.chaos.t_retry import backoff_check, due_watcher

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


# --- R8: API and workers cut from the server ------------------------------------------------------
def nft(*args: str) -> None:
    subprocess.run(["nft", *args], check=True, capture_output=True)


def cutter(cut_s: float, marks: dict[str, float]) -> Any:
    """Drop every packet to and from the server's port for cut_s (nft, in our own netns)."""

    async def heal() -> None:
        proc = await asyncio.create_subprocess_exec(
            "nft", "delete", "table", "inet", "chaos", stderr=asyncio.subprocess.DEVNULL
        )
        await proc.wait()

    async def nemesis(run: Run) -> None:
        run.heal.append(heal)
        await asyncio.sleep(max(1.0, (run.config.duration_s - cut_s) / 2))
        port = str(run.server.port)
        nft("add", "table", "inet", "chaos")
        nft("add", "chain", "inet", "chaos", "out", "{ type filter hook output priority 0 ; }")
        nft("add", "rule", "inet", "chaos", "out", "tcp", "dport", port, "drop")
        nft("add", "rule", "inet", "chaos", "out", "tcp", "sport", port, "drop")
        marks["cut"] = time.time()
        await asyncio.sleep(cut_s)
        await heal()
        marks["heal"] = time.time()

    return nemesis


async def r8_inner(p: Profile, control: bool = False) -> list[Result]:
    """R8 proper; runs inside `unshare -n` (see r8)."""
    cut_s = 6.0 if p.fast else 15.0
    timeout_ms = 10_000 if control else 1_000
    cfg = sized(
        p, rate=20 if p.fast else CI_RATE, duration_s=cut_s + (4 if p.fast else 20), job_ms=20
    )
    cfg.worker_env = cfg.api_env = {"REDIS_TIMEOUT_MS": str(timeout_ms)}
    marks: dict[str, float] = {}

    async def after(run: Run, r: Result) -> None:
        ops: list[Op] = r.data["ops"]
        fails = [op for op in ops if op.kind == "fail"]
        answered_503 = [op.latency_s for op in fails if op.status == 503]
        heal = marks.get("heal", 0.0)
        resumed = [int(j["finished"]) / 1000 for j in r.data["jobs"].values()
                   if j.get("finished") and int(j["finished"]) / 1000 >= heal]  # fmt: skip
        r.figures.update(
            cut_s=cut_s, api_503=len(answered_503),
            api_other_5xx=sum(1 for op in fails if op.status >= 500 and op.status != 503),
            over_timeout=sum(1 for op in ops if op.detail == "timeout"),
            api_503_max_s=round(max(answered_503, default=0), 2),
            resume_s=round(min(resumed, default=heal + 99) - heal, 2),
            slowest_s=round(max((op.latency_s for op in ops if op.done and
                                 marks.get("cut", 0) <= op.sent <= heal), default=0), 2),
        )  # fmt: skip
        if control:
            hang = "control (10 s Redis timeout): requests hang past the HTTP timeout"
            r.goal(hang, r.figures["over_timeout"] > 0)
            return
        r.require_safety()
        r.goal("api_other_5xx=0", r.figures["api_other_5xx"] == 0)
        r.goal("no request over the timeout", r.figures["over_timeout"] == 0)
        if not p.fast:  # catalogue: 503 within the Redis timeout; printed in fast runs
            # a 503 cannot come before the socket timeout itself: 0.25 s for HTTP and the loop
            bound = timeout_ms / 1000 + 0.25
            r.goal(f"503 within {bound:g} s", r.figures["api_503_max_s"] <= bound)
        r.goal("resume_s<=5", r.figures["resume_s"] <= 5)

    name = "R8-control" if control else "R8"
    return [await execute(name, cfg, cutter(cut_s, marks), after)]


def netns_available() -> str:
    """'' when `unshare -n` + nft work here, else why not."""
    for tool in ("unshare", "nft", "ip"):
        if subprocess.run(["which", tool], capture_output=True).returncode:
            return f"{tool} is missing (apt-get install -y nftables util-linux iproute2)"
    probe = subprocess.run(
        ["unshare", "-n", "sh", "-c", "ip link set lo up && nft add table inet probe"],
        capture_output=True, text=True,
    )  # fmt: skip
    return "" if probe.returncode == 0 else f"cannot create a netns: {probe.stderr.strip()}"


async def r8(p: Profile, control: bool = False) -> list[Result]:
    """R8: run r8_inner in a fresh network namespace (loopback only) and read its result."""
    why = netns_available()
    if why:
        r = Result("R8-control" if control else "R8")
        r.figures["skipped"] = why
        r.goal("netns + nft available", False)
        return [r]
    test = "R8-control" if control else "R8"
    script = (f"ip link set lo up && exec {sys.executable} -m tests.chaos --json --inner "
              f"--profile {p.name} {test}")  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = await asyncio.create_subprocess_exec(
        "unshare", "-n", "sh", "-c", script, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await proc.communicate()
    rows = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    results = []
    for row in rows:
        r = Result(row["id"], row["figures"], [(g, ok) for g, ok in row["goals"]])
        results.append(r)
    return results or [Result(test, {"error": "no result"}, [("ran", False)])]


# --- R9: slow network -------------------------------------------------------------------------
def count_warnings(folder: Path) -> int:
    """Worker log lines that report a failed Redis call (each one a timeout treated as an error)."""
    pattern = re.compile(r"failed|unreachable|will retry|retrying")
    return sum(
        len(pattern.findall(path.read_text(errors="replace")))
        for path in folder.glob("worker-*.log")
    )


async def r9(p: Profile, control: bool = False) -> list[Result]:
    """R9: +50 ms ± 25 ms on every Redis round trip (userspace proxy for API and workers)."""
    cfg = sized(p, rate=20 if p.fast else 100, duration_s=5 if p.fast else 60, job_ms=10,
                 proxy_delay_ms=50, proxy_jitter_ms=25)  # fmt: skip
    if control:  # a socket timeout below the round trip: every command times out
        cfg.worker_env = cfg.api_env = {"REDIS_TIMEOUT_MS": "70"}

    async def after(run: Run, r: Result) -> None:
        ops: list[Op] = r.data["ops"]
        elapsed = run.load_ended - run.load_started + r.figures["drain_s"]
        r.figures.update(
            throughput=round(r.figures["completed"] / max(elapsed, 0.001), 1),
            spurious_timeouts=count_warnings(run.folder),
            api_5xx=sum(1 for op in ops if op.status >= 500),
        )  # fmt: skip
        if control:
            r.goal(
                "control (70 ms timeout): spurious_timeouts>0", r.figures["spurious_timeouts"] > 0
            )
            return
        r.require_safety()
        r.goal("spurious_timeouts=0", r.figures["spurious_timeouts"] == 0)
        r.goal("api_5xx=0", r.figures["api_5xx"] == 0)

    return [await execute("R9-control" if control else "R9", cfg, None, after)]


# --- R10: one worker's clock off by ±300 s -----------------------------------------------------
def faked(offset: str) -> dict[str, str]:
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": offset, "DONT_FAKE_MONOTONIC": "1"}


async def r10(p: Profile) -> list[Result]:
    """R10: workers with the clock +300 s and −300 s: retries never early, no premature reclaim."""
    if not Path(FAKETIME_LIB).exists():
        r = Result("R10", {"skipped": "libfaketime missing (apt-get install -y faketime)"})
        r.goal("libfaketime available", False)
        return [r]
    base, cap = 200, 800

    def body(i: int, nonce: str) -> dict[str, Any]:
        if i % 5 == 4:
            return {"task_type": "ledger", "payload": {"n": nonce, "ms": 2 * cfg.visibility_ms}}
        return {"task_type": "flaky", "payload": {"n": nonce, "fail_times": 2}, "max_retries": 2,
                "initial_backoff_ms": base, "max_backoff_ms": cap}  # fmt: skip

    cfg = sized(p, rate=4 if p.fast else 5, duration_s=3 if p.fast else 30, body=body)
    cfg.visibility_ms, cfg.reclaim_ms = (1_000, 200) if p.fast else (5_000, 1_000)
    cfg.slot_env = {0: faked("+300"), 1: faked("-300")}
    dues: dict[str, set[int]] = {}

    async def after(run: Run, r: Result) -> None:
        jobs = r.data["jobs"]
        flaky = {j: job for j, job in jobs.items() if job.get("type") == "flaky"}
        _, lags, bad = backoff_check(flaky, dues, base, cap)
        early = [-lag for lag in lags if lag < 0]
        r.figures.update(retries_checked=len(lags), retry_early_ms_max=round(max(early, default=0)),
                         delays_out_of_bounds=bad,
                         premature_reclaims=len(lost_attempts(jobs)))  # fmt: skip
        r.require_safety()
        r.goal("no retry > 100 ms early", r.figures["retry_early_ms_max"] <= 100)
        r.goal("premature_reclaims=0", r.figures["premature_reclaims"] == 0)
        r.goal("every delay within bounds", bad == 0)

    return [await execute("R10", cfg, due_watcher(dues), after)]
