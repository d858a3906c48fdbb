"""The two scenarios: the rolling update (v2, then a bad v3 rolled back to v2) under load, and the
negative control (SIGTERM one API while the load balancer still sends it traffic)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass

from rehearsal.figures import Figures, JobOutcome, failed, job_outcomes, within
from rehearsal.stack import Load, RunConfig, Stack


@dataclass
class Outcome:
    """A finished run: the figures, the timeline, the goals it missed, its exit code."""

    figures: Figures
    timeline: list[str]
    missed: list[str]
    errors: dict[str, int]
    verdict: str = ""
    drains: str = ""

    @property
    def exit_code(self) -> int:
        """0 when every goal was met."""
        return 1 if self.missed else 0

    def report(self) -> str:
        """The figures line, the goals, then the timeline."""
        verdict = self.verdict or "all goals met"
        if self.missed:
            verdict = (
                "MISSED: " + ", ".join(self.missed) + (f" ({self.verdict})" * bool(self.verdict))
            )
        errors = " ".join(f"{k}={v}" for k, v in sorted(self.errors.items())) or "none"
        return "\n".join(
            [self.figures.line(), f"goals: {verdict}", f"client errors: {errors}"]
            + ([f"drains: {self.drains}"] if self.drains else [])
            + ["timeline:"]
            + [f"  {line}" for line in self.timeline]
        )


async def rolling_update(cfg: RunConfig) -> Outcome:
    """Baseline, deploy v2 one instance at a time, deploy bad v3, roll back to v2, drain."""
    async with Stack(cfg) as stack:
        assert stack.deployer is not None
        t = stack.timeline
        load = await Load.start(stack, max_s=600)
        base = (time.monotonic(), time.monotonic() + cfg.baseline_s)
        t.mark(f"load at {cfg.rate:.0f} req/s through nginx; baseline")
        await asyncio.sleep(cfg.baseline_s)
        deploy_start = time.monotonic()
        v2_ok = await stack.deployer.deploy(stack.revision("v2"), "deploy")
        deploy = (deploy_start, time.monotonic())
        await asyncio.sleep(cfg.gap_s)
        rollback_start = time.monotonic()
        v3_ok = await stack.deployer.deploy(stack.revision("v3"), "deploy (bad release)")
        rolled_back = False
        if not v3_ok:
            t.mark("automatic rollback: redeploy the last good revision")
            rolled_back = await stack.deployer.deploy(stack.revision("v2"), "rollback")
        rollback = (rollback_start, time.monotonic())
        await asyncio.sleep(cfg.tail_s)
        history = await load.stop()
        t.mark("load stopped; final drain")
        jobs = await job_outcomes(stack.settings(), history["accepted"], cfg.job_drain_s)
        t.mark(f"drained: {jobs.accepted - jobs.lost}/{jobs.accepted} jobs terminal")
        figures = Figures(history["rows"], jobs, base, deploy, rollback, deploy[1] - deploy[0])
        missed = figures.missed_goals()
        missed += [name for name, ok in (
            ("v2_deployed", v2_ok), ("v3_rejected", not v3_ok), ("rolled_back", rolled_back),
            ("final_release_v2", final_release(stack) == {"v2"})) if not ok]  # fmt: skip
        drains, clean = drain_summary(stack)
        missed += [] if clean else ["services_stopped_cleanly"]
        stack.failed = bool(missed)
        return Outcome(figures, t.lines(), missed, history["errors"], drains=drains)


def drain_summary(stack: Stack) -> tuple[str, bool]:
    """Exit codes of the stopped APIs and workers and the jobs handed back; whether all stopped
    cleanly: a drained worker exits 0 (Z2); uvicorn re-raises the SIGTERM it caught once its
    graceful shutdown is done, so a clean API ends "killed by SIGTERM" (-15; docker shows 143).
    A SIGKILL after the stop timeout shows up as -9. With `--bad worker` the bad release's workers
    exit 1 at start by design (they cannot import their tasks): not a drain."""
    codes = stack.exit_codes()
    crashes = {1} if stack.cfg.bad_mode == "worker" else set()
    text = "; ".join(
        f"{role} exits "
        + (", ".join(f"{n}×{c}" for c, n in sorted(counts.items(), key=str)) or "-")
        for role, counts in codes.items()
    )
    clean = all(c in {0} | crashes for c in codes["worker"])
    clean = clean and all(c in (0, -15) for c in codes["api"])
    return f"{text}; jobs handed back unfinished: {stack.handed_back()}", clean


def final_release(stack: Stack) -> set[str | None]:
    """The releases running on the fleet (and the pointer), e.g. {'v2'}."""
    running = {i.release_running(r) for i in stack.instances for r in ("api", "worker")}
    return running | {stack.instances[0].fleet.release()}


async def control(cfg: RunConfig) -> Outcome:
    """SIGTERM instance-1's API without taking it out of nginx: the figures must show failures."""
    async with Stack(cfg) as stack:
        t = stack.timeline
        load = await Load.start(stack, max_s=600)
        base = (time.monotonic(), time.monotonic() + cfg.baseline_s)
        t.mark(f"load at {cfg.rate:.0f} req/s through nginx; baseline")
        await asyncio.sleep(cfg.baseline_s)
        victim = stack.instances[0]
        pid = victim.pid("api")
        assert pid is not None
        start = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        t.mark(f"SIGTERM api (pid {pid}), still in the upstream", victim.name)
        await asyncio.sleep(cfg.control_s)
        window = (start, time.monotonic())
        history = await load.stop()
        t.mark("load stopped")
        figures = Figures(history["rows"], JobOutcome(), base, window, window, window[1] - start)
        failures = sum(1 for r in within(history["rows"], window) if failed(r))
        missed = [] if failures > 0 else ["control_shows_failures"]
        sent = len(within(history["rows"], window))
        verdict = (
            f"control shows {failures} of {sent} requests failed in the {cfg.control_s:.0f} s "
            "after the SIGTERM: the rehearsal sees an undrained stop"
        )
        return Outcome(figures, t.lines(), missed, history["errors"], verdict)
