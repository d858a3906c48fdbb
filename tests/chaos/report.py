"""Figures of a run (the common fields every delivery test prints) and the one-line report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.chaos.checker import (
    all_queue_jobs,
    count_unexpected,
    history_regressions,
    is_unknown,
    percentile,
    read_jobs,
    read_ledger,
    recover_unknown,
)
from tests.chaos.run import Run

COMMON = ("attempted", "accepted", "unknown", "completed", "dead", "lost", "unexpected",
          "duplicates", "dup_effects", "recovered", "regressions", "drain_s", "enqueue_p50",
          "enqueue_p99", "e2e_p50", "e2e_p99")  # fmt: skip
REQUIRED = ("lost", "unexpected", "dup_effects", "regressions")


@dataclass
class Result:
    """One test's line: its id, figures in print order, and each goal with whether it was met."""

    test_id: str
    figures: dict[str, Any] = field(default_factory=dict)
    goals: list[tuple[str, bool]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # for assertions, not printed

    def goal(self, text: str, ok: bool) -> None:
        self.goals.append((text, bool(ok)))

    @property
    def met(self) -> bool:
        return all(ok for _, ok in self.goals)

    def require_safety(self) -> None:
        """The goals every delivery run must meet: lost, unexpected, dup_effects, regressions 0."""
        for name in REQUIRED:
            self.goal(f"{name}=0", self.figures.get(name) == 0)

    def line(self) -> str:
        parts = [self.test_id] + [f"{k}={_fmt(v)}" for k, v in self.figures.items()]
        missed = [text for text, ok in self.goals if not ok]
        parts.append("goals=met" if not missed else "goals=MISSED(" + "; ".join(missed) + ")")
        return " ".join(parts)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value else "0"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


async def common_figures(run: Run, drain_s: float, result: Result) -> None:
    """Compute the common figures into `result` (and keep the raw data for the test's own)."""
    ops = run.generator.ops if run.generator else []
    keys = run.keys
    recovered = await recover_unknown(run.redis, keys, ops)
    accepted = [op for op in ops if op.kind == "ok"]
    ids = {op.job_id for op in ops if op.job_id}
    jobs = await read_jobs(run.redis, keys, ids)
    execs = read_ledger(run.ledger_dir)
    executed = {e.job_id for e in execs}
    effects = await _effect_counts(run, executed)
    allowed = run.config.allowed
    lost = [j for j in ids if j not in jobs or jobs[j].get("status") not in allowed(j, jobs[j])]
    statuses = [j.get("status") for j in jobs.values()]
    e2e = [
        (int(j["finished"]) - int(j["created"])) / 1000
        for j in jobs.values()
        if j.get("status") == "succeeded" and j.get("finished")
    ]
    enqueue = [op.latency_s for op in accepted]
    sampled = run.sampler.regressions if run.sampler else set()
    history = {j for j, h in jobs.items() if history_regressions(h)}
    queue_jobs = await all_queue_jobs(run.redis, keys)
    result.figures.update({
        "attempted": len(ops), "accepted": len(accepted),
        "unknown": sum(1 for op in ops if is_unknown(op)),
        "completed": statuses.count("succeeded"), "dead": statuses.count("dead"),
        "lost": len(lost), "unexpected": count_unexpected(queue_jobs, ops),
        "duplicates": len(execs) - len(executed),
        "dup_effects": sum(1 for n in effects.values() if n > 1),
        "recovered": recovered, "regressions": len(sampled | history), "drain_s": round(drain_s, 2),
        "enqueue_p50": _ms(percentile(enqueue, 0.5)), "enqueue_p99": _ms(percentile(enqueue, 0.99)),
        "e2e_p50": _ms(percentile(e2e, 0.5)), "e2e_p99": _ms(percentile(e2e, 0.99)),
    })  # fmt: skip
    if lost:
        states: dict[str, int] = {}
        for j in lost:
            state = jobs.get(j, {}).get("status", "missing")
            states[state] = states.get(state, 0) + 1
        result.figures["lost_states"] = ",".join(f"{k}:{v}" for k, v in sorted(states.items()))
    result.data.update(ops=ops, jobs=jobs, execs=execs, effects=effects, lost_ids=lost)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}ms"


async def _effect_counts(run: Run, ids: set[str]) -> dict[str, int]:
    ordered = sorted(ids)
    out: dict[str, int] = {}
    for i in range(0, len(ordered), 1000):
        chunk = ordered[i : i + 1000]
        values = await run.effect_redis.mget([f"effect:{j}" for j in chunk])
        out.update({j: int(v) for j, v in zip(chunk, values, strict=True) if v})
    return out
